"""The two transfer DAGs differ only in their id and the task they run; this builds either.

Airflow is imported here, lazily, so the package's own tests can import the DAG files without it.
"""

from __future__ import annotations

import datetime


def transfer_dag(dag_id: str, action: str, description: str):
    """The DAG ``dag_id`` with one task ``action`` running ``airflow_adapter.<action>_task``.

    Returns None when Airflow is not installed (the package's tests).
    """
    try:
        from airflow import DAG
        from airflow.operators.python import PythonOperator
    except ImportError:  # pragma: no cover
        return None

    def _run(**context):
        from mwaa_ops import airflow_adapter

        return getattr(airflow_adapter, f"{action}_task")(**context)

    with DAG(
        dag_id=dag_id,
        description=description,
        schedule=None,
        start_date=datetime.datetime(2024, 1, 1),
        catchup=False,
        max_active_runs=1,
        # Triggered only by the workflows, which cannot unpause a DAG first.
        is_paused_upon_creation=False,
        tags=["mwaa-ops"],
        default_args={"retries": 0, "owner": "mwaa-ops"},
    ) as dag:
        PythonOperator(
            task_id=action,
            python_callable=_run,
            # The Step Functions task's TimeoutSeconds is the real bound; this one stops a stuck worker.
            execution_timeout=datetime.timedelta(hours=6),
        )
    return dag
