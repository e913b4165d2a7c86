"""Running the export/import the way the DAG files do (runner + task token), against test doubles."""

from __future__ import annotations

import itertools
from typing import Any, Optional, Tuple

from helpers import FakeSfn, conf_for, settings_for

from mwaa_ops.export import export_backup
from mwaa_ops.restore import import_backup
from mwaa_ops.runner import run_transfer
from mwaa_ops.s3io import BackupStore

_ids = itertools.count(1)


def new_backup_id(tag: str = "t") -> str:
    return f"20261126T190000Z-{tag}-{next(_ids)}"


def export(engine, version: str, client: Any, bucket: str, backup_id: str, secrets, sfn: Optional[FakeSfn] = None,
           environment: str = "dev", self_run: Optional[Tuple[str, str]] = ("mwaa_ops_export", "manual__self"),
           batch_size: int = 7, format_version: int = 2, **extra: Any):
    sfn = sfn or FakeSfn(environment)
    raw, conf = conf_for(bucket, environment, backup_id, **extra)
    store = BackupStore(client, bucket, conf.prefix)
    result = run_transfer(
        raw,
        sfn,
        lambda c, hb: export_backup(engine=engine, store=store, secrets=secrets, conf=c, airflow_version=version,
                                    self_run=self_run, heartbeat=hb, batch_size=batch_size,
                                    format_version=format_version),
        "export",
        settings_for(bucket, environment),
    )
    return result, sfn


def restore(engine, client: Any, bucket: str, backup_id: str, secrets, sfn: Optional[FakeSfn] = None,
            environment: str = "dev", heartbeat=None, batch_size: int = 7, **extra: Any):
    sfn = sfn or FakeSfn(environment)
    raw, conf = conf_for(bucket, environment, backup_id, phase="import", **extra)
    store = BackupStore(client, bucket, conf.prefix)
    result = run_transfer(
        raw,
        sfn,
        lambda c, hb: import_backup(engine=engine, store=store, secrets=secrets, conf=c,
                                    heartbeat=heartbeat or hb, batch_size=batch_size),
        "import",
        settings_for(bucket, environment),
    )
    return result, sfn
