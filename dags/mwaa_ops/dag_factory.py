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
        # Revoke every per-DAG permission a non-Admin role was given on these DAGs (Airflow's
        # _sync_dag_view_permissions revokes per-DAG grants of roles missing from the mapping and
        # never touches Admin). It cannot take away *global* permissions: User and Op have
        # can_edit on DAGs and can_create on DAG Runs for every DAG by default (USER_PERMISSIONS in
        # airflow/www/security.py, 2.7; providers/fab/.../security_manager/override.py, 2.9+), so
        # they can still trigger these DAGs. What stops a foreign trigger is acceptance.py. An
        # empty mapping rather than {"Admin": ...}: Admin already has everything, and naming a
        # role makes parsing fail while that role does not exist yet.
        access_control={},
        default_args={"retries": 0, "owner": "mwaa-ops"},
    ) as dag:
        PythonOperator(
            task_id=action,
            python_callable=_run,
            # The Step Functions task's TimeoutSeconds is the real bound; this one stops a stuck worker.
            execution_timeout=datetime.timedelta(hours=6),
        )
    return dag
