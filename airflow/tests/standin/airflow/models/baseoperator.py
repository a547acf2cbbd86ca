import inspect
import re
from datetime import timedelta

from airflow.exceptions import AirflowException
from airflow.models.dag import current_dag


class BaseOperator:
    """Airflow's BaseOperator: task identity, retries, dependencies (>>), default_args, templating.

    As in Airflow, default_args only fill parameters the operator's constructors declare, and any
    argument no constructor declares is an error ("Invalid arguments were passed")."""

    template_fields = ()

    def __init__(self, *, task_id, owner="airflow", email=None, email_on_retry=True, email_on_failure=True,
                 retries=0, retry_delay=timedelta(seconds=300), retry_exponential_backoff=False,
                 max_retry_delay=None, start_date=None, end_date=None, depends_on_past=False,
                 wait_for_downstream=False, dag=None, params=None, default_args=None, priority_weight=1,
                 queue="default", pool=None, execution_timeout=None, trigger_rule="all_success",
                 do_xcom_push=True, doc_md=None, **kwargs):
        if kwargs:
            raise AirflowException(f"Invalid arguments were passed to {type(self).__name__} (task_id: {task_id})."
                                   f" Invalid arguments were:\n**kwargs: {kwargs}")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", task_id):
            raise AirflowException(f"task_id {task_id!r} may only hold letters, digits, dashes, dots and underscores")
        if not isinstance(retries, int) or retries < 0:
            raise AirflowException(f"retries must be a non-negative int, got {retries!r}")
        if not isinstance(retry_delay, timedelta):
            raise AirflowException(f"retry_delay must be a timedelta, got {retry_delay!r}")
        self.task_id = task_id
        self.retries = retries
        self.retry_delay = retry_delay
        self.retry_exponential_backoff = retry_exponential_backoff
        self.upstream_task_ids = set()
        self.downstream_task_ids = set()
        self.dag = dag or current_dag()
        if self.dag is not None:
            self.dag.add_task(self)

    def __init_subclass__(cls, **kwargs):
        """Wraps each operator's __init__ so that the DAG's default_args fill the parameters it declares."""
        super().__init_subclass__(**kwargs)
        init = cls.__init__

        def with_defaults(self, *args, **given):
            dag = given.get("dag") or current_dag()
            defaults = dict(dag.default_args) if dag is not None else {}
            defaults.update(given.pop("default_args", None) or {})
            accepted = _declared_parameters(type(self))
            for key, value in defaults.items():
                if key in accepted and key not in given:
                    given[key] = value
            init(self, *args, **given)

        with_defaults.__wrapped__ = init
        cls.__init__ = with_defaults

    def __rshift__(self, other):
        for task in other if isinstance(other, (list, tuple)) else [other]:
            self.downstream_task_ids.add(task.task_id)
            task.upstream_task_ids.add(self.task_id)
        return other

    def __lshift__(self, other):
        for task in other if isinstance(other, (list, tuple)) else [other]:
            task >> self
        return other

    def render_template_fields(self, context):
        """Renders {{ name }} in every template field with the run's context, as Airflow does with Jinja.
        Only plain variable lookups are supported; anything else is refused rather than passed on."""
        for field in self.template_fields:
            setattr(self, field, _render(getattr(self, field), context, f"{self.task_id}.{field}"))


def _declared_parameters(cls):
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        init = getattr(init, "__wrapped__", init)
        names.update(p.name for p in inspect.signature(init).parameters.values()
                     if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self")
    return names


def _render(value, context, where):
    if isinstance(value, str):
        def lookup(match):
            name = match.group(1)
            if name not in context:
                raise AirflowException(f"{where}: unknown template variable {name!r} (the stand-in knows {sorted(context)})")
            return str(context[name])

        rendered = re.sub(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", lookup, value)
        if "{{" in rendered or "{%" in rendered:
            raise AirflowException(f"{where}: template {value!r} uses more than variable lookups")
        return rendered
    if isinstance(value, list):
        return [_render(v, context, where) for v in value]
    if isinstance(value, tuple):
        return tuple(_render(v, context, where) for v in value)
    if isinstance(value, dict):
        return {k: _render(v, context, where) for k, v in value.items()}
    return value
