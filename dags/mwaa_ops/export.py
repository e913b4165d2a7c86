"""Export an Airflow 2.x metadata database into a backup (docs/backup-format.md).

Order of work, and why:
1. a committed backup (manifest present) is never written again: the same execution gets its
   earlier answer back, any other execution is refused;
2. the active DAGs are written to ``active-dags.json`` *before* they are paused, so a retried
   export (which finds them paused) still knows them;
3. tables are read in one REPEATABLE READ transaction (a consistent snapshot), streamed with a
   server-side cursor whose fetches are capped by bytes (``batching.py``) to gzip JSON Lines
   files, each uploaded as soon as it is complete; the pause state of every other DAG goes into
   the manifest too (``pausedDags``), so DAGs paused here stay paused wherever it is restored;
4. ``manifest.json`` last: the commit marker.
On any failure the DAGs this export paused are unpaused again before the error propagates.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import tempfile
from typing import Any, Callable, Dict, List, Optional, Tuple

import sqlalchemy as sa

from . import EXPORT_DAG_ID, FORMAT_VERSION, TRANSFER_DAG_IDS
from .batching import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_ROWS, AdaptiveRows
from .copy_export import copy_table_file, copy_table_name
from .conf import TransferConf
from .dag_state import active_dags, all_dags, set_paused
from .errors import BackupAlreadyCommitted, TransferError, database_error_in_chain, describe_failure
from .run_conf import blank_task_token
from .format import TableFileWriter, sha256_of, utc_now_iso
from .heartbeat import Heartbeat, no_heartbeat
from .s3io import BackupStore
from .secrets import CONNECTION_COLUMNS, VARIABLE_COLUMNS, SecretsAdapter
from .tables import CARRIED, EXCLUDED, CarriedTable

MANIFEST = "manifest.json"
ACTIVE_DAGS = "active-dags.json"
SNAPSHOT = "environment.json"
FINISHED_STATES = {"success", "failed", "skipped", "upstream_failed", "removed"}

RowTransform = Callable[[List[str], Tuple[Any, ...]], Tuple[Any, ...]]


def _finish_own_run(self_run: Optional[Tuple[str, str]], now: _dt.datetime) -> Dict[str, RowTransform]:
    """Transforms that record the export's own (running) DAG run and tasks as finished.

    Restored as "running", the run would be picked up by the new scheduler with no worker
    behind it; as "success" it is history, like every other run in the backup.
    """
    if self_run is None:
        return {"dag_run": _blank_tokens}
    dag_id, run_id = self_run

    def finish(columns: List[str], row: Tuple[Any, ...]) -> Tuple[Any, ...]:
        values = dict(zip(columns, row))
        if values.get("dag_id") != dag_id or values.get("run_id") != run_id:
            return row
        if values.get("state") not in FINISHED_STATES:
            values["state"] = "success"
            if "end_date" in values and values["end_date"] is None:
                values["end_date"] = now
        return tuple(values[name] for name in columns)

    return {"dag_run": lambda columns, row: _blank_tokens(columns, finish(columns, row)), "task_instance": finish}


def _blank_tokens(columns: List[str], row: Tuple[Any, ...]) -> Tuple[Any, ...]:
    """``dag_run.conf`` without the task token it may hold (run_conf.py)."""
    if "conf" not in columns:
        return row
    index = columns.index("conf")
    value = blank_task_token(row[index])
    return row if value is row[index] else row[:index] + (value,) + row[index + 1:]


def _columns_of(conn: Any, table: CarriedTable) -> List[str]:
    if table.only is not None:
        return list(table.only)
    names = [col["name"] for col in sa.inspect(conn).get_columns(table.name)]
    return [name for name in names if name not in table.omitted]


def _uses_copy(table: CarriedTable, format_version: int) -> bool:
    """Format v2 carries every table the importer writes with SQL as COPY text; variables and
    connections go through Airflow's models (decrypted) and pools are a handful of rows: JSON Lines."""
    return format_version >= 2 and table.mode == "history"


def _manifest_entry(table: CarriedTable, columns: List[str], format_version: int) -> Dict[str, Any]:
    copy = _uses_copy(table, format_version)
    entry: Dict[str, Any] = {
        "file": copy_table_name(table.name) if copy else f"tables/{table.name}.jsonl.gz",
        "columns": columns,
        "primaryKey": list(table.primary_key),
    }
    if format_version >= 2:
        entry["encoding"] = "copy" if copy else "jsonl"
    if table.generated_key:
        entry["generatedKey"] = table.generated_key
    references = {col: ref for col, ref in table.references.items() if col in columns}
    if references:
        entry["references"] = references
    if table.reuse_on:
        entry["reuseOn"] = list(table.reuse_on)
    return entry


def _write_table_file(
    handle: Any,
    conn: Any,
    table: CarriedTable,
    columns: List[str],
    secrets: SecretsAdapter,
    transform: Optional[RowTransform],
    beat: Heartbeat,
    batch_bytes: int,
    batch_rows: int,
) -> TableFileWriter:
    """Write one table file, row by row; at most one byte-capped fetch of rows is in memory."""
    writer = TableFileWriter(handle, columns)
    if table.mode == "secret":
        source = secrets.iter_variables(conn) if table.name == "variable" else secrets.iter_connections(conn)
        names = VARIABLE_COLUMNS if table.name == "variable" else CONNECTION_COLUMNS
        for record in source:
            writer.write_row(tuple(record.get(name) for name in names))
            beat.beat()
    else:
        rows = AdaptiveRows(conn, table.name, columns, table.primary_key, batch_bytes, batch_rows)
        for row in rows:
            if transform is not None:
                row = transform(columns, row)
            rows.observe(writer.write_row(row))
            beat.beat()
    writer.close()
    return writer


def export_backup(
    *,
    engine: Any,
    store: BackupStore,
    secrets: SecretsAdapter,
    conf: TransferConf,
    airflow_version: str,
    self_run: Optional[Tuple[str, str]] = None,
    heartbeat: Optional[Heartbeat] = None,
    batch_size: int = DEFAULT_BATCH_ROWS,
    batch_bytes: Optional[int] = None,
    workdir: Optional[str] = None,
    clock: Callable[[], _dt.datetime] = lambda: _dt.datetime.now(_dt.timezone.utc),
    export_dag_id: str = EXPORT_DAG_ID,
    format_version: int = FORMAT_VERSION,
) -> Dict[str, Any]:
    """Write the backup and return the success answer (locations and counts only).

    ``batch_size`` caps rows and ``batch_bytes`` (default: the conf's, else 16 MiB) the encoded
    bytes of one fetch (format v1; v2 tables stream through COPY and hold one row at a time).
    ``format_version`` 1 writes the earlier format (kept for comparison and for older readers).
    """
    if format_version not in (1, 2):
        raise ValueError(f"format_version must be 1 or 2, not {format_version!r}")
    cap = batch_bytes or conf.batch_bytes or DEFAULT_BATCH_BYTES
    transfer_dags = {export_dag_id, *TRANSFER_DAG_IDS}
    beat = heartbeat or no_heartbeat()
    existing = store.get_json(MANIFEST)
    if existing is not None:
        created_by = (existing.get("createdBy") or {}).get("executionArn")
        if conf.execution_arn and created_by == conf.execution_arn:
            # A retry after the manifest was written: keep the DAGs paused, answer as before.
            with engine.begin() as conn:
                set_paused(conn, existing.get("activeDags", []), True)
            return _answer(store, existing)
        raise BackupAlreadyCommitted(
            f"{store.url(MANIFEST)} already exists: a committed backup is immutable; start a new execution"
        )

    # 2. remember, then pause.
    previous = store.get_json(ACTIVE_DAGS) or {}
    with engine.connect() as conn:
        now_active = active_dags(conn, exclude=transfer_dags)
    remembered = sorted(set(previous.get("activeDags", [])) | set(now_active))
    store.put_json(ACTIVE_DAGS, {"activeDags": remembered, "executionArn": conf.execution_arn})
    paused: List[str] = []
    try:
        with engine.begin() as conn:
            set_paused(conn, remembered, True)
        paused = remembered
        manifest = _write_tables(
            engine, store, secrets, conf, airflow_version, self_run, beat, (cap, batch_size), workdir, clock,
            remembered, transfer_dags, format_version,
        )
        store.put_json(MANIFEST, manifest)
        return _answer(store, manifest)
    except BaseException as error:
        if paused:
            try:
                with engine.begin() as conn:
                    set_paused(conn, paused, False)
            except Exception:  # the original failure is the one to report
                pass
        if isinstance(error, Exception) and not isinstance(error, TransferError):
            # A database error's text holds row values: name it, never chain it (errors.py).
            raise describe_failure(error, "export") from (None if database_error_in_chain(error) else error)
        raise


def _write_tables(engine, store, secrets, conf, airflow_version, self_run, beat, caps, workdir, clock, active,
                  transfer_dags, format_version):
    started = clock()
    transforms = _finish_own_run(self_run, started)
    tables: Dict[str, Any] = {}
    excluded: Dict[str, str] = {}
    with tempfile.TemporaryDirectory(dir=workdir, prefix="mwaa-ops-export-") as tmp:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # Every DAG that is not remembered as active was paused before this export began.
                paused_dags = [dag_id for dag_id in all_dags(conn, exclude=transfer_dags) if dag_id not in set(active)]
                present = set(sa.inspect(conn).get_table_names())
                for table in CARRIED:
                    if table.name not in present:
                        continue
                    columns = _columns_of(conn, table)
                    entry = _manifest_entry(table, columns, format_version)
                    path = os.path.join(tmp, os.path.basename(entry["file"]))
                    with open(path, "wb") as handle:
                        if _uses_copy(table, format_version):
                            written = copy_table_file(conn, table.name, columns, handle, self_run, started)
                            entry["columnTypes"] = written.column_types
                        else:
                            written = _write_table_file(
                                handle, conn, table, columns, secrets, transforms.get(table.name), beat, caps[0],
                                caps[1],
                            )
                    entry["rows"] = written.rows
                    entry["bytes"], entry["sha256"] = sha256_of(path)
                    store.put_file(entry["file"], path)
                    os.remove(path)
                    tables[table.name] = entry
                    beat.beat()
                for name in sorted(present):
                    if name in EXCLUDED:
                        excluded[name] = EXCLUDED[name]
    manifest: Dict[str, Any] = {
        "formatVersion": format_version,
        "backupId": conf.backup_id,
        "environment": conf.environment,
        "airflowVersion": airflow_version,
        "kind": "database",
        "createdAt": utc_now_iso(clock()),
        "createdBy": {"writer": "mwaa-ops-export-dag", "executionArn": conf.execution_arn},
        "activeDags": active,
        "pausedDags": paused_dags,
    }
    snapshot = store.get_bytes(SNAPSHOT)
    if snapshot is not None:
        manifest["snapshot"] = {"file": SNAPSHOT, "bytes": len(snapshot), "sha256": hashlib.sha256(snapshot).hexdigest()}
    manifest["tables"] = tables
    manifest["excluded"] = excluded
    return manifest


def _answer(store: BackupStore, manifest: Dict[str, Any]) -> Dict[str, Any]:
    """SendTaskSuccess output (the workflow contract): where the backup is and how many rows it
    holds, nothing else."""
    return {
        "backupId": manifest["backupId"],
        "bucket": store.bucket,
        "prefix": store.prefix,
        "manifestKey": store.prefix + MANIFEST,
        "airflowVersion": manifest.get("airflowVersion"),
        "activeDags": len(manifest.get("activeDags", [])),
        "tables": {name: entry["rows"] for name, entry in manifest["tables"].items()},
    }
