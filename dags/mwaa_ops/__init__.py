"""mwaa-ops export/import of an Airflow 2.x metadata database in the backup format v2 (v1 backups still restore).

The package is plain SQLAlchemy Core + boto3 so that it runs (and is tested) without Airflow;
the DAG files next to it (``mwaa_ops_export.py``, ``mwaa_ops_import.py``) are the only code
that imports Airflow. See ``docs/backup-format.md`` for the format and ``dags/README.md`` for the
DAG run conf.
"""

FORMAT_VERSION = 2
EXPORT_DAG_ID = "mwaa_ops_export"
IMPORT_DAG_ID = "mwaa_ops_import"
#: The transfer DAGs never pause themselves or each other (the import runs while it restores states).
TRANSFER_DAG_IDS = (EXPORT_DAG_ID, IMPORT_DAG_ID)
