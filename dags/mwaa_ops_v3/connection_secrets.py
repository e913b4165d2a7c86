"""Read connections (and masked variables) through the Task SDK and write them to the backup in S3 (SSE-KMS).

Pure logic with its dependencies passed in (the connection getter, the S3 client), so the DAG
file stays wiring. Errors name connection ids, locations and exception types, never values: a
task's exception text lands in the task log.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Callable, Dict, List, Optional

from . import SECRETS_FILE, SECRETS_FORMAT

#: Fields of an Airflow connection, as the REST API (and the backup's ``connection`` table) name them.
FIELDS = ("conn_type", "description", "host", "schema", "login", "password", "port", "extra")

_BACKUP_ID = re.compile(r"^\d{8}T\d{6}Z-[A-Za-z0-9-]{1,40}$")
_ENVIRONMENT = re.compile(r"^[A-Za-z][0-9A-Za-z_-]{0,79}$")
# Airflow's own rule for connection ids (airflow.models.connection), kept strict here because the
# ids arrive in a run conf.
_CONN_ID = re.compile(r"^[\w.-]{1,250}$")


class SecretsExportRefused(ValueError):
    """The run conf asks for something this task will not do; the message says what."""


class SecretsExportFailed(RuntimeError):
    """Reading a connection or writing the file failed; the message names the id or location only."""


def secrets_location(conf: Dict[str, Any], environment: Optional[str], backup_bucket: Optional[str]) -> Dict[str, Any]:
    """Validate a run conf against this environment's own configuration.

    The bucket and the environment come from the environment (``mwaa_ops.backup_bucket``,
    ``AIRFLOW_ENV_NAME``), never from the conf alone: whoever can trigger the DAG can choose which
    connections to export, but not where the secrets go.
    """
    if not isinstance(conf, dict):
        raise SecretsExportRefused("the run conf must be an object")
    if not backup_bucket:
        raise SecretsExportRefused("the Airflow configuration option mwaa_ops.backup_bucket is not set")
    if not environment or not _ENVIRONMENT.match(environment):
        raise SecretsExportRefused("AIRFLOW_ENV_NAME is not set to an MWAA environment name")
    if conf.get("environment") != environment:
        raise SecretsExportRefused(f"the run is for environment {conf.get('environment')!r}, this is {environment!r}")
    if conf.get("bucket") != backup_bucket:
        raise SecretsExportRefused("the run names a bucket other than this environment's mwaa_ops.backup_bucket")
    backup_id = conf.get("backupId")
    if not isinstance(backup_id, str) or not _BACKUP_ID.match(backup_id):
        raise SecretsExportRefused("backupId is missing or not a backup id")
    ids = conf.get("connectionIds")
    if not isinstance(ids, list) or not all(isinstance(i, str) and _CONN_ID.match(i) for i in ids):
        raise SecretsExportRefused("connectionIds must be a list of connection ids")
    if len(set(ids)) != len(ids):
        raise SecretsExportRefused("connectionIds holds duplicates")
    keys = conf.get("variableKeys", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) and 0 < len(k) <= 250 for k in keys):
        raise SecretsExportRefused("variableKeys must be a list of variable keys")
    if len(set(keys)) != len(keys):
        raise SecretsExportRefused("variableKeys holds duplicates")
    kms_key_id = conf.get("kmsKeyId")
    if kms_key_id is not None and not isinstance(kms_key_id, str):
        raise SecretsExportRefused("kmsKeyId must be a string")
    prefix = f"backups/{environment}/{backup_id}/"
    return {"bucket": backup_bucket, "prefix": prefix, "key": prefix + SECRETS_FILE,
            "connection_ids": sorted(ids), "variable_keys": sorted(keys), "kms_key_id": kms_key_id}


def collect(connection_ids: List[str], get_connection: Callable[[str], Any]) -> List[Dict[str, Any]]:
    """The full connections, in id order; ``get_connection`` is the Task SDK's ``Connection.get``."""
    out = []
    for conn_id in connection_ids:
        try:
            conn = get_connection(conn_id)
        except Exception as error:
            # No chaining: the cause's text could quote a backend's answer.
            raise SecretsExportFailed(f"cannot read connection {conn_id}: {type(error).__name__}") from None
        row: Dict[str, Any] = {"connection_id": conn_id}
        for field in FIELDS:
            row[field] = getattr(conn, field, None)
        out.append(row)
    return out


def collect_variables(keys: List[str], get_variable: Callable[[str], Any]) -> List[Dict[str, Any]]:
    """The variables' values, in key order; ``get_variable`` is the Task SDK's ``Variable.get``."""
    out = []
    for key in keys:
        try:
            out.append({"key": key, "value": get_variable(key)})
        except Exception as error:
            raise SecretsExportFailed(f"cannot read variable {key}: {type(error).__name__}") from None
    return out


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except Exception as error:
        status = (getattr(error, "response", None) or {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404:
            return False
        raise SecretsExportFailed(f"cannot read s3://{bucket}/{key}: {type(error).__name__}") from None


def write(s3: Any, location: Dict[str, Any], connections: List[Dict[str, Any]],
          variables: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Write the secrets file; returns what may be shown (count, bytes, sha256), never values.

    Refused once the backup's manifest exists: a committed backup is immutable. Before that a retry
    rewrites the same key, which is what makes the step safe to repeat.
    """
    bucket, prefix = location["bucket"], location["prefix"]
    if _exists(s3, bucket, prefix + "manifest.json"):
        raise SecretsExportRefused(f"s3://{bucket}/{prefix} is a committed backup; it is never rewritten")
    body = json.dumps({"format": SECRETS_FORMAT, "connections": connections, "variables": variables}, sort_keys=True).encode("utf-8")
    extra = {"ServerSideEncryption": "aws:kms"}
    if location["kms_key_id"]:
        extra["SSEKMSKeyId"] = location["kms_key_id"]
    try:
        s3.put_object(Bucket=bucket, Key=location["key"], Body=body, ContentType="application/json", **extra)
    except Exception as error:
        raise SecretsExportFailed(f"cannot write s3://{bucket}/{location['key']}: {type(error).__name__}") from None
    return {"connections": len(connections), "variables": len(variables), "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
