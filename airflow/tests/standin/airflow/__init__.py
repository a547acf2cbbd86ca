"""A stand-in for the parts of Apache Airflow that dags/spindle_train.py uses (Airflow itself is not
installable where Spindle is tested). It reproduces their constructor signatures, including the
rejection of unknown arguments, so the DAG file is checked as Airflow would check it, and it turns
each SparkSubmitOperator into the spark-submit command line the Spark provider's hook builds."""
from airflow.models.dag import DAG

__all__ = ["DAG"]
