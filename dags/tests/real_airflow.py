"""Real Airflow for the tests: a metadata database migrated by ``airflow db migrate``, the DAG
folder an MWAA environment would have (the transfer DAGs plus sample DAGs), and the ``airflow``
command of a pinned venv (``airflow-<version>``, made by scripts/python-env.ts).

Everything runs as Airflow runs it: DAG files parsed by Airflow, tasks executed by
``airflow dags test`` or by a real scheduler with the LocalExecutor, boto3 talking HTTP to the
S3 (and, where given, Step Functions) endpoints of the test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional

import sqlalchemy as sa
from schemas.generate import airflow_bin, airflow_env

from pg_server import ROOT, PgServer

#: The DAG folder under test; MWAA_OPS_DAGS_UNDER_TEST points the suite at another copy (how the
#: note on a fix shows the same test failing on the code before it).
DAGS = os.environ.get("MWAA_OPS_DAGS_UNDER_TEST") or os.path.join(ROOT, "dags")
SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample_dags")


def installed_versions() -> List[str]:
    """The Airflow versions the suite was asked to run on and that have a venv."""
    wanted = os.environ.get("MWAA_OPS_REAL_AIRFLOW_VERSIONS", "2.7.2,2.10.3,2.11.0").split(",")
    return [v for v in wanted if v and os.path.exists(airflow_bin(v))]


def dag_folder(into: str) -> str:
    """A DAG folder as deployed to an environment: dags/ (package, DAG files, .airflowignore)
    without its tests, plus the sample DAGs."""
    folder = os.path.join(into, "dags")
    shutil.copytree(
        DAGS, folder, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.md")
    )
    shutil.copy(os.path.join(SAMPLES, "mwaa_ops_samples.py"), folder)
    return folder


def mwaa_ops_configuration(environment: str, stack_name: str, backup_bucket: str) -> Dict[str, str]:
    """What an environment the workflows manage has: MWAA's ``AIRFLOW_ENV_NAME`` and the operator's
    AirflowConfigurationOptions ``mwaa_ops.stack_name`` / ``mwaa_ops.backup_bucket`` (which MWAA
    exports as ``AIRFLOW__MWAA_OPS__*``; docs/pause-resume.md#setup)."""
    return {
        "AIRFLOW_ENV_NAME": environment,
        "AIRFLOW__MWAA_OPS__STACK_NAME": stack_name,
        "AIRFLOW__MWAA_OPS__BACKUP_BUCKET": backup_bucket,
    }


class RealAirflow:
    """One Airflow ``version`` on its own database ``name`` of ``pg``, with its own Fernet key;
    ``configuration`` is the environment's mwaa-ops configuration (mwaa_ops_configuration)."""

    def __init__(self, pg: PgServer, version: str, name: str, fernet_key: str, aws_env: Dict[str, str],
                 configuration: Optional[Dict[str, str]] = None):
        self.pg = pg
        self.version = version
        self.name = name
        self.fernet_key = fernet_key
        self.home = tempfile.mkdtemp(prefix=f"mwaa-ops-airflow-{name}-")
        self.dags = dag_folder(self.home)
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{pg.port}/{name}"
        self.env = airflow_env(self.home, self.url, self.dags, fernet_key)
        self.env.update(
            {
                # What MWAA configures: new DAGs start paused.
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
                "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL": "10",
                "AIRFLOW__SCHEDULER__PARSING_PROCESSES": "1",
                "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__SCHEDULE_AFTER_TASK_EXECUTION": "True",
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": os.path.join(self.home, "logs"),
                **aws_env,
                **(configuration or {}),
            }
        )
        with pg.admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        self.engine = sa.create_engine(pg.url(name), future=True)
        self.cli("db", "migrate")

    # -- commands ------------------------------------------------------------------------------

    def cli(self, *args: str, check: bool = True, env: Optional[Dict[str, str]] = None,
            timeout: float = 600) -> subprocess.CompletedProcess:
        """``airflow <args>``; on failure the error shows the command's output (never secrets: the
        tests put none on command lines except test data)."""
        result = subprocess.run(
            [airflow_bin(self.version), *args], env={**self.env, **(env or {})}, cwd=self.home,
            capture_output=True, text=True, timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"airflow {' '.join(args[:2])} ({self.version}) exited {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def python(self, code: str, env: Optional[Dict[str, str]] = None) -> str:
        """Run ``code`` in this Airflow's interpreter (its models, its settings) and return stdout."""
        interpreter = os.path.join(os.path.dirname(airflow_bin(self.version)), "python")
        result = subprocess.run([interpreter, "-c", code], env={**self.env, **(env or {})}, cwd=self.home,
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise AssertionError(f"python ({self.version}) exited {result.returncode}:\n{result.stderr[-4000:]}")
        return result.stdout

    def dags_test(self, dag_id: str, logical_date: str, conf: Optional[Dict[str, Any]] = None,
                  env: Optional[Dict[str, str]] = None, check: bool = True) -> subprocess.CompletedProcess:
        args = ["dags", "test", dag_id, logical_date]
        if conf is not None:
            args[2:2] = ["-c", json.dumps(conf)]
        return self.cli(*args, env=env, check=check)

    def run_state(self, dag_id: str, logical_date: Optional[str] = None) -> Optional[str]:
        """State of the DAG's newest run (or the run at ``logical_date``)."""
        query = "SELECT state FROM dag_run WHERE dag_id = :d"
        params: Dict[str, Any] = {"d": dag_id}
        if logical_date:
            query += " AND execution_date = :e"
            params["e"] = logical_date
        with self.engine.connect() as conn:
            return conn.execute(sa.text(query + " ORDER BY id DESC LIMIT 1"), params).scalar()

    def paused(self) -> Dict[str, bool]:
        with self.engine.connect() as conn:
            return {d: p for d, p in conn.execute(sa.text("SELECT dag_id, is_paused FROM dag"))}

    def scheduler(self) -> "Scheduler":
        return Scheduler(self)

    def close(self) -> None:
        self.engine.dispose()
        shutil.rmtree(self.home, ignore_errors=True)


class Scheduler:
    """``airflow scheduler`` (LocalExecutor) in the background; ``wait_for`` polls the database."""

    def __init__(self, airflow: RealAirflow):
        self.airflow = airflow
        self.log = open(os.path.join(airflow.home, "scheduler.log"), "w")
        self.process = subprocess.Popen(
            [airflow_bin(airflow.version), "scheduler"], env=airflow.env, cwd=airflow.home,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_for(self, condition: Callable[[Any], bool], what: str, timeout: float = 240) -> None:
        """Poll ``condition(connection)`` until it holds. The timeout only bounds a hung test: the
        assertion is on what the scheduler did, not on how fast."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with self.airflow.engine.connect() as conn:
                if condition(conn):
                    return
            time.sleep(1)
        self.log.flush()
        tail = open(self.log.name).read()[-4000:]
        raise AssertionError(f"the scheduler never {what} (exit code {self.process.poll()}); log tail:\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def _prepare(argv: List[str]) -> None:
    """``real_airflow.py prepare <version> <pg port> <database> <fernet key>``: what the TypeScript
    tests use to get a migrated Airflow (they drive it themselves, asynchronously, beside the
    local cloud). Prints ``{"home", "dags", "env"}``; the caller removes ``home``."""
    import types

    version, port, database, fernet_key = argv
    url = lambda name: f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{name}"  # noqa: E731
    pg = types.SimpleNamespace(
        port=int(port), url=url, admin=sa.create_engine(url("postgres"), isolation_level="AUTOCOMMIT")
    )
    airflow = RealAirflow(pg, version, database, fernet_key, {})  # type: ignore[arg-type]
    airflow.engine.dispose()
    pg.admin.dispose()
    own = {k: v for k, v in airflow.env.items() if os.environ.get(k) != v}  # only what Airflow needs set
    print(json.dumps({"home": airflow.home, "dags": airflow.dags, "env": own}))


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["prepare"] and len(sys.argv) == 6:
        _prepare(sys.argv[2:])
    else:
        print("usage: real_airflow.py prepare <version> <pg port> <database> <fernet key>", file=sys.stderr)
        sys.exit(2)
