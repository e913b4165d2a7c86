#!/usr/bin/env python3
"""Throughput of the Airflow 2.x export/import (dags/mwaa_ops) next to raw PostgreSQL COPY.

A throwaway PostgreSQL 15 server (the test harness's) gets the Airflow 2.10.3 schema and
N task instances (default 200,000) with matching runs (N/10), audit-log rows (N) and XComs (N/10).
Then, on the same server:
- export: ``export_backup`` in format v2 (COPY TO → gzip → SHA-256 → object store), then in
  format v1 (server-side cursors → gzip JSON Lines), the baseline, on the same data;
- import: ``import_backup`` of each into an empty schema (checksums, id remapping, one transaction;
  v2 through staging tables and set-based SQL);
- the physical reference: ``COPY (SELECT … ORDER BY pk) TO STDOUT`` of the same tables into
  local files, and ``COPY … FROM STDIN`` of those files into an empty schema.
The object store is a local directory behind the boto3 calls the code makes, so both sides
write local files and the ratio compares database + encoding work, not an S3 server.

Usage: <airflow venv>/bin/python bench/dags_throughput.py [--task-instances N] [--out FILE] [--json]
(``--json``: print the result as one JSON line on stdout, for bench/dags.bench.ts).
Needs PostgreSQL and a venv with SQLAlchemy/psycopg2/boto3 (npm run bench uses the airflow-2.11.0 venv).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(ROOT, "dags"), os.path.join(ROOT, "dags", "tests")]

import sqlalchemy as sa  # noqa: E402
from airflow_schema import load_fixture  # noqa: E402
from pg_server import PgServer  # noqa: E402

from mwaa_ops.conf import parse_conf  # noqa: E402
from mwaa_ops.export import export_backup  # noqa: E402
from mwaa_ops.restore import import_backup  # noqa: E402
from mwaa_ops.s3io import BackupStore  # noqa: E402
from mwaa_ops.secrets import SqlSecrets  # noqa: E402

VERSION = "2.10.3"
BIG_TABLES = ("dag_run", "task_instance", "log", "xcom")
ORDER = {"dag_run": "id", "task_instance": "dag_id, task_id, run_id, map_index", "log": "id",
         "xcom": "dag_run_id, task_id, map_index, key"}


class DirectoryS3:
    """The four boto3 S3 calls BackupStore makes, on a local directory."""

    def __init__(self, root: str):
        self.root = root

    def _path(self, bucket: str, key: str) -> str:
        return os.path.join(self.root, bucket, key)

    def put_object(self, Bucket, Key, Body, **_):
        path = self._path(Bucket, Key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = Body if isinstance(Body, bytes) else Body.read()
        with open(path, "wb") as out:
            out.write(data)

    def _missing(self):
        error = Exception("NoSuchKey")
        error.response = {"Error": {"Code": "NoSuchKey"}, "ResponseMetadata": {"HTTPStatusCode": 404}}
        return error

    def head_object(self, Bucket, Key):
        if not os.path.exists(self._path(Bucket, Key)):
            raise self._missing()

    def get_object(self, Bucket, Key):
        path = self._path(Bucket, Key)
        if not os.path.exists(path):
            raise self._missing()
        with open(path, "rb") as handle:
            return {"Body": io.BytesIO(handle.read())}


def schema_engine(server: PgServer, admin, name: str):
    """A fresh database holding real Airflow's schema (dags/tests/schemas, from airflow db migrate)."""
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    load_fixture(server.url(name), VERSION)
    return sa.create_engine(server.url(name), future=True)


def seed(engine, task_instances: int) -> dict:
    runs = max(1, task_instances // 10)
    with engine.begin() as conn:
        conn.execute(sa.text("""
            INSERT INTO dag_run (dag_id, run_id, queued_at, execution_date, start_date, end_date, state,
                run_type, external_trigger, conf, data_interval_start, data_interval_end, dag_hash,
                log_template_id, updated_at, clear_number)
            SELECT 'dag_' || (g % 200), 'scheduled__' || g, ts, ts, ts, ts + interval '90 seconds',
                   'success', 'scheduled', false, decode('80049505000000000000007d942e', 'hex'), ts,
                   ts + interval '1 hour', md5(g::text)::varchar(32), 1, ts, 0
            FROM (SELECT g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute' AS ts
                  FROM generate_series(1, :runs) g) s"""), {"runs": runs})
        conn.execute(sa.text("""
            INSERT INTO task_instance (task_id, dag_id, run_id, map_index, start_date, end_date, duration,
                state, try_number, max_tries, hostname, unixname, job_id, pool, pool_slots, queue,
                priority_weight, operator, queued_dttm, pid, updated_at, rendered_map_index,
                task_display_name, executor)
            SELECT 'task_' || t, r.dag_id, r.run_id, CASE WHEN t = 10 THEN 0 ELSE -1 END,
                   r.start_date, r.end_date, 9.5, 'success', 1, 0, 'ip-10-0-0-1.ec2.internal', 'airflow',
                   r.id, 'default_pool', 1, 'default', 1, 'PythonOperator', r.start_date, 4242,
                   r.end_date, NULL, 'Task ' || t, 'CeleryExecutor'
            FROM dag_run r CROSS JOIN generate_series(1, 10) t"""))
        conn.execute(sa.text("""
            INSERT INTO log (dttm, dag_id, task_id, map_index, event, execution_date, owner, extra,
                owner_display_name, run_id, try_number)
            SELECT end_date, dag_id, task_id, map_index, 'success', start_date, 'airflow',
                   '{"host_name": "ip-10-0-0-1", "full_command": "[''airflow'', ''tasks'', ''run'']"}',
                   NULL, run_id, 1
            FROM task_instance"""))
        conn.execute(sa.text("""
            INSERT INTO xcom (dag_run_id, task_id, map_index, key, dag_id, run_id, value, timestamp)
            SELECT r.id, 'task_1', -1, 'return_value', r.dag_id, r.run_id,
                   convert_to('{"rows": 1234, "path": "s3://bucket/' || r.run_id || '"}', 'UTF8'), r.end_date
            FROM dag_run r"""))
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in BIG_TABLES}
        conn.execute(sa.text("ANALYZE"))
    return counts


def copy_out(engine, directory: str) -> float:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        for table in BIG_TABLES:
            with open(os.path.join(directory, f"{table}.copy"), "wb") as out:
                cursor.copy_expert(f"COPY (SELECT * FROM {table} ORDER BY {ORDER[table]}) TO STDOUT", out)
        elapsed = time.perf_counter() - started
        raw.commit()
    finally:
        raw.close()
    return elapsed


def copy_in(engine, directory: str) -> float:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        for table in BIG_TABLES:  # dependency order: dag_run, task_instance, log, xcom
            with open(os.path.join(directory, f"{table}.copy"), "rb") as source:
                cursor.copy_expert(f"COPY {table} FROM STDIN", source)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--task-instances", type=int, default=int(os.environ.get("BENCH_DAGS_TASK_INSTANCES", 200000)))
    parser.add_argument("--out", default=os.path.join(HERE, "results", "dags-throughput.json"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    log = (lambda *a: print(*a, file=sys.stderr)) if args.json else print

    server = PgServer().start()
    admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
    work = tempfile.mkdtemp(prefix="mwaa-ops-bench-")
    try:
        source = schema_engine(server, admin, "source")
        started = time.perf_counter()
        counts = seed(source, args.task_instances)
        log(f"seeded {counts} in {time.perf_counter() - started:.1f}s")
        total_rows = sum(counts.values())

        secrets = SqlSecrets()
        phases = {}
        for version in (2, 1):  # the format this code writes, and v1 (the baseline) beside it
            backup_id = f"20261126T190000Z-bench-v{version}"
            raw_conf = {"backup": {"bucket": "bench", "prefix": f"backups/bench/{backup_id}/", "backupId": backup_id},
                        "environment": "bench", "execution_arn": f"arn:aws:states:::execution:bench:v{version}"}
            conf = parse_conf(raw_conf)
            store_root = os.path.join(work, f"s3-v{version}")
            store = BackupStore(DirectoryS3(store_root), "bench", conf.prefix, sse=False)
            with source.begin() as conn:  # each export pauses what it finds active: start from the same state
                conn.execute(sa.text("UPDATE dag SET is_paused = false"))
            started = time.perf_counter()
            export_backup(engine=source, store=store, secrets=secrets, conf=conf, airflow_version=VERSION, workdir=work,
                          format_version=version)
            export_s = time.perf_counter() - started
            backup_bytes = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(store_root) for f in fs)
            log(f"v{version} export {export_s:.2f}s")
            target = schema_engine(server, admin, f"target_v{version}")
            started = time.perf_counter()
            import_backup(engine=target, store=store, secrets=secrets, conf=conf, workdir=work)
            import_s = time.perf_counter() - started
            log(f"v{version} import {import_s:.2f}s")
            target.dispose()
            phases[version] = {
                "export": {"seconds": export_s, "rowsPerSecond": total_rows / export_s, "backupBytes": backup_bytes},
                "import": {"seconds": import_s, "rowsPerSecond": total_rows / import_s},
            }

        copy_dir = os.path.join(work, "copy")
        os.makedirs(copy_dir)
        copy_to_s = copy_out(source, copy_dir)
        copy_bytes = sum(os.path.getsize(os.path.join(copy_dir, f)) for f in os.listdir(copy_dir))
        copy_target = schema_engine(server, admin, "copy_target")
        with copy_target.begin() as conn:  # COPY FROM needs the tables empty; the DDL seeds none of these
            pass
        copy_from_s = copy_in(copy_target, copy_dir)
        log(f"COPY TO {copy_to_s:.2f}s, COPY FROM {copy_from_s:.2f}s")
        for engine in (source, copy_target):
            engine.dispose()

        result = {
            "benchmark": "dags-throughput",
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(),
            "airflowSchema": VERSION,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "sqlalchemy": sa.__version__},
            "rows": counts,
            "totalRows": total_rows,
            "formatVersion": 2,
            "export": phases[2]["export"],
            "import": phases[2]["import"],
            "v1": {**phases[1], "ratio": {"exportVsCopyTo": phases[1]["export"]["seconds"] / copy_to_s,
                                          "importVsCopyFrom": phases[1]["import"]["seconds"] / copy_from_s}},
            "copyTo": {"seconds": copy_to_s, "rowsPerSecond": total_rows / copy_to_s, "bytes": copy_bytes},
            "copyFrom": {"seconds": copy_from_s, "rowsPerSecond": total_rows / copy_from_s},
            "ratio": {"exportVsCopyTo": phases[2]["export"]["seconds"] / copy_to_s,
                      "importVsCopyFrom": phases[2]["import"]["seconds"] / copy_from_s},
            "notes": [
                "Same PostgreSQL 15 server (fsync off) for all four measurements; object store = local directory.",
                "export/import cover all carried tables (the four big ones dominate); COPY covers the four big ones.",
                "COPY writes uncompressed text; format v2 writes gzip COPY text (history tables) and JSON Lines "
                "(variables, connections, pools) with SHA-256 per file; v1 (the baseline) gzip JSON Lines.",
            ],
        }
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, "w") as out:
            json.dump(result, out, indent=2)
            out.write("\n")
        if args.json:
            print(json.dumps(result))
        else:
            print(json.dumps({k: result[k] for k in ("rows", "export", "import", "copyTo", "copyFrom", "ratio")}, indent=2))
        return 0
    finally:
        admin.dispose()
        server.stop()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
