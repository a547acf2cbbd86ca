"""Spindle's daily training pipeline: prepare -> train -> eval -> extract, each a spark-submit of
Spindle's application jar (docs/airflow.md).

Every task runs `io.spindle.spark.SpindleMain` from the self-contained `-spark.jar` (Spindle, ND4J
with its linux-x86_64 natives; Spark and Hadoop come from the cluster), so executors need nothing
installed. The run directory is per logical date. A failed task is retried by Airflow; `train`
always passes `--resume`, so a retry continues from the run's newest complete checkpoint instead
of starting again at step 0 (and the first attempt, finding no checkpoint, starts fresh).

Settings come from the environment of the Airflow scheduler and workers:
  SPINDLE_JAR          the application jar (spindle-spark-jobs-<version>-spark.jar)
  SPINDLE_CONF         a config file the driver can read (conf/matformer.conf: extract needs a MatFormer)
  SPINDLE_RUNS         base URI of the run directories, e.g. hdfs:///user/spindle/runs
  SPINDLE_SPARK_CONN   the Airflow connection of the Spark master (default spark_default)
  SPINDLE_TRAIN_SETS   extra `key=value` config overrides for prepare and train, separated by spaces
  SPINDLE_SUB_WIDTH    the MatFormer FFN width the extract task writes as a standalone model
"""
import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

JAR = os.environ.get("SPINDLE_JAR", "/opt/spindle/spindle-spark-jobs-0.1.0-SNAPSHOT-spark.jar")
CONF = os.environ.get("SPINDLE_CONF", "/opt/spindle/conf/matformer.conf")
RUNS = os.environ.get("SPINDLE_RUNS", "hdfs:///user/spindle/runs")
CONN = os.environ.get("SPINDLE_SPARK_CONN", "spark_default")
EXTRA_SETS = os.environ.get("SPINDLE_TRAIN_SETS", "").split()
SUB_WIDTH = os.environ.get("SPINDLE_SUB_WIDTH", "96")

# One run directory per logical date (templated: application_args is a template field).
RUN_DIR = RUNS + "/spindle-{{ ds_nodash }}"
DATA_DIR = RUN_DIR + "/data"
# Quoted: in HOCON an unquoted `//` (hdfs:///...) starts a comment.
SETS = [f'run.dir="{RUN_DIR}"', f'data.prepared="{DATA_DIR}"', *EXTRA_SETS]

# Training ranks are the tasks of one barrier stage: no dynamic allocation, and one OpenMP/BLAS
# thread per task core (oversubscription made steps 7x slower, docs/running-on-spark.md).
SPARK_CONF = {
    "spark.dynamicAllocation.enabled": "false",
    "spark.executorEnv.OMP_NUM_THREADS": "1",
    "spark.ui.enabled": "false",
}


def spindle(task_id, *args, **kwargs):
    """A spark-submit of `spindle <args>`."""
    return SparkSubmitOperator(
        task_id=task_id,
        application=JAR,
        java_class="io.spindle.spark.SpindleMain",
        conf=SPARK_CONF,
        conn_id=CONN,
        name=f"spindle-{task_id}",
        application_args=list(args),
        **kwargs,
    )


def sets(values):
    """`--set key=value` pairs as spindle's CLI takes them."""
    return [arg for value in values for arg in ("--set", value)]


with DAG(
    dag_id="spindle_train",
    description="Prepare the corpus, train (resuming from the newest checkpoint on retry), evaluate, extract a sub-model",
    schedule=timedelta(days=1),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5), "retry_exponential_backoff": True},
    tags=["spindle"],
) as dag:
    # --if-missing: a retry after a prepare that completed is a no-op.
    prepare = spindle("prepare", "prepare", CONF, "--if-missing", *sets(SETS))
    # --resume: continue from the newest checkpoint in RUN_DIR (step 0 when there is none yet).
    train = spindle("train", "train", CONF, "--resume", "--no-sample", *sets(SETS))
    evaluate = spindle("eval", "eval", RUN_DIR, "--batches", "8")
    extract = spindle("extract", "extract", RUN_DIR, "--widths", SUB_WIDTH, "--out", RUN_DIR + f"-w{SUB_WIDTH}")

    prepare >> train >> evaluate >> extract
