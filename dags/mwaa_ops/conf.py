"""The DAG run conf the MetadataTransferFunction sends (contract in dags/README.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from .errors import InvalidConf
from .format import is_backup_id


@dataclass(frozen=True)
class TransferConf:
    environment: str
    bucket: str
    prefix: str
    backup_id: str
    task_token: Optional[str] = None
    execution_arn: Optional[str] = None
    heartbeat_seconds: int = 60
    kms_key_id: Optional[str] = None
    unpause_on_failure: bool = False
    #: cap on one batch of rows in bytes (None: the package default, 16 MiB)
    batch_bytes: Optional[int] = None
    #: import only: SHA-256 of the manifest bytes the workflow verified and recorded in
    #: EnvironmentsTable (``backup.manifestSha256``); a manifest with other bytes is refused
    manifest_sha256: Optional[str] = None


def _text(value: Any, name: str, required: bool = True) -> Optional[str]:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidConf(f"conf.{name} must be a non-empty string")
    return value


def parse_conf(conf: Optional[Mapping[str, Any]]) -> TransferConf:
    """Validate the conf; the message names the field, never its value (the token is a secret)."""
    if not isinstance(conf, Mapping):
        raise InvalidConf("the DAG run conf must be a JSON object")
    backup = conf.get("backup")
    if not isinstance(backup, Mapping):
        raise InvalidConf("conf.backup must be an object with bucket, prefix and backupId")
    environment = _text(conf.get("environment"), "environment")
    bucket = _text(backup.get("bucket"), "backup.bucket")
    prefix = _text(backup.get("prefix"), "backup.prefix")
    backup_id = _text(backup.get("backupId"), "backup.backupId")
    if not is_backup_id(backup_id):
        raise InvalidConf("conf.backup.backupId must look like yyyymmddThhmmssZ-<id>")
    if prefix != f"backups/{environment}/{backup_id}/":
        raise InvalidConf("conf.backup.prefix must be backups/<environment>/<backupId>/")
    heartbeat = conf.get("heartbeat_seconds", 60)
    if not isinstance(heartbeat, int) or isinstance(heartbeat, bool) or not 1 <= heartbeat <= 3600:
        raise InvalidConf("conf.heartbeat_seconds must be an integer between 1 and 3600")
    batch_bytes = conf.get("batch_bytes")
    if batch_bytes is not None and (
        not isinstance(batch_bytes, int) or isinstance(batch_bytes, bool) or not 1 << 20 <= batch_bytes <= 1 << 30
    ):
        raise InvalidConf("conf.batch_bytes must be an integer between 1048576 (1 MiB) and 1073741824 (1 GiB)")
    unpause = conf.get("unpause_on_failure", False)
    if not isinstance(unpause, bool):
        raise InvalidConf("conf.unpause_on_failure must be a boolean")
    return TransferConf(
        environment=environment,
        bucket=bucket,
        prefix=prefix,
        backup_id=backup_id,
        task_token=_text(conf.get("task_token"), "task_token", required=False),
        execution_arn=_text(conf.get("execution_arn"), "execution_arn", required=False),
        heartbeat_seconds=heartbeat,
        kms_key_id=_text(backup.get("kmsKeyId"), "backup.kmsKeyId", required=False),
        unpause_on_failure=unpause,
        batch_bytes=batch_bytes,
        manifest_sha256=_manifest_sha256(backup.get("manifestSha256")),
    )


def _manifest_sha256(value: Any) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 64 or not set(value) <= set("0123456789abcdef"):
        raise InvalidConf("conf.backup.manifestSha256 must be 64 lowercase hex digits")
    return value
