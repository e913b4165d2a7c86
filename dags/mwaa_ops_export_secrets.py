"""mwaa-ops (Airflow 3.x only): copy connection secrets into a backup through the Task SDK.

Triggered by the MetadataTransferFunction during an Airflow 3 export, with the ids of the
connections whose password or extra the REST API masks (and the keys of masked variables) (conf: environment, bucket, backupId,
connectionIds, variableKeys, kmsKeyId). The task reads each connection as any hook does (``Connection.get``,
served by the execution API) and writes them to ``s3://<bucket>/backups/<env>/<backupId>/
connection-secrets.json`` with SSE-KMS. Its return value (an XCom) holds a count and a digest only.
On Airflow 2 this file defines no DAG: there the ``mwaa_ops_export`` DAG reads the database.
"""

from __future__ import annotations

import datetime
import os

try:
    from airflow.sdk import DAG, Connection, Variable, task
except ImportError:  # Airflow 2.x (or no Airflow: the package's tests)
    DAG = None

if DAG is not None:
    from mwaa_ops_v3 import SECRETS_DAG_ID

    with DAG(
        dag_id=SECRETS_DAG_ID,
        description="mwaa-ops: copy connection secrets into an Airflow 3 backup (Task SDK)",
        schedule=None,
        start_date=datetime.datetime(2024, 1, 1),
        catchup=False,
        max_active_runs=1,
        # Triggered by the export while every other DAG is paused.
        is_paused_upon_creation=False,
        tags=["mwaa-ops"],
        default_args={"retries": 0, "owner": "mwaa-ops"},
    ) as dag:

        @task(task_id="export_connection_secrets")
        def export_connection_secrets(**context):
            import boto3
            from airflow.configuration import conf as airflow_conf

            from mwaa_ops_v3 import connection_secrets

            location = connection_secrets.secrets_location(
                context["dag_run"].conf or {},
                os.environ.get("AIRFLOW_ENV_NAME"),
                airflow_conf.get("mwaa_ops", "backup_bucket", fallback=None),
            )
            connections = connection_secrets.collect(location["connection_ids"], Connection.get)
            # deserialize_json=False: the value exactly as stored, as the REST API would give it.
            variables = connection_secrets.collect_variables(
                location["variable_keys"], lambda key: Variable.get(key, deserialize_json=False)
            )
            return connection_secrets.write(boto3.client("s3"), location, connections, variables)

        export_connection_secrets()
