class AirflowException(Exception):
    """Airflow's base exception."""
