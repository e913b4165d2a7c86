"""Import a verified backup into an Airflow 2.x metadata database (docs/backup-format.md).

1. The manifest must exist (a backup without one is incomplete), have the SHA-256 the workflow
   recorded when it verified the backup (``conf.backup.manifestSha256``, when given), and every
   file must match its size and SHA-256 *before* the database is touched.
2. One transaction: every DAG the backup knows gets its row (a placeholder if the target has not
   parsed it yet) and is paused; tables in dependency order, in batches capped by rows and bytes;
   generated keys re-drawn from the target's own sequences and every reference rewritten through
   the old → new map; variables/connections replaced through the secrets adapter (Airflow's
   models); pools replaced; an audit ``log`` row marks the backup as imported; counts checked;
   the DAGs that were active are unpaused, the ones that were paused stay paused. A failure
   anywhere rolls everything back, so a re-run starts from the same state.
3. A re-run after a committed import (say the success answer was lost) finds the marker and
   only re-checks and answers.

Two things the target's scheduler needs that a plain copy would get wrong:

- *Runs the target created itself.* A new environment may create runs before the import (a DAG
  with ``is_paused_upon_creation=False`` and a schedule, the transfer DAGs' own runs). A backup
  run with the same ``(dag_id, run_id)`` or ``(dag_id, execution_date)`` (both unique) is skipped
  together with every row that hangs off it (task instances, XComs, notes, …): the target's run,
  which its scheduler may be working on, is kept. The answer reports these per table as
  ``conflicts``; the same applies to any other row whose key the target already holds.
- *Task instances that were queued, running or deferred at export time.* Airflow recovers such
  task instances only through the job that queued them (``queued_by_job_id``: orphan reset,
  zombie detection, stuck-in-queued), and no job of the old environment exists here. In runs that
  are still queued or running they are reset to no state, exactly as the scheduler's own orphan
  reset does (``adopt_or_reset_orphaned_tasks``), so the scheduler schedules them again; a
  deferred one also loses its ``next_method``/``next_kwargs`` (its trigger is not carried), as
  clearing a task does. The answer counts them as ``resetTaskInstances``.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
import tempfile
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

import sqlalchemy as sa

from . import IMPORT_DAG_ID, TRANSFER_DAG_IDS
from .batching import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_ROWS, byte_batches
from .conf import TransferConf
from .dag_state import set_states, unpause
from .errors import (
    BackupIncompatible,
    BackupNotCommitted,
    BackupReadFailed,
    CountMismatch,
    TransferError,
    describe_failure,
)
from .format import (
    check_file,
    check_manifest_digest,
    decode_binary,
    is_json_null,
    iter_table_file,
    iter_table_file_sized,
    validate_manifest,
)
from .copy_restore import CopyImporter
from .heartbeat import Heartbeat, no_heartbeat
from .s3io import BackupStore
from .secrets import SecretsAdapter
from .tables import CARRIED_BY_NAME, import_order

MANIFEST = "manifest.json"
MARKER_EVENT = "mwaa_ops_import"
DEFAULT_POOL = "default_pool"
#: Task instance states that only the job which queued them could recover (State.adoptable_states),
#: plus ``deferred``, whose trigger is not carried.
ORPHANED_STATES = {"queued", "running", "restarting", "deferred"}
UNFINISHED_RUN_STATES = {"queued", "running"}

_LOG = sa.table("log", sa.column("dttm"), sa.column("dag_id"), sa.column("event"), sa.column("extra"))


def _marker(backup_id: str) -> str:
    return json.dumps({"backupId": backup_id}, separators=(",", ":"))


def _decoder(type_name: str) -> Callable[[Any], Any]:
    """How a JSON value becomes a bind value for a column of this (lower-case) SQL type."""
    if "bytea" in type_name or "binary" in type_name:
        return decode_binary
    if type_name.startswith("json"):
        # Sent as text and cast by PostgreSQL; SQL NULL stays NULL (JSON null is stored as NULL).
        # json.dumps with its defaults is how Airflow's own JSON columns serialise (SQLAlchemy's
        # JSON type, sqlalchemy_jsonfield), so a value Airflow wrote comes back as the same text.
        return lambda value: None if value is None else "null" if is_json_null(value) else json.dumps(value)
    return lambda value: value


def _column_types(conn: Any, table: str) -> Dict[str, str]:
    return {col["name"]: str(col["type"]).lower() for col in sa.inspect(conn).get_columns(table)}


def _allocate(conn: Any, table: str, column: str, count: int) -> List[int]:
    """``count`` new values from the column's own sequence (never reused, even on rollback)."""
    query = sa.text("SELECT nextval(pg_get_serial_sequence(:t, :c)) FROM generate_series(1, :n)")
    return [value for (value,) in conn.execute(query, {"t": table, "c": column, "n": count})]


def _key_value(value: Any) -> Any:
    """A key column value in one comparable form: database datetimes and backup ISO strings match."""
    if isinstance(value, _dt.datetime):
        return value.astimezone(_dt.timezone.utc).isoformat() if value.tzinfo else value.isoformat()
    return value


def _keys(conn: Any, table: str, columns: Iterable[str]) -> Set[Tuple[Any, ...]]:
    """The target's existing values of ``columns`` (a unique key) in ``table``."""
    cols = list(columns)
    lookup = sa.table(table, *(sa.column(col) for col in cols))
    return {tuple(_key_value(v) for v in row) for row in conn.execute(sa.select(*lookup.c))}


def _iso_key(value: Any) -> Any:
    """A backup value of a timestamp key column (ISO text) in the form ``_key_value`` gives."""
    if isinstance(value, str):
        try:
            return _key_value(_dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


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


class _CopyInput:
    """COPY's input, encoded one record at a time as psycopg2 reads it: the batch's records are
    in memory once, their COPY text only a line at a time (not a second copy of the batch)."""

    def __init__(self, records: List[Dict[str, Any]], columns: List[str]):
        self._lines = ("\t".join(_copy_field(record[col]) for col in columns) + "\n" for record in records)
        self._pending = ""

    def read(self, size: int = -1) -> str:
        while size < 0 or len(self._pending) < size:
            line = next(self._lines, None)
            if line is None:
                break
            self._pending += line
        if size < 0:
            size = len(self._pending)
        chunk, self._pending = self._pending[:size], self._pending[size:]
        return chunk



def _write_rows(conn: Any, name: str, columns: List[str], table: Any, records: List[Dict[str, Any]]) -> None:
    """Insert a batch with COPY … FROM STDIN (psycopg2; about 4× faster than multi-row INSERT here), on the
    transaction's own DBAPI connection; other drivers get a plain executemany INSERT."""
    cursor = conn.connection.cursor()
    if not hasattr(cursor, "copy_expert"):
        conn.execute(table.insert(), records)
        return
    quoted = ", ".join('"' + col.replace('"', '""') + '"' for col in columns)
    cursor.copy_expert(f'COPY "{name}" ({quoted}) FROM STDIN', _CopyInput(records, columns), size=1 << 20)


class _Importer:
    def __init__(self, conn: Any, secrets: SecretsAdapter, manifest: Dict[str, Any], beat: Heartbeat,
                 batch_rows: int, batch_bytes: int):
        self.conn = conn
        self.secrets = secrets
        self.manifest = manifest
        self.beat = beat
        self.batch_rows = batch_rows
        self.batch_bytes = batch_bytes
        self.present = set(sa.inspect(conn).get_table_names())
        referenced = {
            ref.split(".", 1)[0]
            for entry in manifest["tables"].values()
            for ref in (entry.get("references") or {}).values()
        }
        self.maps: Dict[str, Dict[Any, Any]] = {name: {} for name in referenced}
        #: old generated keys of rows skipped because the target already held them, per table
        self.skipped_keys: Dict[str, Set[Any]] = {name: set() for name in referenced}
        #: (dag_id, run_id) of backup runs the target already holds
        self.skipped_runs: Set[Tuple[str, str]] = set()
        #: state of every imported run, to decide which task instances to reset
        self.run_states: Dict[Tuple[str, str], Any] = {}
        self.imported: Dict[str, int] = {}
        self.conflicts: Dict[str, int] = {}
        self.reset = 0
        self.kept: Dict[str, int] = {}
        self.dropped: Dict[str, List[str]] = {}
        self.skipped: List[str] = []
        self._copy: Optional[CopyImporter] = None

    def _copy_importer(self) -> CopyImporter:
        if self._copy is None:
            self._copy = CopyImporter(self.conn, set(self.maps), min(self.batch_bytes, 1 << 20))
        return self._copy

    def _history_copy(self, name: str, entry: Dict[str, Any], path: str, spec) -> None:
        """Format v2: staged COPY and set-based SQL (copy_restore.py), the same rules as ``_history``."""
        per_run = spec is not None and spec.per_run
        copier = self._copy_importer()
        before = copier.reset
        rows, conflicts = copier.import_table(name, entry, path, per_run=per_run, check_primary_key=not per_run)
        self.reset += copier.reset - before
        self.imported[name] = rows - conflicts
        if conflicts:
            self.conflicts[name] = conflicts

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
            if entry.get("encoding") == "copy":
                self._history_copy(name, entry, paths[name], CARRIED_BY_NAME.get(name))
                self.beat.beat()
                continue
            with open(paths[name], "rb") as handle:
                spec = CARRIED_BY_NAME.get(name)
                if spec is not None and spec.mode == "secret":
                    self._secret(name, list(iter_table_file(handle)))
                elif spec is not None and spec.mode == "replace":
                    self._replace(name, entry, columns, types, list(iter_table_file(handle)))
                else:
                    self._history(name, entry, columns, types, iter_table_file_sized(handle), spec)
            self.beat.beat()
        if self._copy is not None:
            self._copy.close()

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

    def _unique_keys(self, name: str, entry: Dict[str, Any], columns: List[str], generated: Optional[str]):
        """Keys a backup row must not share with a row the target already holds: dag_run's two
        unique keys; the primary key of tables whose key is not generated here."""
        if name == "dag_run":
            candidates = [("dag_id", "run_id"), ("dag_id", "execution_date")]
        elif generated or (CARRIED_BY_NAME.get(name) and CARRIED_BY_NAME[name].per_run):
            # Generated keys are new; per-run rows of a run the target lacks cannot exist there.
            return []
        else:
            candidates = [tuple(entry.get("primaryKey") or [])]
        keys = []
        for key in candidates:
            if key and all(col in columns for col in key):
                existing = _keys(self.conn, name, key)
                if existing:
                    keys.append((key, existing))
        return keys

    def _history(self, name: str, entry: Dict[str, Any], columns: List[str], types: Dict[str, str], rows, spec) -> None:
        generated = entry.get("generatedKey")
        references = {col: ref for col, ref in (entry.get("references") or {}).items() if col in columns}
        reuse_on = [col for col in entry.get("reuseOn") or [] if col in columns]
        decoders = {col: _decoder(types[col]) for col in columns}
        mapping = self.maps.get(name)
        per_run = spec is not None and spec.per_run and "dag_id" in columns and "run_id" in columns
        unique = self._unique_keys(name, entry, columns, generated)
        table = sa.table(name, *(sa.column(col) for col in columns))
        count = conflicts = 0
        for batch in byte_batches(rows, self.batch_bytes, self.batch_rows):
            records = []
            for row in batch:
                if per_run and (row.get("dag_id"), row.get("run_id")) in self.skipped_runs:
                    conflicts += 1
                    continue
                record = {col: decoders[col](row.get(col)) for col in columns}
                if self._rewrite_references(name, record, references):
                    conflicts += 1
                    continue
                if unique and self._collides(record, unique):
                    conflicts += 1
                    self._skip(name, record, generated)
                    continue
                if name == "dag_run":
                    self.run_states[(record["dag_id"], record["run_id"])] = record.get("state")
                elif name == "task_instance":
                    self._reset_if_orphaned(record)
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
        self.imported[name] = count - conflicts
        if conflicts:
            self.conflicts[name] = conflicts

    @staticmethod
    def _collides(row: Dict[str, Any], unique) -> bool:
        for key, existing in unique:
            if tuple(_iso_key(row.get(col)) for col in key) in existing:
                return True
        return False

    def _skip(self, name: str, row: Dict[str, Any], generated: Optional[str]) -> None:
        if name == "dag_run":
            self.skipped_runs.add((row.get("dag_id"), row.get("run_id")))
        if generated and name in self.skipped_keys:
            self.skipped_keys[name].add(row.get(generated))

    def _rewrite_references(self, name: str, record: Dict[str, Any], references: Dict[str, str]) -> bool:
        """Point references at the target's new keys; True when the referenced row was skipped
        (the target already held it), so this row is skipped with it."""
        for col, ref in references.items():
            old = record[col]
            if old is None:
                continue
            target = ref.split(".", 1)[0]
            target_map = self.maps[target]
            if old not in target_map:
                if old in self.skipped_keys.get(target, ()):
                    return True
                raise BackupIncompatible(f"{name}.{col} refers to {ref} row {old!r}, which the backup does not hold")
            record[col] = target_map[old]
        return False

    def _reset_if_orphaned(self, record: Dict[str, Any]) -> None:
        if record.get("state") not in ORPHANED_STATES:
            return
        if self.run_states.get((record.get("dag_id"), record.get("run_id"))) not in UNFINISHED_RUN_STATES:
            return
        if record["state"] == "deferred":
            for col in ("next_method", "next_kwargs", "trigger_timeout"):
                if col in record:
                    record[col] = None
        record["state"] = None
        self.reset += 1

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
    conn: Any, manifest: Dict[str, Any], imported: Dict[str, int], skipped: List[str], kept: Dict[str, int],
    conflicts: Optional[Dict[str, int]] = None,
) -> None:
    """Every row of the backup is accounted for: imported, or skipped as a conflict (reported)."""
    problems = []
    for name, entry in manifest["tables"].items():
        if name in skipped:
            continue
        expected = entry["rows"]
        got = imported.get(name)
        if got is not None and conflicts:
            got += conflicts.get(name, 0)
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


def _placeholders(conn: Any, dag_ids: List[str]) -> int:
    """How many of the DAGs have only a placeholder row (not parsed by the target yet)."""
    if not dag_ids:
        return 0
    dag = sa.table("dag", sa.column("dag_id"), sa.column("fileloc"))
    query = sa.select(sa.func.count()).select_from(dag).where(dag.c.dag_id.in_(dag_ids), dag.c.fileloc.is_(None))
    return conn.execute(query).scalar()


def import_backup(
    *,
    engine: Any,
    store: BackupStore,
    secrets: SecretsAdapter,
    conf: TransferConf,
    heartbeat: Optional[Heartbeat] = None,
    batch_size: int = DEFAULT_BATCH_ROWS,
    batch_bytes: Optional[int] = None,
    workdir: Optional[str] = None,
    clock: Callable[[], _dt.datetime] = lambda: _dt.datetime.now(_dt.timezone.utc),
    import_dag_id: str = IMPORT_DAG_ID,
) -> Dict[str, Any]:
    """Restore the backup named by ``conf`` and return the success answer (counts only).

    ``batch_size`` caps the rows and ``batch_bytes`` (default: the conf's, else 16 MiB) the file
    bytes of one batch.
    """
    beat = heartbeat or no_heartbeat()
    cap = batch_bytes or conf.batch_bytes or DEFAULT_BATCH_BYTES
    transfer_dags = {import_dag_id, *TRANSFER_DAG_IDS}
    manifest: Optional[Dict[str, Any]] = None
    try:
        raw = store.get_bytes(MANIFEST)
        if raw is None:
            raise BackupNotCommitted(
                f"{store.url(MANIFEST)} does not exist: the backup is incomplete and must not be restored"
            )
        check_manifest_digest(store.url(MANIFEST), raw, conf.manifest_sha256)
        try:
            manifest = json.loads(raw)
        except ValueError as error:
            raise BackupReadFailed(f"{store.url(MANIFEST)} is not valid JSON") from error
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
                importer = _Importer(conn, secrets, manifest, beat, batch_size, cap)
                active = [d for d in manifest.get("activeDags", []) if d not in transfer_dags]
                paused = [d for d in manifest.get("pausedDags", []) if d not in transfer_dags]
                # Rows for every DAG first (queued dataset runs reference them), all paused until
                # the end of the transaction.
                set_states(conn, [*active, *paused], paused=True)
                if already:
                    imported = {name: entry["rows"] for name, entry in manifest["tables"].items()}
                    _verify_counts(
                        conn, manifest, imported, [n for n in manifest["tables"] if n not in importer.present], {}
                    )
                else:
                    importer.run(paths)
                    _verify_counts(
                        conn, manifest, importer.imported, importer.skipped, importer.kept, importer.conflicts
                    )
                    conn.execute(
                        _LOG.insert().values(
                            dttm=clock(), dag_id=import_dag_id, event=MARKER_EVENT, extra=_marker(conf.backup_id)
                        )
                    )
                placeholders = _placeholders(conn, [*active, *paused])
                unpause(conn, active)
        return {
            "backupId": manifest["backupId"],
            "alreadyImported": bool(already),
            "restored": {name: entry["rows"] for name, entry in manifest["tables"].items()},
            "droppedColumns": importer.dropped,
            "skippedTables": importer.skipped,
            "unpausedDagCount": len(active),
            "pausedDagCount": len(paused),
            "placeholderDagCount": placeholders,
            "conflicts": importer.conflicts,
            "resetTaskInstances": importer.reset,
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
