"""Export one table as format v2 (COPY text, gzip): the row transforms of v1, done in SQL.

v1 changed two things row by row in Python (export.py): the export's own run and its task
instances are recorded as finished, and task tokens are blanked in ``dag_run.conf``. Here the
first is a CASE in the SELECT that COPY runs. The second needs Python (the conf is pickled), but
only for the few runs whose conf bytes contain the token's key: those are read first, blanked
with the same function as v1 (run_conf.py), and swapped in through a temporary table.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from typing import IO, Any, Dict, List, Optional, Tuple

from .copy_format import column_types, copy_out, pin_session, quote
from .run_conf import TOKEN_KEY, blank_task_token

#: States after which a run or task instance is history (export.py's FINISHED_STATES).
_FINISHED = ("success", "failed", "skipped", "upstream_failed", "removed")
_OVERRIDE = "mwaa_ops_conf_override"


def copy_table_name(table: str) -> str:
    return f"tables/{table}.copy.gz"


@dataclass
class CopiedTable:
    rows: int
    column_types: Dict[str, str]


def _token_overrides(cursor: Any, conf_type: str) -> int:
    """Fill the temporary override table with blanked confs; returns how many runs it holds."""
    if conf_type == "bytea":
        match = "position(convert_to(%s, 'UTF8') in conf) > 0"
    else:
        match = "strpos(conf::text, %s) > 0"
    cursor.execute(f"SELECT id, conf FROM dag_run WHERE conf IS NOT NULL AND {match}", (TOKEN_KEY,))
    changed: List[Tuple[Any, Any]] = []
    for run_id, value in cursor.fetchall():
        if isinstance(value, memoryview):
            value = bytes(value)
        blanked = blank_task_token(value)
        if blanked is not value:
            changed.append((run_id, blanked if isinstance(blanked, (bytes, str)) else json.dumps(blanked)))
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_OVERRIDE} (id bigint PRIMARY KEY, conf {conf_type}) "
                   "ON COMMIT DROP")
    cursor.execute(f"TRUNCATE {_OVERRIDE}")
    if changed:
        cursor.executemany(f"INSERT INTO {_OVERRIDE} (id, conf) VALUES (%s, %s)", changed)
    return len(changed)


def _select(table: str, columns: List[str], types: Dict[str, str], self_run: Optional[Tuple[str, str]],
            overrides: bool, primary_key: List[str]) -> str:
    own = "t.dag_id = %(own_dag)s AND t.run_id = %(own_run)s"
    unfinished = "(t.state IS NULL OR t.state NOT IN (" + ", ".join(f"'{s}'" for s in _FINISHED) + "))"
    finish = self_run is not None and table in ("dag_run", "task_instance") and {"dag_id", "run_id", "state"} <= set(columns)
    parts = []
    for col in columns:
        ref = f"t.{quote(col)}"
        if finish and col == "state":
            parts.append(f"CASE WHEN {own} AND {unfinished} THEN 'success' ELSE t.state END")
        elif finish and col == "end_date":
            parts.append(f"CASE WHEN {own} AND {unfinished} AND t.end_date IS NULL "
                         f"THEN %(now)s::{types[col]} ELSE t.end_date END")
        elif overrides and col == "conf":
            parts.append(f"CASE WHEN o.id IS NULL THEN t.conf ELSE o.conf END")
        else:
            parts.append(ref)
    join = f" LEFT JOIN {_OVERRIDE} o ON o.id = t.id" if overrides else ""
    order = ", ".join(f"t.{quote(col)}" for col in primary_key)
    return f"SELECT {', '.join(parts)} FROM {quote(table)} t{join} ORDER BY {order}"


def copy_table_file(conn: Any, table: str, columns: List[str], handle: IO[bytes],
                    self_run: Optional[Tuple[str, str]], now: _dt.datetime,
                    primary_key: Optional[List[str]] = None) -> CopiedTable:
    """Write ``table`` (``columns`` in order, rows in primary-key order) to ``handle`` as gzip COPY text,
    inside the caller's (REPEATABLE READ) transaction."""
    from .tables import CARRIED_BY_NAME

    key = primary_key or list(CARRIED_BY_NAME[table].primary_key)
    cursor = conn.connection.cursor()  # the DBAPI connection of the caller's transaction
    try:
        pin_session(cursor)
        all_types = column_types(cursor, table)
        types = {col: all_types[col] for col in columns}
        overrides = table == "dag_run" and "conf" in columns and "id" in columns and _token_overrides(
            cursor, types["conf"]) > 0
        params: Dict[str, Any] = {"now": now}
        if self_run is not None:
            params.update(own_dag=self_run[0], own_run=self_run[1])
        sql = _select(table, columns, types, self_run, overrides, key)
        writer = copy_out(cursor, sql, handle, params)
        return CopiedTable(rows=writer.rows, column_types=types)
    finally:
        cursor.close()
