"""Stand-in for airflow.providers.apache.spark.operators.spark_submit: the operator's constructor
(apache-airflow-providers-apache-spark 4.x) and the command line its SparkSubmitHook builds."""
import json
import os
from urllib.parse import unquote, urlsplit

from airflow.exceptions import AirflowException
from airflow.models.baseoperator import BaseOperator


class SparkSubmitOperator(BaseOperator):
    template_fields = ("application", "conf", "files", "py_files", "jars", "driver_class_path", "packages",
                       "exclude_packages", "keytab", "principal", "proxy_user", "name", "application_args",
                       "env_vars", "properties_file")

    def __init__(self, *, application="", conf=None, conn_id="spark_default", files=None, py_files=None,
                 archives=None, driver_class_path=None, jars=None, java_class=None, packages=None,
                 exclude_packages=None, repositories=None, total_executor_cores=None, executor_cores=None,
                 executor_memory=None, driver_memory=None, keytab=None, principal=None, proxy_user=None,
                 name="arrow-spark", num_executors=None, status_poll_interval=1, application_args=None,
                 env_vars=None, verbose=False, spark_binary=None, properties_file=None, yarn_queue=None,
                 deploy_mode=None, use_krb5ccache=False, **kwargs):
        super().__init__(**kwargs)
        if application_args is not None and not isinstance(application_args, list):
            raise AirflowException(f"application_args must be a list, got {type(application_args).__name__}")
        self.application = application
        self.conf = conf
        self.conn_id = conn_id
        self.files = files
        self.py_files = py_files
        self.archives = archives
        self.driver_class_path = driver_class_path
        self.jars = jars
        self.java_class = java_class
        self.packages = packages
        self.exclude_packages = exclude_packages
        self.repositories = repositories
        self.total_executor_cores = total_executor_cores
        self.executor_cores = executor_cores
        self.executor_memory = executor_memory
        self.driver_memory = driver_memory
        self.keytab = keytab
        self.principal = principal
        self.proxy_user = proxy_user
        self.name = name
        self.num_executors = num_executors
        self.application_args = application_args
        self.env_vars = env_vars
        self.verbose = verbose
        self.spark_binary = spark_binary
        self.properties_file = properties_file
        self.yarn_queue = yarn_queue
        self.deploy_mode = deploy_mode

    def spark_submit_command(self):
        """The argv the provider's hook runs (after render_template_fields)."""
        conn = resolve_connection(self.conn_id)
        binary = self.spark_binary or conn["spark_binary"]
        cmd = [os.path.join(conn["spark_home"], "bin", binary) if conn["spark_home"] else binary,
               "--master", conn["master"]]
        for key, value in (self.conf or {}).items():
            cmd += ["--conf", f"{key}={value}"]
        deploy_mode = self.deploy_mode or conn["deploy_mode"]
        if self.env_vars and deploy_mode == "cluster" and not conn["master"].startswith(("yarn", "k8s")):
            raise AirflowException("SparkSubmitHook env_vars is not supported in standalone-cluster mode.")
        options = [("--properties-file", self.properties_file), ("--files", self.files),
                   ("--py-files", self.py_files), ("--archives", self.archives),
                   ("--driver-class-path", self.driver_class_path), ("--jars", self.jars),
                   ("--packages", self.packages), ("--exclude-packages", self.exclude_packages),
                   ("--repositories", self.repositories), ("--num-executors", self.num_executors),
                   ("--total-executor-cores", self.total_executor_cores), ("--executor-cores", self.executor_cores),
                   ("--executor-memory", self.executor_memory), ("--driver-memory", self.driver_memory),
                   ("--keytab", self.keytab), ("--principal", self.principal), ("--proxy-user", self.proxy_user),
                   ("--name", self.name), ("--class", self.java_class)]
        for flag, value in options:
            if value:
                cmd += [flag, str(value)]
        if self.verbose:
            cmd += ["--verbose"]
        queue = self.yarn_queue or conn["queue"]
        if queue:
            cmd += ["--queue", queue]
        if deploy_mode:
            cmd += ["--deploy-mode", deploy_mode]
        cmd += [self.application]
        cmd += [str(a) for a in self.application_args or []]
        return cmd

    def spark_submit_env(self):
        """The environment the hook gives spark-submit: its own, plus env_vars in client mode."""
        env = dict(os.environ)
        env.update({k: str(v) for k, v in (self.env_vars or {}).items()})
        return env


def resolve_connection(conn_id):
    """The hook's view of a Spark connection, read as Airflow reads AIRFLOW_CONN_<ID> (JSON or URI).
    A missing connection defaults to yarn, as the hook does."""
    conn = {"master": "yarn", "queue": None, "deploy_mode": None, "spark_home": None,
            "spark_binary": "spark-submit", "namespace": "default"}
    raw = os.environ.get("AIRFLOW_CONN_" + conn_id.upper())
    if raw is None:
        return conn
    if raw.lstrip().startswith("{"):
        spec = json.loads(raw)
        host, port, extra = spec.get("host", ""), spec.get("port"), spec.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra)
    else:
        parts = urlsplit(raw)
        host, port = unquote(parts.hostname or ""), parts.port
        extra = dict(p.split("=", 1) for p in parts.query.split("&") if p)
    conn["master"] = f"{host}:{port}" if port else host
    conn["queue"] = extra.get("queue")
    conn["deploy_mode"] = extra.get("deploy-mode")
    conn["spark_home"] = extra.get("spark-home")
    conn["spark_binary"] = extra.get("spark-binary", "spark-submit")
    return conn
