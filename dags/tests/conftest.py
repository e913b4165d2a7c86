"""Session fixtures: one throwaway PostgreSQL 15 server and one s3rver for the whole run; each
test gets fresh Airflow schemas of the versions it asks for."""

from __future__ import annotations

import itertools
import os
import sys

import pytest
import sqlalchemy as sa

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
sys.path.insert(0, os.path.dirname(__file__))

from airflow_schema import ddl  # noqa: E402
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


@pytest.fixture
def make_db(pg):
    """``make_db(version)`` → an Engine whose search_path is a fresh schema with that version's tables.

    A schema per test (DDL ≈ 0.1 s) rather than a database per test (CREATE DATABASE ≈ 0.5–1 s):
    the code under test uses unqualified names and the inspector's default schema, exactly as
    against Airflow's ``public`` schema.
    """
    created = []

    def make(version: str):
        name = f"t{next(_counter)}_{version.replace('.', '_')}"
        with pg.admin.connect() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {name}"))
        # future=True: Airflow 2.x creates its engine that way (settings.configure_orm), and it is
        # the SQLAlchemy 2.0 calling style, so the package is exercised as Airflow and 2.0 use it.
        engine = sa.create_engine(pg.url(), future=True, connect_args={"options": f"-csearch_path={name}"})
        with engine.begin() as conn:
            for statement in ddl(version):
                conn.execute(sa.text(statement))
        created.append((name, engine))
        return engine

    yield make
    for name, engine in created:
        engine.dispose()
        with pg.admin.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))


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
