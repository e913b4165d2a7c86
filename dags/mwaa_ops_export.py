"""mwaa-ops: export of this environment's metadata database (backup format v1).

Triggered by the MetadataTransferFunction with a Step Functions task token; the conf contract
is in dags/README.md. The logic lives in the ``mwaa_ops`` package next to this file.
"""

from __future__ import annotations

import datetime

try:  # Airflow is absent when the package's own tests import this folder.
    from airflow import DAG
    from airflow.operators.python import PythonOperator
except ImportError:  # pragma: no cover
    DAG = None


def _run(**context):
    from mwaa_ops.airflow_adapter import export_task

    return export_task(**context)


if DAG is not None:
    with DAG(
        dag_id="mwaa_ops_export",
        description="mwaa-ops: export the metadata database (pause/resume/upgrade backups)",
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
            task_id="export",
            python_callable=_run,
            # The Step Functions task's TimeoutSeconds is the real bound; this one stops a stuck worker.
            execution_timeout=datetime.timedelta(hours=6),
        )
