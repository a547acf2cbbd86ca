from datetime import datetime, timedelta

_current = []


class DAG:
    """Airflow's DAG as a context manager: operators created inside it join it."""

    def __init__(self, dag_id, description=None, schedule=None, start_date=None, end_date=None, catchup=True,
                 max_active_runs=16, max_active_tasks=16, default_args=None, tags=None, params=None,
                 dagrun_timeout=None, doc_md=None, render_template_as_native_obj=False, is_paused_upon_creation=None):
        if not isinstance(dag_id, str) or not dag_id:
            raise TypeError("dag_id must be a non-empty string")
        if start_date is not None and not isinstance(start_date, datetime):
            raise TypeError(f"start_date must be a datetime, got {start_date!r}")
        if schedule is not None and not isinstance(schedule, (str, timedelta)):
            raise TypeError(f"schedule must be a cron string, a preset or a timedelta, got {schedule!r}")
        self.dag_id = dag_id
        self.description = description
        self.schedule = schedule
        self.start_date = start_date
        self.catchup = catchup
        self.max_active_runs = max_active_runs
        self.default_args = dict(default_args or {})
        self.tags = list(tags or [])
        self.task_dict = {}

    def __enter__(self):
        _current.append(self)
        return self

    def __exit__(self, *exc):
        _current.pop()
        return False

    def add_task(self, task):
        if task.task_id in self.task_dict:
            raise ValueError(f"task id {task.task_id!r} is used twice in DAG {self.dag_id!r}")
        self.task_dict[task.task_id] = task

    def topological_order(self):
        """Tasks ordered so that each comes after everything upstream of it; refuses cycles."""
        ordered, done, visiting = [], set(), set()

        def visit(task):
            if task.task_id in done:
                return
            if task.task_id in visiting:
                raise ValueError(f"DAG {self.dag_id!r} has a cycle through {task.task_id!r}")
            visiting.add(task.task_id)
            for up in sorted(task.upstream_task_ids):
                visit(self.task_dict[up])
            visiting.discard(task.task_id)
            done.add(task.task_id)
            ordered.append(task)

        for task in self.task_dict.values():
            visit(task)
        return ordered


def current_dag():
    return _current[-1] if _current else None
