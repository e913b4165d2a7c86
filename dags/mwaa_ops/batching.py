"""Batches bounded by bytes as well as rows, so memory depends on the batch size, not the table.

A worker that exported a table can import it again: both sides hold at most about one batch of
rows (``batch_bytes`` of encoded JSON Lines, or a single row when one row is bigger than that) at
a time, whatever the table's size. Rows arrive from PostgreSQL through a server-side cursor whose
fetch size adapts to the biggest row seen so far; the first fetch is a single row, so one huge
XCom value never arrives together with thousands of others.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Iterable, Iterator, List, Sequence, Tuple

from .format import JSON_NULL

#: Default cap on one batch: encoded JSON Lines bytes (export) or file lines (import).
DEFAULT_BATCH_BYTES = 16 * 1024 * 1024
#: Default cap on rows per batch (and per fetch).
DEFAULT_BATCH_ROWS = 5000

_cursor_names = itertools.count(1)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def fetch_size(largest_row: int, batch_bytes: int, batch_rows: int) -> int:
    """Rows to fetch next: as many as fit in ``batch_bytes`` if every row were the largest seen."""
    if largest_row <= 0:
        return 1
    return max(1, min(batch_rows, batch_bytes // largest_row))


class AdaptiveRows:
    """Iterate a table's rows (tuples in ``columns`` order) through a server-side cursor.

    ``observe(size)`` tells it how many bytes the last row became; the next fetch is sized from the
    largest row so far. On psycopg2 the cursor is a named (server-side) cursor inside the caller's
    transaction, so the REPEATABLE READ snapshot applies; other drivers get a plain cursor.
    """

    def __init__(self, conn: Any, table: str, columns: Sequence[str], order_by: Sequence[str],
                 batch_bytes: int, batch_rows: int):
        self.batch_bytes = batch_bytes
        self.batch_rows = batch_rows
        self.largest = 0
        select = ", ".join(quote(col) for col in columns)
        order = ", ".join(quote(col) for col in order_by)
        self._sql = f"SELECT {select} FROM {quote(table)} ORDER BY {order}"
        raw = conn.connection  # the DBAPI connection of the caller's transaction
        try:
            self._cursor = raw.cursor(name=f"mwaa_ops_export_{next(_cursor_names)}")
        except TypeError:  # drivers without named cursors
            self._cursor = raw.cursor()
        _keep_json_null(self._cursor)
        self._cursor.execute(self._sql)

    def observe(self, size: int) -> None:
        if size > self.largest:
            self.largest = size

    def __iter__(self) -> Iterator[Tuple[Any, ...]]:
        try:
            while True:
                rows = self._cursor.fetchmany(fetch_size(self.largest, self.batch_bytes, self.batch_rows))
                if not rows:
                    return
                for row in rows:
                    yield tuple(row)
        finally:
            self._cursor.close()


def _json_or_null(text: Any) -> Any:
    if text is None:
        return None
    return JSON_NULL if text.strip() == "null" else json.loads(text)


def _keep_json_null(cursor: Any) -> None:
    """psycopg2 parses json columns itself and turns both SQL NULL and the JSON text ``null`` into
    None; on this cursor a stored ``null`` becomes JSON_NULL instead, so it survives the backup."""
    try:
        import psycopg2.extras
    except ImportError:  # pragma: no cover - another driver: values as it returns them
        return
    try:
        psycopg2.extras.register_default_json(conn_or_curs=cursor, loads=_json_or_null)
        psycopg2.extras.register_default_jsonb(conn_or_curs=cursor, loads=_json_or_null)
    except (TypeError, psycopg2.ProgrammingError):  # pragma: no cover - not a psycopg2 cursor
        return


def byte_batches(items: Iterable[Tuple[Any, int]], batch_bytes: int, batch_rows: int) -> Iterator[List[Any]]:
    """Group ``(item, size)`` pairs into lists of at most ``batch_rows`` items whose sizes add up
    to at most ``batch_bytes`` (a single item bigger than that is a batch of its own)."""
    batch: List[Any] = []
    total = 0
    for item, size in items:
        if batch and (total + size > batch_bytes or len(batch) >= batch_rows):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += size
    if batch:
        yield batch
