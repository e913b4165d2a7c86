"""mwaa-ops on Airflow 3.x: what only a task can do there.

Airflow 3 forbids tasks direct access to the metadata database and its public REST API masks
connection passwords and sensitive extras. A task still receives full connections through the
Task SDK (the execution API's ``GetConnection``), which is how every hook in an MWAA 3.x
environment gets its credentials. The Airflow 3 export uses that, and only that, to carry the
secrets the REST API hides (docs/pause-resume.md, "Airflow 3").

Kept apart from ``mwaa_ops`` (the 2.x database transfer): nothing here imports it.
"""

SECRETS_DAG_ID = "mwaa_ops_export_secrets"
#: Name of the object, under the backup's prefix, that the secrets task writes.
SECRETS_FILE = "connection-secrets.json"
SECRETS_FORMAT = 1
