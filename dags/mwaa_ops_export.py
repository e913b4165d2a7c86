"""mwaa-ops: export of this environment's Airflow metadata database (backup format v1).

Triggered by the MetadataTransferFunction with a Step Functions task token; the conf contract
is in dags/README.md. The logic lives in the ``mwaa_ops`` package next to this file.
"""

from mwaa_ops.dag_factory import transfer_dag

dag = transfer_dag(
    "mwaa_ops_export", "export", "mwaa-ops: export the metadata database (pause/resume/upgrade backups)"
)
