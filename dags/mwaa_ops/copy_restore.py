"""Import format v2 history tables: COPY into a staging table, then the v1 rules as set-based SQL.

Per table, inside the import's one transaction (restore.py):

1. ``COPY`` the file into ``mwaa_ops_s_<table>``: a TEMP table with every backup column as
   ``text`` (so any source type reads back whatever the target's type), a row number that keeps
   the file's order, and flags for rows that are skipped (conflicts) or reused;
2. skip what v1 skips: rows of runs the target already holds (``per_run`` tables), rows whose
   reference points at a skipped row, rows whose unique key the target already holds (dag_run's
   two unique keys; the primary key of tables whose key is neither generated nor per run). A
   reference that points at a row the backup does not hold is an error, as in v1;
3. reset task instances caught mid-flight in runs that are still queued or running;
4. ``reuseOn``: rows equal to a target row are mapped to it instead of inserted;
5. new generated keys from the target's sequence, in file order, old → new kept in
   ``mwaa_ops_m_<table>`` for the tables that reference this one;
6. one ``INSERT … SELECT`` into the real table, each column cast from text to the target's type
   and each reference rewritten through its map.

The skipped runs and old keys live in TEMP tables too (``mwaa_ops_skipped_run``,
``mwaa_ops_k_<table>``): nothing is held in Python, so memory does not grow with the backup.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

from .copy_format import column_types, copy_in, pin_session, quote
from .errors import BackupIncompatible

ORPHANED_STATES = ("queued", "running", "restarting", "deferred")
UNFINISHED_RUN_STATES = ("queued", "running")
_DEFERRED_CLEARED = ("next_method", "next_kwargs", "trigger_timeout")
_ORD, _SKIP, _REUSED = "mwaa_ops_ord", "mwaa_ops_skip", "mwaa_ops_reused"
_SKIPPED_RUN = "mwaa_ops_skipped_run"


def _stage(table: str) -> str:
    return quote(f"mwaa_ops_s_{table}")


def _map(table: str) -> str:
    return quote(f"mwaa_ops_m_{table}")


def _skipped(table: str) -> str:
    return quote(f"mwaa_ops_k_{table}")


def _list(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


class CopyImporter:
    """The SQL-side state of one import: maps and skipped keys of the referenced tables."""

    def __init__(self, conn: Any, referenced: Set[str], read_bytes: int):
        self.cursor = conn.connection.cursor()  # the DBAPI connection of the import's transaction
        self.read_bytes = read_bytes
        self.reset = 0
        self._staged: Set[str] = set()
        pin_session(self.cursor)
        self._run(f"CREATE TEMP TABLE {_SKIPPED_RUN} (dag_id text, run_id text, PRIMARY KEY (dag_id, run_id)) "
                  "ON COMMIT DROP")
        for name in sorted(referenced):
            self._run(f"CREATE TEMP TABLE {_map(name)} (old bigint PRIMARY KEY, new bigint) ON COMMIT DROP")
            self._run(f"CREATE TEMP TABLE {_skipped(name)} (old bigint PRIMARY KEY) ON COMMIT DROP")
        self.referenced = referenced

    def _run(self, sql: str, params: Any = None) -> int:
        self.cursor.execute(sql, params)
        return self.cursor.rowcount

    def _scalar(self, sql: str, params: Any = None) -> Any:
        self.cursor.execute(sql, params)
        row = self.cursor.fetchone()
        return None if row is None else row[0]

    def import_table(self, name: str, entry: Dict[str, Any], path: str, per_run: bool,
                     check_primary_key: bool) -> Tuple[int, int]:
        """Import one table; returns (rows in the file, conflicts: rows skipped because the target holds them)."""
        backup_columns: List[str] = entry["columns"]
        target_types = column_types(self.cursor, name)
        columns = [col for col in backup_columns if col in target_types]
        generated: Optional[str] = entry.get("generatedKey") if entry.get("generatedKey") in columns else None
        references = {col: ref.split(".", 1)[0] for col, ref in (entry.get("references") or {}).items()
                      if col in columns}
        reuse_on = [col for col in entry.get("reuseOn") or [] if col in columns] if generated else []
        stage = _stage(name)

        # 1. staging
        staged_columns = ", ".join(f"{quote(col)} text" for col in backup_columns)
        self._run(f"CREATE TEMP TABLE {stage} ({_ORD} bigserial, {staged_columns}, "
                  f"{_SKIP} boolean NOT NULL DEFAULT false, {_REUSED} bigint) ON COMMIT DROP")
        rows = copy_in(self.cursor, f"mwaa_ops_s_{name}", backup_columns, path, self.read_bytes)
        if rows < 0:  # a driver that does not report COPY's row count
            rows = self._scalar(f"SELECT count(*) FROM {stage}")
        if name in self.referenced or name == "dag_run":
            # Statistics for the tables later statements look rows up in (maps, the run states);
            # the big per-run tables are only scanned, so they skip it.
            self._run(f"ANALYZE {stage}")
        self._staged.add(name)

        def value(col: str) -> str:
            """A staged column as the target's type (references: still the backup's ids)."""
            return f"s.{quote(col)}::{target_types[col]}"

        # 2. conflicts
        conflicts = 0
        if per_run and {"dag_id", "run_id"} <= set(columns) and self._scalar(f"SELECT count(*) FROM {_SKIPPED_RUN}"):
            conflicts += self._run(
                f"UPDATE {stage} s SET {_SKIP} = true FROM {_SKIPPED_RUN} r "
                "WHERE r.dag_id = s.dag_id AND r.run_id = s.run_id")
        for col, target in references.items():
            conflicts += self._run(
                f"UPDATE {stage} s SET {_SKIP} = true WHERE NOT s.{_SKIP} AND s.{quote(col)} IS NOT NULL "
                f"AND s.{quote(col)}::bigint IN (SELECT old FROM {_skipped(target)})")
            dangling = self._scalar(
                f"SELECT s.{quote(col)} FROM {stage} s WHERE NOT s.{_SKIP} AND s.{quote(col)} IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {_map(target)} m WHERE m.old = s.{quote(col)}::bigint) LIMIT 1")
            if dangling is not None:
                shown = int(dangling) if dangling.lstrip("-").isdigit() else dangling
                raise BackupIncompatible(
                    f"{name}.{col} refers to {entry['references'][col]} row {shown!r}, which the backup does not hold")

        def rewritten(col: str) -> str:
            if col in references:
                return f"(SELECT m.new FROM {_map(references[col])} m WHERE m.old = s.{quote(col)}::bigint)"
            return value(col)

        unique: List[List[str]] = []
        if name == "dag_run":
            unique = [["dag_id", "run_id"], ["dag_id", "execution_date"]]
        elif check_primary_key and not generated:
            unique = [list(entry.get("primaryKey") or [])]
        collided = 0
        for key in unique:
            if not key or not all(col in columns for col in key):
                continue
            if not self._scalar(f"SELECT EXISTS (SELECT 1 FROM {quote(name)})"):
                continue
            match = " AND ".join(f"t.{quote(col)} = {rewritten(col)}" for col in key)
            collided += self._run(f"UPDATE {stage} s SET {_SKIP} = true WHERE NOT s.{_SKIP} "
                                  f"AND EXISTS (SELECT 1 FROM {quote(name)} t WHERE {match})")
        conflicts += collided
        if collided and name == "dag_run":
            self._run(f"INSERT INTO {_SKIPPED_RUN} (dag_id, run_id) SELECT DISTINCT dag_id, run_id FROM {stage} "
                      f"WHERE {_SKIP} ON CONFLICT DO NOTHING")
        if generated and name in self.referenced:
            self._run(f"INSERT INTO {_skipped(name)} (old) SELECT DISTINCT {quote(generated)}::bigint FROM {stage} "
                      f"WHERE {_SKIP} ON CONFLICT DO NOTHING")

        # 3. task instances caught mid-flight
        if name == "task_instance" and "state" in columns and "dag_run" in self._staged:
            self.reset += self._reset_orphans(stage, columns)

        # 4. reuse
        if reuse_on:
            match = " AND ".join(f"t.{quote(col)} IS NOT DISTINCT FROM {value(col)}" for col in reuse_on)
            self._run(f"UPDATE {stage} s SET {_REUSED} = (SELECT min(t.{quote(generated)}) FROM {quote(name)} t "
                      f"WHERE {match}) WHERE NOT s.{_SKIP}")

        # 5. generated keys, in file order (the sequence resolved once: per row it costs a catalog lookup)
        mapped = generated is not None and name in self.referenced
        sequence = None
        if generated is not None:
            sequence = self._scalar("SELECT pg_get_serial_sequence(%s, %s)", (quote(name), generated))
            if sequence is None:
                raise BackupIncompatible(f"{name}.{generated} has no sequence in the target, so it cannot be generated")
        next_id = f"nextval('{sequence}'::regclass)" if sequence else ""
        if mapped:
            self._run(f"INSERT INTO {_map(name)} (old, new) SELECT s.{quote(generated)}::bigint, s.{_REUSED} "
                      f"FROM {stage} s WHERE NOT s.{_SKIP} AND s.{_REUSED} IS NOT NULL")
            self._run(
                f"INSERT INTO {_map(name)} (old, new) SELECT q.old, {next_id} FROM "
                f"(SELECT s.{quote(generated)}::bigint AS old FROM {stage} s WHERE NOT s.{_SKIP} "
                f"AND s.{_REUSED} IS NULL ORDER BY s.{_ORD}) q")

        # 6. the rows
        select = []
        joins = []
        for col in columns:
            if col == generated:
                if mapped:
                    select.append("g.new")
                    joins.append(f"JOIN {_map(name)} g ON g.old = s.{quote(col)}::bigint")
                else:
                    select.append(next_id)
            elif col in references:
                alias = f"r{len(joins)}"
                select.append(f"{alias}.new")
                joins.append(f"LEFT JOIN {_map(references[col])} {alias} ON {alias}.old = s.{quote(col)}::bigint")
            else:
                select.append(value(col))
        insert_columns = ", ".join(quote(col) for col in columns)
        # File order matters only where new keys are drawn in the SELECT itself (ids follow the
        # file's order, as in v1); elsewhere the sort would cost time and change nothing.
        order = f" ORDER BY s.{_ORD}" if generated is not None and not mapped else ""
        self._run(f"INSERT INTO {quote(name)} ({insert_columns}) SELECT {', '.join(select)} FROM {stage} s "
                  f"{' '.join(joins)} WHERE NOT s.{_SKIP} AND s.{_REUSED} IS NULL{order}")
        return rows, conflicts

    def _reset_orphans(self, stage: str, columns: List[str]) -> int:
        in_unfinished_run = (
            f"EXISTS (SELECT 1 FROM {_stage('dag_run')} r WHERE NOT r.{_SKIP} AND r.dag_id = s.dag_id "
            f"AND r.run_id = s.run_id AND r.state IN ({_list(UNFINISHED_RUN_STATES)}))"
        )
        cleared = "".join(f", {quote(col)} = NULL" for col in _DEFERRED_CLEARED if col in columns)
        count = self._run(f"UPDATE {stage} s SET state = NULL{cleared} WHERE NOT s.{_SKIP} "
                          f"AND s.state = 'deferred' AND {in_unfinished_run}")
        others = tuple(state for state in ORPHANED_STATES if state != "deferred")
        count += self._run(f"UPDATE {stage} s SET state = NULL WHERE NOT s.{_SKIP} "
                           f"AND s.state IN ({_list(others)}) AND {in_unfinished_run}")
        return count

    def close(self) -> None:
        self.cursor.close()
