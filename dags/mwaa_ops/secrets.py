"""Reading and re-creating variables and connections.

Inside Airflow the DAG files pass an adapter built on Airflow's ``Variable``/``Connection``
models, which decrypt with the source environment's Fernet key and encrypt with the target's.
``SqlSecrets`` is the same contract in plain SQL with injectable ``decrypt``/``encrypt``
callables: the tests use it, and it documents exactly which columns the models fill.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Optional, Protocol

import sqlalchemy as sa

from .errors import TransferError
from .tables import CARRIED_BY_NAME

#: The model fields a backup carries (catalogue.json, the tables' ``only``).
VARIABLE_COLUMNS: List[str] = list(CARRIED_BY_NAME["variable"].only or ())
CONNECTION_COLUMNS: List[str] = list(CARRIED_BY_NAME["connection"].only or ())


class SecretsAdapter(Protocol):
    def iter_variables(self, conn: Any) -> Iterator[Dict[str, Any]]: ...
    def iter_connections(self, conn: Any) -> Iterator[Dict[str, Any]]: ...
    def replace_variables(self, conn: Any, rows: List[Dict[str, Any]]) -> None: ...
    def replace_connections(self, conn: Any, rows: List[Dict[str, Any]]) -> None: ...


class EncryptedWithoutKey(TransferError):
    name = "MwaaOps.EncryptedWithoutKey"


_VARIABLE = sa.table("variable", *(sa.column(c) for c in ["id", "is_encrypted", *VARIABLE_COLUMNS]))
_CONNECTION = sa.table(
    "connection", *(sa.column(c) for c in ["id", "is_encrypted", "is_extra_encrypted", *CONNECTION_COLUMNS])
)


class SqlSecrets:
    """Variables/connections through SQL; ``decrypt``/``encrypt`` stand in for Airflow's Fernet."""

    def __init__(self, decrypt: Optional[Callable[[str], str]] = None, encrypt: Optional[Callable[[str], str]] = None):
        self.decrypt = decrypt
        self.encrypt = encrypt

    def _plain(self, value: Optional[str], encrypted: bool, what: str) -> Optional[str]:
        if value is None or not encrypted:
            return value
        if self.decrypt is None:
            raise EncryptedWithoutKey(f"{what} is encrypted and no decryption was configured")
        return self.decrypt(value)

    def _stored(self, value: Optional[str]) -> tuple:
        if value is None or self.encrypt is None:
            return value, False
        return self.encrypt(value), True

    def iter_variables(self, conn: Any) -> Iterator[Dict[str, Any]]:
        query = sa.select(_VARIABLE.c.key, _VARIABLE.c.val, _VARIABLE.c.description, _VARIABLE.c.is_encrypted)
        for key, val, description, encrypted in conn.execute(query.order_by(_VARIABLE.c.key)):
            yield {"key": key, "val": self._plain(val, bool(encrypted), "a variable"), "description": description}

    def iter_connections(self, conn: Any) -> Iterator[Dict[str, Any]]:
        c = _CONNECTION.c
        query = sa.select(*(c[name] for name in CONNECTION_COLUMNS), c.is_encrypted, c.is_extra_encrypted)
        for row in conn.execute(query.order_by(c.conn_id)):
            values = dict(zip(CONNECTION_COLUMNS, row[: len(CONNECTION_COLUMNS)]))
            values["password"] = self._plain(values["password"], bool(row[-2]), "a connection password")
            values["extra"] = self._plain(values["extra"], bool(row[-1]), "a connection extra")
            yield values

    def replace_variables(self, conn: Any, rows: List[Dict[str, Any]]) -> None:
        conn.execute(_VARIABLE.delete())
        records = []
        for row in rows:
            val, encrypted = self._stored(row.get("val"))
            records.append({"key": row["key"], "val": val, "description": row.get("description"), "is_encrypted": encrypted})
        if records:
            conn.execute(_VARIABLE.insert(), records)

    def replace_connections(self, conn: Any, rows: List[Dict[str, Any]]) -> None:
        conn.execute(_CONNECTION.delete())
        records = []
        for row in rows:
            record = {name: row.get(name) for name in CONNECTION_COLUMNS}
            record["password"], record["is_encrypted"] = self._stored(row.get("password"))
            record["extra"], record["is_extra_encrypted"] = self._stored(row.get("extra"))
            records.append(record)
        if records:
            conn.execute(_CONNECTION.insert(), records)
