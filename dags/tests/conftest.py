"""Session fixtures: one throwaway PostgreSQL server and one s3rver for the whole run; each test
gets fresh Airflow metadata databases of the versions it asks for, made from the schema fixtures
that real Airflow generated (dags/tests/schemas/airflow-<version>.sql, see generate.py there)."""

from __future__ import annotations

import itertools
import os
import sys

import pytest
import sqlalchemy as sa

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
sys.path.insert(0, os.path.dirname(__file__))

from airflow_schema import load_fixture  # noqa: E402
from pg_server import PgServer  # noqa: E402
from s3_server import BUCKET, S3Server  # noqa: E402

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def pg():
    server = PgServer().start()
    server.admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
    try:
        yield server
    finally:
        server.admin.dispose()
        server.stop()


@pytest.fixture(scope="session")
def template_db(pg):
    """``template_db(version)`` → name of a database loaded once from that version's fixture."""
    loaded = {}

    def load(version: str) -> str:
        if version not in loaded:
            name = "tpl_" + version.replace(".", "_")
            with pg.admin.connect() as conn:
                conn.execute(sa.text(f"CREATE DATABASE {name}"))
            load_fixture(pg.url(name), version)
            loaded[version] = name
        return loaded[version]

    return load


@pytest.fixture
def make_db(pg, template_db):
    """``make_db(version)`` → an Engine on a fresh database holding that version's real schema.

    Each database is a copy of a template database (CREATE DATABASE … TEMPLATE, a file copy), so a
    test starts from exactly what ``airflow db migrate`` leaves: the schema, ``default_pool`` and
    the current ``log_template``.
    """
    created = []

    def make(version: str):
        name = f"t{next(_counter)}_{version.replace('.', '_')}"
        with pg.admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name} TEMPLATE {template_db(version)}"))
        # future=True: Airflow 2.x creates its engine that way (settings.configure_orm), and it is
        # the SQLAlchemy 2.0 calling style, so the package is exercised as Airflow and 2.0 use it.
        engine = sa.create_engine(pg.url(name), future=True)
        created.append((name, engine))
        return engine

    yield make
    for name, engine in created:
        engine.dispose()
        with pg.admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))


@pytest.fixture(scope="session")
def s3():
    server = S3Server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_client(s3):
    return s3.client()


@pytest.fixture
def bucket():
    return BUCKET


def pytest_report_header(config):
    from real_airflow import installed_versions

    return f"real Airflow venvs: {', '.join(installed_versions()) or 'none'}"
