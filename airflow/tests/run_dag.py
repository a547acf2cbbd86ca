#!/usr/bin/env python3
"""Runs dags/spindle_train.py without Airflow: imports it against the stand-in package (standin/),
checks the DAG's shape, turns each task into the spark-submit command line the Spark provider would
build, and runs the commands in order against the Spark that `spark-submit` on PATH reaches,
checking each exit code. The train task is killed once its first checkpoint exists and then run
again, as Airflow's retry would run it: the retry must continue from that checkpoint.

Environment: what the DAG reads (SPINDLE_JAR, SPINDLE_CONF, SPINDLE_RUNS as a file:// URI,
SPINDLE_TRAIN_SETS, AIRFLOW_CONN_SPARK_DEFAULT) and a spark-submit on PATH (tests/bin/spark-submit).
Exit code 0 when every check passed."""
import importlib.util
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "standin"))

CONTEXT = {"ds": "2026-01-02", "ds_nodash": "20260102"}


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def load_dag():
    spec = importlib.util.spec_from_file_location("spindle_train", HERE.parent / "dags" / "spindle_train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def local_path(uri):
    if not uri.startswith("file:"):
        fail(f"SPINDLE_RUNS must be a file: URI for this test, got {uri}")
    return Path("/" + uri[len("file:"):].lstrip("/"))


def start(task, log):
    cmd = task.spark_submit_command()
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    return subprocess.Popen(cmd, env=task.spark_submit_env(), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def run(task, logs):
    log_file = logs / f"{task.task_id}.log"
    with open(log_file, "w") as log:
        started = time.monotonic()
        code = start(task, log).wait()
    print(f"{task.task_id}: exit code {code} after {time.monotonic() - started:.0f} s", flush=True)
    if code != 0:
        fail(f"{task.task_id} exited with {code}:\n" + log_file.read_text()[-4000:])
    return log_file.read_text()


def interrupted_then_retried(task, run_dir, logs):
    """The first attempt is killed after its first checkpoint; the retry must resume from it."""
    checkpoints = run_dir / "checkpoints"
    with open(logs / "train-attempt-1.log", "w") as log:
        process = start(task, log)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and process.poll() is None:
            done = [p for p in checkpoints.glob("step-*") if not p.name.endswith(".tmp")] if checkpoints.exists() else []
            if done:
                break
            time.sleep(0.2)
        if process.poll() is not None:
            fail(f"train attempt 1 ended (exit code {process.returncode}) before it could be interrupted after a"
                 f" checkpoint; give it more steps:\n" + (logs / "train-attempt-1.log").read_text()[-3000:])
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    kept = sorted(int(p.name[len("step-"):]) for p in checkpoints.glob("step-*") if not p.name.endswith(".tmp"))
    print(f"train attempt 1 killed; complete checkpoints: {kept}", flush=True)
    output = run(task, logs)
    if "continuing from the newest valid checkpoint" not in output:
        fail("the retried train did not resume from the checkpoint:\n" + output[-3000:])
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    resumes = [r for r in rows if r.get("event") == "resume"]
    if not resumes or resumes[-1]["step"] < kept[0]:
        fail(f"metrics.jsonl has no resume event at or after step {kept[0]}: {resumes}")
    after = rows[rows.index(resumes[-1]) + 1:]
    first_trained = min(r["step"] for r in after if "loss" in r)
    if first_trained <= resumes[-1]["step"]:
        fail(f"the retry trained step {first_trained} again, though it resumed from step {resumes[-1]['step']}")
    print(f"train retry resumed at step {resumes[-1]['step']} (first trained step {first_trained})", flush=True)


def main():
    dag = load_dag()
    if dag.schedule != timedelta(days=1):
        fail(f"the DAG must run daily, its schedule is {dag.schedule!r}")
    order = [t.task_id for t in dag.topological_order()]
    if order != ["prepare", "train", "eval", "extract"]:
        fail(f"tasks run as {order}, not prepare -> train -> eval -> extract")
    for task in dag.task_dict.values():
        if task.java_class != "io.spindle.spark.SpindleMain" or task.application != os.environ["SPINDLE_JAR"]:
            fail(f"{task.task_id} does not submit SpindleMain from the Spindle jar")
        if task.retries < 1:
            fail(f"{task.task_id} has no retries")
    train = dag.task_dict["train"]
    if "--resume" not in train.application_args:
        fail("train must pass --resume, so a retry continues from the newest checkpoint")

    logs = Path(os.environ.get("SPINDLE_AIRFLOW_LOGS", "."))
    logs.mkdir(parents=True, exist_ok=True)
    for task in dag.topological_order():
        task.render_template_fields(CONTEXT)
    run_dir = local_path(os.environ["SPINDLE_RUNS"]) / f"spindle-{CONTEXT['ds_nodash']}"
    for task in dag.topological_order():
        if task.task_id == "train":
            interrupted_then_retried(task, run_dir, logs)
        else:
            output = run(task, logs)
            if task.task_id == "eval" and "val_loss" not in output:
                fail("eval printed no val_loss:\n" + output[-3000:])
    extracted = [p for p in run_dir.parent.glob(f"spindle-{CONTEXT['ds_nodash']}-w*") if (p / "config.resolved.conf").exists()]
    if not extracted:
        fail(f"extract wrote no run directory next to {run_dir}")
    print(f"OK: prepare, train (interrupted and resumed), eval, extract -> {extracted[0]}", flush=True)


if __name__ == "__main__":
    main()
