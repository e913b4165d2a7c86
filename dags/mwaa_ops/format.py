"""Backup format v1 (docs/backup-format.md): value encoding, table files, manifest checks."""

from __future__ import annotations

import base64
import datetime as _dt
import gzip
import hashlib
import json
import re
from decimal import Decimal
from typing import IO, Any, Dict, Iterable, Iterator, List, Optional, Tuple

from . import FORMAT_VERSION
from .errors import BackupIncompatible, ChecksumMismatch, TransferError

BINARY_TAG = "$binary"
#: A json column holding the JSON value ``null`` (SQLAlchemy's JSON type stores Python None that
#: way) is not SQL NULL: it is written as ``{"$jsonNull": true}`` so the text comes back exactly.
JSON_NULL_TAG = "$jsonNull"


class _JsonNull:
    """What the export's JSON typecaster returns for a stored ``null`` (see batching.py)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "JSON_NULL"


JSON_NULL = _JsonNull()
MANDATORY_TABLES = ("variable", "connection", "slot_pool")
#: Format versions this reader restores: v1 (JSON Lines only) and v2 (COPY text for history tables).
READABLE_VERSIONS = (1, 2)
ENCODINGS = ("jsonl", "copy")
#: Tables the importer re-creates through Airflow's models or replaces: never COPY text.
_JSONL_ONLY = ("variable", "connection", "slot_pool")


def _check_encoding(name: str, entry: Dict[str, Any], version: Any, tables: Dict[str, Any]) -> None:
    """v2's per-table ``encoding``; v1 has none (every file is JSON Lines)."""
    encoding = entry.get("encoding", "jsonl")
    if version == 1 and "encoding" in entry:
        raise BackupIncompatible(f"manifest table {name} has an encoding, which format v1 does not know")
    if encoding not in ENCODINGS:
        raise BackupIncompatible(f"manifest table {name} has an unknown encoding {str(encoding)[:20]!r}")
    if encoding == "copy" and name in _JSONL_ONLY:
        raise BackupIncompatible(f"manifest table {name} must be JSON Lines (it is restored through Airflow's models)")
    if encoding == "jsonl":
        # The JSON Lines importer keeps its id maps in Python, the COPY importer in the database:
        # a JSON Lines table cannot reference a COPY one.
        for ref in (entry.get("references") or {}).values():
            target = tables.get(str(ref).split(".", 1)[0])
            if isinstance(target, dict) and target.get("encoding") == "copy":
                raise BackupIncompatible(f"manifest table {name} (jsonl) references the copy table {ref}")


def encode_value(value: Any) -> Any:
    """One column value as its JSON Lines representation (see the table in the format doc)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if value is JSON_NULL:
        return {JSON_NULL_TAG: True}
    if isinstance(value, float):
        return value
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            # timestamp without time zone: Airflow stores UTC there (e.g. trigger_timeout).
            return value.isoformat()
        return value.astimezone(_dt.timezone.utc).isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {BINARY_TAG: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dict, list)):
        # json/jsonb columns arrive parsed: the value itself is the encoding.
        return value
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    raise TypeError(f"cannot encode a {type(value).__name__} value")


def encode_row(columns: List[str], row: Iterable[Any]) -> bytes:
    """One row as one line: an object keyed by column name, newline-terminated."""
    obj = {name: encode_value(value) for name, value in zip(columns, row)}
    # allow_nan=False: NaN is not JSON and other readers (JSON.parse) would reject the file.
    return (json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n").encode(
        "utf-8"
    )


def is_json_null(value: Any) -> bool:
    return isinstance(value, dict) and value == {JSON_NULL_TAG: True}


def decode_binary(value: Any) -> Any:
    """``{"$binary": b64}`` → bytes; anything else unchanged (used for bytea columns only)."""
    if isinstance(value, dict) and set(value) == {BINARY_TAG}:
        return base64.b64decode(value[BINARY_TAG])
    return value


class TableFileWriter:
    """Writes rows to a gzip JSON Lines file and counts them; an empty table is a gzip of 0 bytes."""

    def __init__(self, fileobj: IO[bytes], columns: List[str]):
        self.columns = columns
        self.rows = 0
        # mtime=0 keeps the file byte-identical for identical content (stable checksums).
        self._gzip = gzip.GzipFile(fileobj=fileobj, mode="wb", compresslevel=6, mtime=0)

    def write_row(self, row: Iterable[Any]) -> int:
        """Append one row; returns the size of its encoded line (what batches are measured in)."""
        line = encode_row(self.columns, row)
        self._gzip.write(line)
        self.rows += 1
        return len(line)

    def write_rows(self, rows: Iterable[Iterable[Any]]) -> int:
        lines = [encode_row(self.columns, row) for row in rows]
        if lines:
            self._gzip.write(b"".join(lines))
        self.rows += len(lines)
        return len(lines)

    def close(self) -> None:
        self._gzip.close()


def iter_table_file(fileobj: IO[bytes]) -> Iterator[Dict[str, Any]]:
    """Rows of a table file, one dict per line."""
    for row, _size in iter_table_file_sized(fileobj):
        yield row


def iter_table_file_sized(fileobj: IO[bytes]) -> Iterator[Tuple[Dict[str, Any], int]]:
    """``(row, size of its line in bytes)`` for each line of a table file (sizes bound the batches)."""
    with gzip.GzipFile(fileobj=fileobj, mode="rb") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line), len(line)


def sha256_of(path: str) -> tuple:
    """(size, sha256 hex) of a file as stored."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def utc_now_iso(now: Optional[_dt.datetime] = None) -> str:
    """``createdAt`` style: milliseconds and ``Z``, like JavaScript's toISOString."""
    moment = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_BACKUP_ID = re.compile(r"^\d{8}T\d{6}Z-[A-Za-z0-9-]{1,40}$")


def is_backup_id(value: str) -> bool:
    return bool(_BACKUP_ID.match(value))


def validate_manifest(manifest: Any, environment: Optional[str], backup_id: Optional[str]) -> Dict[str, Any]:
    """Checks 1 and 3 of "Verification" (files are checked when they are read)."""
    if not isinstance(manifest, dict):
        raise BackupIncompatible("manifest.json is not a JSON object")
    version = manifest.get("formatVersion")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise BackupIncompatible(
            f"manifest formatVersion {version!r} is not supported (this reader knows "
            f"{', '.join(str(v) for v in READABLE_VERSIONS)})"
        )
    if manifest.get("kind") != "database":
        raise BackupIncompatible(f"manifest kind {manifest.get('kind')!r} cannot be imported into Airflow 2.x")
    if environment is not None and manifest.get("environment") != environment:
        raise BackupIncompatible(
            f"backup belongs to environment {manifest.get('environment')!r}, not {environment!r}"
        )
    if backup_id is not None and manifest.get("backupId") != backup_id:
        raise BackupIncompatible(f"manifest backupId {manifest.get('backupId')!r} is not {backup_id!r}")
    for key in ("activeDags", "pausedDags"):
        # pausedDags is absent from backups written before it existed: nothing is paused then.
        value = manifest.get(key, [])
        if not isinstance(value, list) or not all(isinstance(dag_id, str) for dag_id in value):
            raise BackupIncompatible(f"manifest {key} must be a list of DAG ids")
    tables = manifest.get("tables")
    if not isinstance(tables, dict):
        raise BackupIncompatible("manifest has no tables")
    for name in MANDATORY_TABLES:
        if name not in tables:
            raise BackupIncompatible(f"manifest lacks the mandatory table {name}")
    for name, entry in tables.items():
        # Table and column names end up in SQL and local file names: identifiers only.
        if not _IDENTIFIER.match(name):
            raise BackupIncompatible(f"manifest table name {name[:64]!r} is not a plain identifier")
        rows = entry.get("rows") if isinstance(entry, dict) else None
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
            raise BackupIncompatible(f"manifest table {name} has an invalid row count")
        if not isinstance(entry.get("columns"), list) or not isinstance(entry.get("file"), str):
            raise BackupIncompatible(f"manifest table {name} lacks columns or file")
        if not all(isinstance(col, str) and _IDENTIFIER.match(col) for col in entry["columns"]):
            raise BackupIncompatible(f"manifest table {name} has a column name that is not a plain identifier")
        _check_encoding(name, entry, version, tables)
    return manifest


class BackupTampered(TransferError):
    """The manifest is not the one the workflow verified and recorded (``conf.backup.manifestSha256``).

    Defined here rather than in errors.py so that the digest check stays one small change; its
    name is the SendTaskFailure ``error``, like every TransferError's.
    """

    name = "MwaaOps.BackupTampered"


def check_manifest_digest(url: str, body: bytes, expected: Optional[str]) -> None:
    """The manifest bytes must have the SHA-256 the workflow recorded when it verified the backup.

    Checked on the bytes that are then parsed, before anything else: a manifest swapped in after
    the workflow's VerifyBackup, with table files and checksums to match, passes every other check.
    """
    if expected is None:
        return
    actual = hashlib.sha256(body).hexdigest()
    if actual != expected:
        raise BackupTampered(
            f"{url} is not the manifest the workflow verified (conf.backup.manifestSha256): sha256 "
            f"{actual[:12]}…, recorded {expected[:12]}…; it was rewritten after VerifyBackup and "
            "nothing was restored (restore the object's earlier version, then resume again)"
        )


def check_file(name: str, path: str, entry: Dict[str, Any]) -> None:
    """Check 2 of "Verification": size and SHA-256 of the stored (compressed) file."""
    size, digest = sha256_of(path)
    if size != entry.get("bytes") or digest != entry.get("sha256"):
        raise ChecksumMismatch(
            f"{name}: stored file has {size} bytes / sha256 {digest[:12]}…, manifest says "
            f"{entry.get('bytes')} bytes / {str(entry.get('sha256'))[:12]}…; the backup is corrupted "
            "and must not be restored (restore an earlier verified backup)"
        )
