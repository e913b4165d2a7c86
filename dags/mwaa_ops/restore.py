"""Import a verified backup into an Airflow 2.x metadata database (docs/backup-format.md).

1. The manifest must exist (a backup without one is incomplete) and every file must match its
   size and SHA-256 *before* the database is touched.
2. One transaction: tables in dependency order; generated keys re-drawn from the target's own
   sequences and every reference rewritten through the old → new map; variables/connections
   replaced through the secrets adapter (Airflow's models); pools replaced; an audit ``log`` row
   marks the backup as imported; counts checked; the previously active DAGs unpaused. A failure
   anywhere rolls everything back, so a re-run starts from the same state.
3. A re-run after a committed import (say the success answer was lost) finds the marker and
   only re-checks and answers.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
import tempfile
from typing import Any, Callable, Dict, Iterator, List, Optional

import sqlalchemy as sa

from . import IMPORT_DAG_ID
from .conf import TransferConf
from .dag_state import unpause
from .errors import BackupIncompatible, BackupNotCommitted, CountMismatch, TransferError, describe_failure
from .format import check_file, decode_binary, iter_table_file, validate_manifest
from .heartbeat import Heartbeat, no_heartbeat
from .s3io import BackupStore
from .secrets import SecretsAdapter
from .tables import CARRIED_BY_NAME, import_order

MANIFEST = "manifest.json"
MARKER_EVENT = "mwaa_ops_import"
DEFAULT_POOL = "default_pool"

_LOG = sa.table("log", sa.column("dttm"), sa.column("dag_id"), sa.column("event"), sa.column("extra"))


def _marker(backup_id: str) -> str:
    return json.dumps({"backupId": backup_id}, separators=(",", ":"))


def _decoder(type_name: str) -> Callable[[Any], Any]:
    """How a JSON value becomes a bind value for a column of this (lower-case) SQL type."""
    if "bytea" in type_name or "binary" in type_name:
        return decode_binary
    if type_name.startswith("json"):
        # Sent as text and cast by PostgreSQL; SQL NULL stays NULL (JSON null is stored as NULL).
        return lambda value: None if value is None else json.dumps(value, ensure_ascii=False)
    return lambda value: value


def _column_types(conn: Any, table: str) -> Dict[str, str]:
    return {col["name"]: str(col["type"]).lower() for col in sa.inspect(conn).get_columns(table)}


def _allocate(conn: Any, table: str, column: str, count: int) -> List[int]:
    """``count`` new values from the column's own sequence (never reused, even on rollback)."""
    query = sa.text("SELECT nextval(pg_get_serial_sequence(:t, :c)) FROM generate_series(1, :n)")
    return [value for (value,) in conn.execute(query, {"t": table, "c": column, "n": count})]


def _batches(rows: Iterator[Dict[str, Any]], size: int) -> Iterator[List[Dict[str, Any]]]:
    batch: List[Dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _copy_field(value: Any) -> str:
    """One value in COPY's text format (NULL is \\N; bytea in hex form, its backslash escaped)."""
    if value.__class__ is str:  # the common case first
        return value.translate(_COPY_ESCAPES)
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, float):
        return repr(value)
    return str(value).translate(_COPY_ESCAPES)


def _write_rows(conn: Any, name: str, columns: List[str], table: Any, records: List[Dict[str, Any]]) -> None:
    """Insert a batch with COPY … FROM STDIN (psycopg2; about 4× faster than multi-row INSERT here), on the
    transaction's own DBAPI connection; other drivers get a plain executemany INSERT."""
    cursor = conn.connection.cursor()
    if not hasattr(cursor, "copy_expert"):
        conn.execute(table.insert(), records)
        return
    lines = "".join("\t".join(_copy_field(record[col]) for col in columns) + "\n" for record in records)
    quoted = ", ".join('"' + col.replace('"', '""') + '"' for col in columns)
    cursor.copy_expert(f'COPY "{name}" ({quoted}) FROM STDIN', io.StringIO(lines))


class _Importer:
    def __init__(self, conn: Any, secrets: SecretsAdapter, manifest: Dict[str, Any], beat: Heartbeat, batch_size: int):
        self.conn = conn
        self.secrets = secrets
        self.manifest = manifest
        self.beat = beat
        self.batch_size = batch_size
        self.present = set(sa.inspect(conn).get_table_names())
        referenced = {
            ref.split(".", 1)[0]
            for entry in manifest["tables"].values()
            for ref in (entry.get("references") or {}).values()
        }
        self.maps: Dict[str, Dict[Any, Any]] = {name: {} for name in referenced}
        self.imported: Dict[str, int] = {}
        self.kept: Dict[str, int] = {}
        self.dropped: Dict[str, List[str]] = {}
        self.skipped: List[str] = []

    def run(self, paths: Dict[str, str]) -> None:
        tables = self.manifest["tables"]
        references = {name: entry.get("references") or {} for name, entry in tables.items()}
        for name in import_order(list(tables), references):
            if name not in self.present:
                # A table the target version does not have (e.g. a 2.10 backup into 2.9).
                self.skipped.append(name)
                continue
            entry = tables[name]
            types = _column_types(self.conn, name)
            columns = [col for col in entry["columns"] if col in types]
            lost = [col for col in entry["columns"] if col not in types]
            if lost:
                self.dropped[name] = lost
            with open(paths[name], "rb") as handle:
                rows = iter_table_file(handle)
                spec = CARRIED_BY_NAME.get(name)
                if spec is not None and spec.mode == "secret":
                    self._secret(name, list(rows))
                elif spec is not None and spec.mode == "replace":
                    self._replace(name, entry, columns, types, list(rows))
                else:
                    self._history(name, entry, columns, types, rows)
            self.beat.beat()

    def _secret(self, name: str, rows: List[Dict[str, Any]]) -> None:
        if name == "variable":
            self.secrets.replace_variables(self.conn, rows)
        else:
            self.secrets.replace_connections(self.conn, rows)
        self.imported[name] = len(rows)

    def _replace(self, name: str, entry: Dict[str, Any], columns: List[str], types: Dict[str, str], rows) -> None:
        """Pools: the target ends with exactly the backup's rows; ``default_pool`` is updated in place."""
        key = entry["primaryKey"][0]
        decoders = {col: _decoder(types[col]) for col in columns}
        table = sa.table(name, *(sa.column(col) for col in columns))
        self.conn.execute(table.delete().where(table.c[key] != DEFAULT_POOL))
        records = [{col: decoders[col](row.get(col)) for col in columns} for row in rows]
        inserts = []
        for record in records:
            if record[key] == DEFAULT_POOL:
                values = {col: value for col, value in record.items() if col != key}
                result = self.conn.execute(table.update().where(table.c[key] == DEFAULT_POOL).values(**values))
                if result.rowcount:
                    continue
            inserts.append(record)
        if inserts:
            self.conn.execute(table.insert(), inserts)
        self.imported[name] = len(records)
        if not any(record[key] == DEFAULT_POOL for record in records):
            # A backup without default_pool (another writer) leaves the target's in place.
            self.kept[name] = self.conn.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c[key] == DEFAULT_POOL)
            ).scalar()

    def _history(self, name: str, entry: Dict[str, Any], columns: List[str], types: Dict[str, str], rows) -> None:
        generated = entry.get("generatedKey")
        references = {col: ref for col, ref in (entry.get("references") or {}).items() if col in columns}
        reuse_on = [col for col in entry.get("reuseOn") or [] if col in columns]
        decoders = {col: _decoder(types[col]) for col in columns}
        mapping = self.maps.get(name)
        table = sa.table(name, *(sa.column(col) for col in columns))
        count = 0
        for batch in _batches(rows, self.batch_size):
            records = []
            for row in batch:
                record = {col: decoders[col](row.get(col)) for col in columns}
                for col, ref in references.items():
                    old = record[col]
                    if old is None:
                        continue
                    target_map = self.maps[ref.split(".", 1)[0]]
                    if old not in target_map:
                        raise BackupIncompatible(
                            f"{name}.{col} refers to {ref} row {old!r}, which the backup does not hold"
                        )
                    record[col] = target_map[old]
                records.append(record)
            if reuse_on and generated:
                records = self._reuse(name, table, records, reuse_on, generated, mapping)
            if generated and records:
                new_ids = _allocate(self.conn, name, generated, len(records))
                for record, new_id in zip(records, new_ids):
                    if mapping is not None:
                        mapping[record[generated]] = new_id
                    record[generated] = new_id
            if records:
                _write_rows(self.conn, name, columns, table, records)
            count += len(batch)
            self.beat.beat()
        self.imported[name] = count

    def _reuse(self, name, table, records, reuse_on, generated, mapping):
        """Map rows equal to an existing target row (on ``reuse_on``) to it instead of copying them."""
        lookup = sa.table(name, *(sa.column(col) for col in {generated, *reuse_on}))
        existing = {
            tuple(row[1:]): row[0]
            for row in self.conn.execute(sa.select(lookup.c[generated], *(lookup.c[col] for col in reuse_on)))
        }
        remaining = []
        for record in records:
            found = existing.get(tuple(record[col] for col in reuse_on))
            if found is None:
                remaining.append(record)
            elif mapping is not None:
                mapping[record[generated]] = found
        return remaining


def _verify_counts(
    conn: Any, manifest: Dict[str, Any], imported: Dict[str, int], skipped: List[str], kept: Dict[str, int]
) -> None:
    problems = []
    for name, entry in manifest["tables"].items():
        if name in skipped:
            continue
        expected = entry["rows"]
        got = imported.get(name)
        if got != expected:
            problems.append(f"{name}: {got} imported, manifest says {expected}")
            continue
        spec = CARRIED_BY_NAME.get(name)
        if spec is not None and spec.mode in ("secret", "replace"):
            actual = conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar()
            if actual != expected + kept.get(name, 0):
                problems.append(f"{name}: target holds {actual} rows after the import, manifest says {expected}")
    if problems:
        raise CountMismatch("restored counts differ from the manifest: " + "; ".join(problems))


def import_backup(
    *,
    engine: Any,
    store: BackupStore,
    secrets: SecretsAdapter,
    conf: TransferConf,
    heartbeat: Optional[Heartbeat] = None,
    batch_size: int = 5000,
    workdir: Optional[str] = None,
    clock: Callable[[], _dt.datetime] = lambda: _dt.datetime.now(_dt.timezone.utc),
    import_dag_id: str = IMPORT_DAG_ID,
) -> Dict[str, Any]:
    """Restore the backup named by ``conf`` and return the success answer (counts only)."""
    beat = heartbeat or no_heartbeat()
    manifest: Optional[Dict[str, Any]] = None
    try:
        manifest = store.get_json(MANIFEST)
        if manifest is None:
            raise BackupNotCommitted(
                f"{store.url(MANIFEST)} does not exist: the backup is incomplete and must not be restored"
            )
        validate_manifest(manifest, conf.environment, conf.backup_id)
        with tempfile.TemporaryDirectory(dir=workdir, prefix="mwaa-ops-import-") as tmp:
            paths: Dict[str, str] = {}
            for name, entry in manifest["tables"].items():
                path = os.path.join(tmp, f"{name}.jsonl.gz")
                store.download(entry["file"], path)
                check_file(entry["file"], path, entry)
                paths[name] = path
                beat.beat()
            with engine.begin() as conn:
                already = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(_LOG)
                    .where(_LOG.c.event == MARKER_EVENT, _LOG.c.extra == _marker(conf.backup_id))
                ).scalar()
                importer = _Importer(conn, secrets, manifest, beat, batch_size)
                if already:
                    imported = {name: entry["rows"] for name, entry in manifest["tables"].items()}
                    _verify_counts(
                        conn, manifest, imported, [n for n in manifest["tables"] if n not in importer.present], {}
                    )
                else:
                    importer.run(paths)
                    _verify_counts(conn, manifest, importer.imported, importer.skipped, importer.kept)
                    conn.execute(
                        _LOG.insert().values(
                            dttm=clock(), dag_id=import_dag_id, event=MARKER_EVENT, extra=_marker(conf.backup_id)
                        )
                    )
                placeholders = unpause(conn, manifest.get("activeDags", []))
        return {
            "backupId": manifest["backupId"],
            "alreadyImported": bool(already),
            "restored": {name: entry["rows"] for name, entry in manifest["tables"].items()},
            "droppedColumns": importer.dropped,
            "skippedTables": importer.skipped,
            "unpausedDagCount": len(manifest.get("activeDags", [])),
            "placeholderDagCount": len(placeholders),
        }
    except BaseException as error:
        if conf.unpause_on_failure and manifest and isinstance(manifest, dict) and manifest.get("activeDags"):
            try:
                with engine.begin() as conn:
                    unpause(conn, manifest["activeDags"])
            except Exception:
                pass
        if isinstance(error, Exception) and not isinstance(error, TransferError):
            raise describe_failure(error, "import") from error
        raise
