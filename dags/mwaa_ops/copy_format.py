"""Format v2 table files: PostgreSQL ``COPY`` text, gzip-compressed (docs/backup-format.md).

The export runs ``COPY (SELECT …) TO STDOUT`` and streams what PostgreSQL sends through gzip and
SHA-256 into the local file that is then uploaded; the import streams the gunzipped file into
``COPY … FROM STDIN``. Python never parses a row, which is what makes both run near COPY speed,
and never holds more than one row plus one ``batch_bytes`` buffer, whatever the table's size.

COPY's text output depends on session settings (time zone, date style, bytea and float output):
both sides pin them with ``pin_session`` so the text is the same on every server and decodes to
the same values on import.
"""

from __future__ import annotations

import base64
import datetime as _dt
import gzip
import hashlib
import json
import zlib
from decimal import Decimal
from typing import IO, Any, Dict, Iterator, List, Optional

#: Settings that make COPY's text output one fixed, lossless spelling (SET LOCAL: this transaction only).
SESSION_SETTINGS = (
    ("TimeZone", "UTC"),
    ("DateStyle", "ISO, YMD"),
    ("IntervalStyle", "postgres"),
    ("bytea_output", "hex"),
    # PostgreSQL 12+: any value > 0 prints floats in the shortest form that reads back exactly.
    ("extra_float_digits", "3"),
)
#: gzip level 1: on COPY text it compresses ~8× (vs ~10× at 6) at several times the speed, and
#: compression is the export's largest cost after PostgreSQL itself.
GZIP_LEVEL = 1
#: What the writer collects before compressing (one COPY row arrives per write call).
_CHUNK = 1 << 20


def pin_session(cursor: Any) -> None:
    for name, value in SESSION_SETTINGS:
        cursor.execute(f"SET LOCAL {name} = '{value}'")


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def column_types(cursor: Any, table: str) -> Dict[str, str]:
    """Column → SQL type as ``format_type`` spells it (typmod left out: casts must not truncate)."""
    cursor.execute(
        "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
        "WHERE attrelid = quote_ident(%s)::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        (table,),
    )
    return {name: type_name for name, type_name in cursor.fetchall()}


class HashingGzipWriter:
    """A write-only file for ``copy_expert``: gzip (deterministic header, mtime 0) → SHA-256 → ``out``.

    Counts rows as it goes: in COPY text a raw newline only ever ends a row (newlines inside
    values are escaped as ``\\n``).
    """

    def __init__(self, out: IO[bytes], level: int = GZIP_LEVEL):
        self._out = out
        # wbits 31: a gzip wrapper whose header zlib writes with mtime 0, so equal input gives equal files.
        self._deflate = zlib.compressobj(level, zlib.DEFLATED, 31)
        self._hash = hashlib.sha256()
        self._pending: List[bytes] = []
        self._pending_bytes = 0
        self.rows = 0
        self.bytes = 0
        self.raw_bytes = 0

    def write(self, data: Any) -> int:
        chunk = bytes(data) if not isinstance(data, bytes) else data
        self._pending.append(chunk)
        self._pending_bytes += len(chunk)
        if self._pending_bytes >= _CHUNK:
            self._flush()
        return len(chunk)

    def _flush(self) -> None:
        if not self._pending:
            return
        block = b"".join(self._pending)
        self._pending, self._pending_bytes = [], 0
        self.rows += block.count(b"\n")
        self.raw_bytes += len(block)
        self._emit(self._deflate.compress(block))

    def _emit(self, compressed: bytes) -> None:
        if compressed:
            self._hash.update(compressed)
            self.bytes += len(compressed)
            self._out.write(compressed)

    def close(self) -> None:
        self._flush()
        self._emit(self._deflate.flush())

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


def copy_out(cursor: Any, select_sql: str, out: IO[bytes], params: Any = None) -> HashingGzipWriter:
    """Run ``COPY (select_sql) TO STDOUT`` into a gzip file; returns the writer (rows, bytes, sha256)."""
    writer = HashingGzipWriter(out)
    sql = select_sql if params is None else cursor.mogrify(select_sql, params).decode("utf-8")
    cursor.copy_expert(f"COPY ({sql}) TO STDOUT", writer)
    writer.close()
    return writer


def copy_in(cursor: Any, table: str, columns: List[str], path: str, read_bytes: int) -> int:
    """Stream a gzip COPY text file into ``table`` (``columns`` in file order), ``read_bytes`` at a
    time; returns the rows COPY reports (-1 when the driver does not say)."""
    quoted = ", ".join(quote(col) for col in columns)
    with open(path, "rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as stream:
        cursor.copy_expert(f"COPY {quote(table)} ({quoted}) FROM STDIN", stream, size=read_bytes)
    return cursor.rowcount


_UNESCAPE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def unescape_field(field: str) -> Optional[str]:
    """One COPY text field: ``\\N`` is NULL; backslash escapes (incl. octal/hex bytes) decoded."""
    if field == "\\N":
        return None
    if "\\" not in field:
        return field
    out: List[str] = []
    i = 0
    while i < len(field):
        char = field[i]
        if char != "\\" or i + 1 == len(field):
            out.append(char)
            i += 1
            continue
        nxt = field[i + 1]
        if nxt in _UNESCAPE:
            out.append(_UNESCAPE[nxt])
            i += 2
        elif nxt in "01234567":
            j = i + 1
            while j < len(field) and j < i + 4 and field[j] in "01234567":
                j += 1
            out.append(chr(int(field[i + 1:j], 8)))
            i = j
        elif nxt == "x" and i + 2 < len(field) and field[i + 2] in "0123456789abcdefABCDEF":
            j = i + 2
            while j < len(field) and j < i + 4 and field[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(chr(int(field[i + 2:j], 16)))
            i = j
        else:  # any other escaped character stands for itself
            out.append(nxt)
            i += 2
    return "".join(out)


def v1_value(text: Optional[str], type_name: str) -> Any:
    """A COPY text value as format v1 encodes the same column value (format.encode_value)."""
    if text is None:
        return None
    if type_name == "bytea":
        return {"$binary": base64.b64encode(bytes.fromhex(text[2:])).decode("ascii")}
    if type_name in ("smallint", "integer", "bigint"):
        return int(text)
    if type_name in ("double precision", "real"):
        return float(text)
    if type_name == "numeric":
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else float(number)
    if type_name == "boolean":
        return text == "t"
    if type_name.startswith("timestamp"):
        stamp = _dt.datetime.fromisoformat(text)
        return stamp.astimezone(_dt.timezone.utc).isoformat() if stamp.tzinfo else stamp.isoformat()
    if type_name in ("json", "jsonb"):
        return {"$jsonNull": True} if text.strip() == "null" else json.loads(text)
    return text


def iter_copy_rows(fileobj: IO[bytes], columns: List[str], types: Dict[str, str]) -> Iterator[Dict[str, Any]]:
    """Rows of a v2 COPY table file as v1 row objects (column → v1-encoded value): for checks and tools."""
    with gzip.GzipFile(fileobj=fileobj, mode="rb") as stream:
        for line in stream:
            fields = line.decode("utf-8").rstrip("\n").split("\t")
            if len(fields) != len(columns):
                raise ValueError(f"a COPY row has {len(fields)} fields, the manifest lists {len(columns)} columns")
            yield {col: v1_value(unescape_field(field), types.get(col, "text")) for col, field in zip(columns, fields)}
