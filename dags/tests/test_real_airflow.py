"""The transfer DAGs inside real Airflow: parsed from a DAG folder, run by ``airflow dags test``,
backing up a database that real Airflow runs filled, restoring it into a freshly migrated
database of another Airflow version with another Fernet key, and a real scheduler picking the
restored work up.

Every test id names the Airflow versions it ran on (``2.10.3->2.11.0``); the venvs come from
scripts/python-env.ts (``npm run test:python`` makes them).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import pickle
import subprocess
from typing import Any, Dict, List, Tuple

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from helpers import backup_table_bytes, backup_table_rows, snapshot
from restore_check import TRANSFER_DAGS, assert_restored, fernet_secrets
from restore_check import text_engine as restore_text_engine
from real_airflow import RealAirflow, installed_versions, mwaa_ops_configuration
from s3_server import BUCKET
from sfn_server import STACK, SfnServer, execution_arn
from airflow_schema import describe_schema
from schemas.generate import airflow_bin, migrate_fresh


VERSIONS = installed_versions()
PAIRS = [(s, t) for s, t in (("2.10.3", "2.11.0"), ("2.7.2", "2.10.3")) if s in VERSIONS and t in VERSIONS]
EXPORT_DATE = "2026-12-03T10:00:00+00:00"
IMPORT_DATE = "2026-12-03T11:00:00+00:00"
HOURLY_DATE = "2026-11-02T05:00:00+00:00"


def test_the_suite_runs_on_real_airflow():
    # Without the venvs every other test here would be missing: that is a failure, not a skip.
    assert VERSIONS, "no airflow-<version> venv: run npm run test:python (it creates them)"
    assert PAIRS, f"no source/target pair among the installed Airflow versions {VERSIONS}"


_fresh = iter(range(1, 10**6))


@pytest.mark.parametrize("version", VERSIONS)
def test_schema_fixture_is_what_real_airflow_creates(version, pg, make_db):
    """The fixtures the package tests run on (schemas/airflow-<v>.sql) match a fresh migrate:
    same columns, types, defaults, constraints, indexes, sequences and seeded rows."""
    from_fixture = make_db(version)
    fresh = sa.create_engine(migrate_fresh(pg, version, f"fresh_{next(_fresh)}"), future=True)
    try:
        assert describe_schema(from_fixture) == describe_schema(fresh), (
            f"schemas/airflow-{version}.sql is stale: python3 dags/tests/schemas/generate.py {version}"
        )
    finally:
        fresh.dispose()


# -- helpers -----------------------------------------------------------------------------------


def text_engine(airflow: RealAirflow) -> sa.engine.Engine:
    return restore_text_engine(airflow.pg.url(airflow.name))


#: The environment every test Airflow is, as the workflows see it.
CONFIGURATION = mwaa_ops_configuration("dev", STACK, BUCKET)
WORKFLOW = {"mwaa_ops_export": "backup", "mwaa_ops_import": "resume"}


def conf_for(sfn: SfnServer, dag_id: str, environment: str, backup_id: str, run: str = "",
             **extra: Any) -> Dict[str, Any]:
    """The conf MetadataTransferFunction sends, from an execution of the workflow that runs
    ``dag_id`` that the Step Functions endpoint knows as RUNNING for ``environment``."""
    arn = sfn.running(execution_arn(WORKFLOW[dag_id], f"{backup_id}{run}"), environment)
    return {
        "task_token": f"token-{dag_id}-{backup_id}{run}",
        "backup": {"bucket": BUCKET, "prefix": f"backups/{environment}/{backup_id}/", "backupId": backup_id},
        "environment": environment,
        "execution_arn": arn,
        **extra,
    }


SEED_UNFINISHED_RUN = """
import pendulum
from airflow.models import DagBag
from airflow.utils.state import DagRunState
from airflow.utils.types import DagRunType
dag = DagBag(include_examples=False).get_dag("sample_slow")
when = pendulum.datetime(2026, 11, 3, tz="UTC")
dag.create_dagrun(run_id="manual__paused_mid_run", execution_date=when, data_interval=(when, when),
                  state=DagRunState.RUNNING, run_type=DagRunType.MANUAL, external_trigger=True)
"""


def seed_source(source: RealAirflow) -> Dict[str, Any]:
    """Fill the source as an environment in use: real runs, XComs, mapped tasks, datasets,
    variables, connections with passwords, pools, DAGs paused by hand, and a run caught mid-way."""
    source.cli("dags", "reserialize")
    for dag_id in ("sample_consumer", "sample_slow", "sample_etl"):
        source.cli("dags", "unpause", dag_id)
    assert source.dags_test("sample_etl", "2026-11-02T00:00:00+00:00").returncode == 0
    assert source.run_state("sample_etl") == "success"
    source.dags_test("sample_hourly", HOURLY_DATE)
    # A DAG whose file says "start unpaused", paused by an operator: it must stay paused.
    source.cli("dags", "pause", "sample_hourly")
    source.cli("variables", "set", "multi_line", "first\nsecond — ünï 🚀")
    source.cli("variables", "set", "json_like", '{"a": [1, 2]}')
    source.cli("connections", "add", "warehouse", "--conn-type", "postgres", "--conn-host", "db.example.com",
               "--conn-login", "etl", "--conn-password", "p@ss:w0rd/✓", "--conn-port", "5432",
               "--conn-extra", '{"sslmode": "require"}')
    source.cli("pools", "set", "etl", "3", "ETL slots — ü")
    source.python(SEED_UNFINISHED_RUN)
    with source.engine.begin() as conn:
        job = conn.execute(sa.text(
            "INSERT INTO job (dag_id, state, job_type, latest_heartbeat) "
            "VALUES (NULL, 'running', 'SchedulerJob', now()) RETURNING id")).scalar()
        conn.execute(sa.text(
            "UPDATE task_instance SET state = 'running', queued_by_job_id = :j, hostname = 'old-worker', pid = 4242 "
            "WHERE dag_id = 'sample_slow' AND run_id = 'manual__paused_mid_run' AND task_id = 'first'"), {"j": job})
    return {"paused": source.paused()}


class Pair:
    """A source environment and the backup its export DAG wrote."""

    def __init__(self, pg, s3_client, sfn, aws_env, source_version: str, target_version: str, tag: str):
        self.pg = pg
        self.sfn = sfn
        self.s3 = s3_client
        self.aws_env = aws_env
        self.target_version = target_version
        self.tag = tag
        self.source_key = Fernet.generate_key().decode()
        self.source = RealAirflow(pg, source_version, f"src_{tag}", self.source_key, aws_env, CONFIGURATION)
        self.facts = seed_source(self.source)
        self.before = snapshot(text_engine(self.source), fernet_secrets(self.source_key))
        self.backup_id = f"20261203T100000Z-real-{tag}"
        self.conf = conf_for(sfn, "mwaa_ops_export", "dev", self.backup_id)
        self.export = self.source.dags_test("mwaa_ops_export", EXPORT_DATE, conf=self.conf)
        self.imports = iter(range(1, 1000))
        self.targets: List[RealAirflow] = []

    def import_conf(self) -> Dict[str, Any]:
        """The conf of a new resume execution restoring this backup."""
        return conf_for(self.sfn, "mwaa_ops_import", "dev", self.backup_id, run=f"-resume{next(self.imports)}")

    def manifest(self) -> Dict[str, Any]:
        key = f"backups/dev/{self.backup_id}/manifest.json"
        return json.loads(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())

    def new_target(self, name: str) -> Tuple[RealAirflow, str]:
        key = Fernet.generate_key().decode()
        target = RealAirflow(self.pg, self.target_version, f"{name}_{self.tag}", key, self.aws_env, CONFIGURATION)
        # What a new environment does at boot: parse the DAG folder (DAGs start paused, except
        # those whose file says otherwise).
        target.cli("dags", "reserialize")
        self.targets.append(target)
        return target, key

    def close(self) -> None:
        for airflow in (self.source, *self.targets):
            airflow.close()


@pytest.fixture(scope="module")
def sfn():
    server = SfnServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def aws_env(s3, sfn):
    return {"AWS_ENDPOINT_URL_S3": s3.endpoint, "AWS_ENDPOINT_URL_SFN": sfn.endpoint,
            "AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required"}


@pytest.fixture(scope="module", params=PAIRS, ids=[f"{s}->{t}" for s, t in PAIRS])
def pair(request, pg, s3, sfn, aws_env):
    source_version, target_version = request.param
    made = Pair(pg, s3.client(), sfn, aws_env, source_version, target_version, source_version.replace(".", ""))
    yield made
    made.close()


@pytest.fixture(scope="module")
def restored(pair):
    """The pair's backup imported into a fresh target by the real import DAG."""
    target, key = pair.new_target("dst")
    target.dags_test("mwaa_ops_import", IMPORT_DATE, conf=pair.import_conf())
    return target, key


# -- the round trip ----------------------------------------------------------------------------


def test_the_export_dag_backs_up_and_pauses_inside_real_airflow(pair):
    assert pair.export.returncode == 0 and pair.source.run_state("mwaa_ops_export") == "success"
    (answer, body), = pair.sfn.answers(pair.conf["task_token"])
    assert answer == "SendTaskSuccess" and json.loads(body["output"])["backupId"] == pair.backup_id
    manifest = pair.manifest()
    assert manifest["airflowVersion"] == pair.source.version
    active = sorted(d for d, p in pair.facts["paused"].items() if not p and d not in TRANSFER_DAGS)
    paused = sorted(d for d, p in pair.facts["paused"].items() if p and d not in TRANSFER_DAGS)
    assert manifest["activeDags"] == active and manifest["pausedDags"] == paused
    assert "sample_hourly" in paused and "sample_slow" in active
    # The source is now paused entirely, except the transfer DAGs.
    assert {d for d, p in pair.source.paused().items() if not p} == TRANSFER_DAGS
    for table in ("dag_run", "task_instance", "xcom", "task_map", "rendered_task_instance_fields",
                  "dataset_event", "dataset_dag_run_queue", "variable", "connection", "slot_pool"):
        assert manifest["tables"][table]["rows"] > 0, table
    # Secrets are in the backup decrypted, and nowhere in the manifest.
    assert "p@ss:w0rd" not in json.dumps(manifest)
    # The export's own run carried the workflow's task token in its conf: the backup does not.
    prefix = f"backups/dev/{pair.backup_id}/"
    rows = backup_table_rows(pair.s3, BUCKET, prefix, "dag_run")
    own = [row for row in rows if row["dag_id"] == "mwaa_ops_export"]
    conf = pickle.loads(base64.b64decode(own[0]["conf"]["$binary"]))
    assert conf["task_token"] == "" and conf["execution_arn"] == pair.conf["execution_arn"]
    text = backup_table_bytes(pair.s3, BUCKET, prefix, "dag_run")  # COPY text spells bytea in hex
    token = pair.conf["task_token"].encode()
    assert token not in text and token.hex().encode() not in text


def test_a_restore_into_another_version_and_key_is_byte_exact(pair, restored):
    target, key = restored
    assert target.run_state("mwaa_ops_import") == "success"
    after = snapshot(text_engine(target), fernet_secrets(key))
    compared = assert_restored(pair.before, after)
    assert {"dag_run", "task_instance", "xcom", "dataset_event", "variable", "connection"} <= set(compared)
    # The orphan reset is what the comparison allowed for, and it happened.
    with target.engine.connect() as conn:
        assert conn.execute(sa.text(
            "SELECT count(*) FROM task_instance WHERE run_id = 'manual__paused_mid_run' AND state IS NULL")).scalar() == 2


def test_secrets_are_re_encrypted_with_the_targets_key(pair, restored):
    target, key = restored
    with target.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password, is_encrypted FROM connection WHERE conn_id = 'warehouse'")).one()
    assert stored.is_encrypted and "p@ss" not in stored.password
    assert Fernet(key.encode()).decrypt(stored.password.encode()).decode() == "p@ss:w0rd/✓"
    with pytest.raises(InvalidToken):
        Fernet(pair.source_key.encode()).decrypt(stored.password.encode())
    # Airflow itself reads them back.
    shown = json.loads(target.cli("connections", "get", "warehouse", "-o", "json").stdout)
    assert shown[0]["password"] == "p@ss:w0rd/✓"
    assert target.cli("variables", "get", "multi_line").stdout.rstrip("\n") == "first\nsecond — ünï 🚀"


def test_pause_states_travel_both_ways(pair, restored):
    target, _ = restored
    states = target.paused()
    for dag_id, was_paused in pair.facts["paused"].items():
        if dag_id not in TRANSFER_DAGS:
            assert states[dag_id] is was_paused, dag_id
    # sample_hourly starts unpaused in a new environment, but was paused in the source.
    assert states["sample_hourly"] is True and states["mwaa_ops_import"] is False


def test_pending_dataset_triggered_runs_and_events_are_carried(pair, restored):
    target, _ = restored
    with target.engine.connect() as conn:
        queued = conn.execute(sa.text(
            "SELECT d.uri, q.target_dag_id FROM dataset_dag_run_queue q JOIN dataset d ON d.id = q.dataset_id")).all()
        events = conn.execute(sa.text(
            "SELECT d.uri, e.source_dag_id, e.source_task_id FROM dataset_event e JOIN dataset d ON d.id = e.dataset_id")).all()
    assert queued == [("s3://lake/orders", "sample_consumer")]
    assert events == [("s3://lake/orders", "sample_etl", "load")]


def test_the_real_scheduler_finishes_work_that_was_running_at_pause(pair, restored):
    target, _ = restored
    with target.engine.connect() as conn:
        states = dict(conn.execute(sa.text(
            "SELECT task_id, state FROM task_instance WHERE run_id = 'manual__paused_mid_run'")).all())
    # Reset as Airflow's orphan reset does: no state, no job of the old environment.
    assert states == {"first": None, "second": None}
    if pair.tag != "2103":
        return  # the scheduler run costs a minute: once, on the cross-version pair
    scheduler = target.scheduler()
    try:
        scheduler.wait_for(
            lambda conn: conn.execute(sa.text(
                "SELECT state FROM dag_run WHERE run_id = 'manual__paused_mid_run'")).scalar() == "success",
            "finished the restored run",
        )
    finally:
        scheduler.stop()
    with target.engine.connect() as conn:
        assert dict(conn.execute(sa.text(
            "SELECT task_id, state FROM task_instance WHERE run_id = 'manual__paused_mid_run'")).all()) == {
            "first": "success", "second": "success"}


def test_runs_the_new_environment_made_before_the_import_do_not_block_it(pair):
    target, _ = pair.new_target("boot")
    # The new environment ran sample_hourly for the same hour before the import started.
    target.dags_test("sample_hourly", HOURLY_DATE)
    with target.engine.connect() as conn:
        own = conn.execute(sa.text("SELECT id, start_date FROM dag_run WHERE dag_id = 'sample_hourly'")).one()
    for attempt in range(2):  # and a re-run finds it done instead of failing on the same key
        target.dags_test("mwaa_ops_import", f"2026-12-03T1{2 + attempt}:00:00+00:00", conf=pair.import_conf())
        assert target.run_state("mwaa_ops_import") == "success"
    with target.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT id, start_date FROM dag_run WHERE dag_id = 'sample_hourly'")).one() == own
        marker = conn.execute(sa.text("SELECT count(*) FROM log WHERE event = 'mwaa_ops_import'")).scalar()
    assert marker == 1


# -- only our own workflow's runs ----------------------------------------------------------------

GUARD_DATE = "2026-12-03T14:00:00+00:00"


@pytest.fixture(scope="module")
def guarded(pg, aws_env):
    """An environment in use (active DAGs, a variable) whose transfer DAGs receive foreign confs."""
    version = VERSIONS[-1]
    airflow = RealAirflow(pg, version, "guard", Fernet.generate_key().decode(), aws_env, CONFIGURATION)
    airflow.cli("dags", "reserialize")
    airflow.cli("dags", "unpause", "sample_etl")
    airflow.cli("variables", "set", "kept", "as it was")
    yield airflow
    airflow.close()


def _foreign(sfn: SfnServer, dag_id: str, case: str) -> Tuple[Dict[str, Any], Dict[str, str], bool]:
    """(conf, extra environment, whether the token is answered) for each kind of foreign run."""
    backup_id = f"20261203T140000Z-guard-{case}-{dag_id[-6:]}"
    conf = conf_for(sfn, dag_id, "dev", backup_id)
    if case == "other-environment":
        conf = conf_for(sfn, dag_id, "prod", backup_id)
    elif case == "other-bucket":
        conf["backup"]["bucket"] = "someone-elses-bucket"
        return conf, {}, True  # our running workflow, for this environment: failed at once
    elif case == "other-state-machine":
        conf["execution_arn"] = sfn.running(execution_arn(WORKFLOW[dag_id], backup_id, stack="other-stack"), "dev")
    elif case == "not-running":
        sfn.running(conf["execution_arn"], "dev", status="SUCCEEDED")
    elif case == "not-configured":
        return conf, {"AIRFLOW__MWAA_OPS__STACK_NAME": ""}, True
    return conf, {}, False


@pytest.mark.parametrize("dag_id", ["mwaa_ops_export", "mwaa_ops_import"])
@pytest.mark.parametrize("case", ["other-environment", "other-bucket", "other-state-machine", "not-running",
                                  "not-configured"])
def test_a_foreign_run_is_refused_without_touching_the_database_or_s3(guarded, sfn, s3, dag_id, case):
    conf, env, answered = _foreign(sfn, dag_id, case)
    with guarded.engine.connect() as conn:
        before = conn.execute(sa.text("SELECT dag_id, is_paused FROM dag ORDER BY dag_id")).all(), \
            conn.execute(sa.text("SELECT key, val FROM variable ORDER BY key")).all()
    result = guarded.dags_test(dag_id, GUARD_DATE, conf=conf, env=env, check=False)
    assert guarded.run_state(dag_id, GUARD_DATE) == "failed", result.stdout[-2000:]
    with guarded.engine.begin() as conn:
        after = conn.execute(sa.text("SELECT dag_id, is_paused FROM dag ORDER BY dag_id")).all(), \
            conn.execute(sa.text("SELECT key, val FROM variable ORDER BY key")).all()
        # the next case runs at the same logical date
        conn.execute(sa.text("DELETE FROM task_instance WHERE dag_id = :d"), {"d": dag_id})
        conn.execute(sa.text("DELETE FROM dag_run WHERE dag_id = :d"), {"d": dag_id})
    assert after == before  # no DAG paused or unpaused, nothing restored
    listed = s3.client().list_objects_v2(Bucket=BUCKET, Prefix=conf["backup"]["prefix"])
    assert listed.get("KeyCount", 0) == 0  # nothing written under the conf's prefix
    answers = sfn.answers(conf["task_token"])
    if answered:
        (operation, body), = answers
        assert operation == "SendTaskFailure"
        assert body["error"] == ("MwaaOps.NotConfigured" if case == "not-configured" else "MwaaOps.ForeignRun")
    else:
        assert answers == []
    assert conf["task_token"] not in result.stdout + result.stderr


# -- memory ------------------------------------------------------------------------------------

MIB = 1024 * 1024
BIG_XCOM_ROWS = 40
BIG_XCOM_BYTES = 4 * MIB  # 40 × 4 MiB = 160 MiB of XCom values
BATCH_BYTES = 8 * MIB

PEAK_RSS = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(code)
"""


def peak_rss_mib(airflow: RealAirflow, *args: str) -> float:
    """Peak resident memory of ``airflow <args>`` (``dags test`` runs the task in that process)."""
    interpreter = os.path.join(os.path.dirname(airflow_bin(airflow.version)), "python")
    result = subprocess.run([interpreter, "-c", PEAK_RSS, airflow_bin(airflow.version), *args], env=airflow.env,
                            cwd=airflow.home, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return int(result.stdout.strip().splitlines()[-1]) / 1024


def test_memory_is_bounded_by_the_batch_size_not_the_table(pg, s3, sfn, aws_env, record_property):
    version = "2.11.0" if "2.11.0" in VERSIONS else VERSIONS[-1]
    key = Fernet.generate_key().decode()
    small = RealAirflow(pg, version, "mem_small", key, aws_env, CONFIGURATION)
    big = RealAirflow(pg, version, "mem_big", key, aws_env, CONFIGURATION)
    try:
        for airflow in (small, big):
            airflow.cli("dags", "reserialize")
            airflow.dags_test("sample_etl", "2026-11-02T00:00:00+00:00")
        with big.engine.begin() as conn:
            run = conn.execute(sa.text("SELECT id, run_id FROM dag_run WHERE dag_id = 'sample_etl'")).one()
            for i in range(BIG_XCOM_ROWS):
                conn.execute(sa.text(
                    "INSERT INTO xcom (dag_run_id, task_id, map_index, key, dag_id, run_id, value, timestamp) "
                    "VALUES (:r, 'extract', -1, :k, 'sample_etl', :run, :v, now())"),
                    {"r": run.id, "k": f"big_{i}", "run": run.run_id, "v": os.urandom(BIG_XCOM_BYTES)})
        peaks = {}
        for name, airflow in (("small", small), ("big", big)):
            backup_id = f"20261203T120000Z-mem-{name}"
            conf = conf_for(sfn, "mwaa_ops_export", "dev", backup_id, batch_bytes=BATCH_BYTES)
            peaks[f"export_{name}"] = peak_rss_mib(airflow, "dags", "test", "-c", json.dumps(conf),
                                                   "mwaa_ops_export", EXPORT_DATE)
            fresh = RealAirflow(pg, version, f"mem_{name}_target", Fernet.generate_key().decode(), aws_env,
                                CONFIGURATION)
            try:
                conf = conf_for(sfn, "mwaa_ops_import", "dev", backup_id, batch_bytes=BATCH_BYTES)
                peaks[f"import_{name}"] = peak_rss_mib(fresh, "dags", "test", "-c", json.dumps(conf),
                                                       "mwaa_ops_import", IMPORT_DATE)
                if name == "big":
                    with fresh.engine.connect() as conn:
                        stored = conn.execute(sa.text(
                            "SELECT count(*), sum(length(value)) FROM xcom WHERE key LIKE 'big_%'")).one()
                    assert tuple(stored) == (BIG_XCOM_ROWS, BIG_XCOM_ROWS * BIG_XCOM_BYTES)
            finally:
                fresh.close()
        for phase in ("export", "import"):
            growth = peaks[f"{phase}_big"] - peaks[f"{phase}_small"]
            record_property(f"{phase}_peak_rss_mib", {k: round(v) for k, v in peaks.items()})
            print(f"{phase}: peak RSS {peaks[f'{phase}_small']:.0f} MiB without, {peaks[f'{phase}_big']:.0f} MiB "
                  f"with {BIG_XCOM_ROWS * BIG_XCOM_BYTES // MIB} MiB of XCom (batch {BATCH_BYTES // MIB} MiB)")
            # Holding the table (or a 5,000-row batch of it) would add well over its 160 MiB; a
            # batch-bounded transfer adds a few batches' worth.
            assert growth < 12 * BATCH_BYTES / MIB, f"{phase} grew by {growth:.0f} MiB"
    finally:
        small.close()
        big.close()
