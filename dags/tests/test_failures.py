"""Failures end in one clear SendTaskFailure and leave nothing a re-run cannot fix."""

from __future__ import annotations

import json
import random

import pytest
import sqlalchemy as sa
from helpers import FakeSfn, conf_for, paused_state, seed, snapshot
from transfer import export, new_backup_id, restore

from mwaa_ops.errors import TransferError
from mwaa_ops.export import export_backup
from mwaa_ops.heartbeat import Heartbeat
from mwaa_ops.s3io import BackupStore
from mwaa_ops.secrets import SqlSecrets
from mwaa_ops.stepfunctions import TaskToken
from mwaa_ops.tables import CARRIED_BY_NAME

VERSION = "2.10.3"


class FailingS3:
    """Wraps a boto3 client; ``put_object`` fails for keys containing ``fail_on``."""

    def __init__(self, client, fail_on: str):
        self._client = client
        self.fail_on = fail_on

    def put_object(self, **kwargs):
        if self.fail_on in kwargs["Key"]:
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url="http://s3.invalid")
        return self._client.put_object(**kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


def _failure(sfn: FakeSfn):
    answers = sfn.answers()
    assert len(answers) == 1 and answers[0][0] == "failure", answers
    return answers[0][1]


def _key(backup_id: str, name: str) -> str:
    return f"backups/dev/{backup_id}/{name}"


def _exists(client, bucket, key) -> bool:
    try:
        client.head_object(Bucket=bucket, Key=key)
        return True
    except Exception:
        return False


def test_s3_write_failure_mid_export_unpauses_and_a_retry_completes(make_db, s3_client, bucket):
    source = make_db(VERSION)
    secrets = SqlSecrets()
    facts = seed(source, VERSION, random.Random(3))
    original = paused_state(source)
    backup_id = new_backup_id("s3fail")

    sfn = FakeSfn()
    with pytest.raises(TransferError):
        export(source, VERSION, FailingS3(s3_client, "tables/task_instance."), bucket, backup_id, secrets, sfn=sfn)
    failure = _failure(sfn)
    assert failure["error"] == "MwaaOps.BackupWriteFailed"
    assert f"s3://{bucket}/{_key(backup_id, 'tables/task_instance.jsonl.gz')}" in failure["cause"]
    assert not _exists(s3_client, bucket, _key(backup_id, "manifest.json"))  # never committed
    assert paused_state(source) == original  # the DAGs the export paused run again

    # The worker died after pausing last time (simulated): a retry of the same execution still
    # knows every DAG that was active, from active-dags.json.
    with source.begin() as conn:
        conn.execute(sa.text("UPDATE dag SET is_paused = true WHERE dag_id <> 'mwaa_ops_export'"))
    _, sfn = export(source, VERSION, s3_client, bucket, backup_id, secrets)
    assert sfn.answers()[0][0] == "success"
    manifest = json.loads(s3_client.get_object(Bucket=bucket, Key=_key(backup_id, "manifest.json"))["Body"].read())
    assert manifest["activeDags"] == facts["active"]


def test_a_committed_backup_is_never_rewritten(make_db, s3_client, bucket):
    source = make_db(VERSION)
    secrets = SqlSecrets()
    seed(source, VERSION, random.Random(4))
    backup_id = new_backup_id("commit")
    first, _ = export(source, VERSION, s3_client, bucket, backup_id, secrets)
    before = s3_client.get_object(Bucket=bucket, Key=_key(backup_id, "manifest.json"))["Body"].read()
    # Same execution again (its success answer was lost): the same answer, nothing rewritten.
    again, sfn = export(source, VERSION, s3_client, bucket, backup_id, secrets)
    assert again == first and sfn.answers()[0][0] == "success"
    # Another execution aiming at the same backup id is refused.
    sfn = FakeSfn()
    with pytest.raises(TransferError):
        export(source, VERSION, s3_client, bucket, backup_id, secrets, sfn=sfn,
               execution_arn="arn:aws:states:us-east-1:123456789012:execution:pause:other")
    assert _failure(sfn)["error"] == "MwaaOps.BackupAlreadyCommitted"
    assert s3_client.get_object(Bucket=bucket, Key=_key(backup_id, "manifest.json"))["Body"].read() == before


def test_a_corrupted_file_is_refused_before_the_database_is_touched(make_db, s3_client, bucket):
    source, target = make_db(VERSION), make_db(VERSION)
    secrets = SqlSecrets()
    seed(source, VERSION, random.Random(5))
    backup_id = new_backup_id("corrupt")
    export(source, VERSION, s3_client, bucket, backup_id, secrets)
    key = _key(backup_id, "tables/xcom.jsonl.gz")
    body = bytearray(s3_client.get_object(Bucket=bucket, Key=key)["Body"].read())
    body[len(body) // 2] ^= 0xFF
    s3_client.put_object(Bucket=bucket, Key=key, Body=bytes(body))
    empty = snapshot(target, secrets)

    sfn = FakeSfn()
    with pytest.raises(TransferError):
        restore(target, s3_client, bucket, backup_id, secrets, sfn=sfn)
    failure = _failure(sfn)
    assert failure["error"] == "MwaaOps.ChecksumMismatch"
    assert "tables/xcom.jsonl.gz" in failure["cause"] and "corrupted" in failure["cause"]
    assert snapshot(target, secrets) == empty


def test_an_incomplete_backup_is_refused(make_db, s3_client, bucket):
    target = make_db(VERSION)
    backup_id = new_backup_id("nomanifest")
    s3_client.put_object(Bucket=bucket, Key=_key(backup_id, "tables/variable.jsonl.gz"), Body=b"")
    sfn = FakeSfn()
    with pytest.raises(TransferError):
        restore(target, s3_client, bucket, backup_id, SqlSecrets(), sfn=sfn)
    failure = _failure(sfn)
    assert failure["error"] == "MwaaOps.BackupNotCommitted" and "manifest.json" in failure["cause"]


def test_a_duplicate_key_rolls_back_everything_and_names_the_constraint(make_db, s3_client, bucket):
    source, target = make_db(VERSION), make_db(VERSION)
    secrets = SqlSecrets()
    seed(source, VERSION, random.Random(6))
    backup_id = new_backup_id("dup")
    export(source, VERSION, s3_client, bucket, backup_id, secrets)
    with target.begin() as conn:
        # The target already ran one of the backup's runs (same dag_id and run_id).
        with source.connect() as src:
            dag_id, run_id, stamp = src.execute(sa.text(
                "SELECT dag_id, run_id, execution_date FROM dag_run ORDER BY id LIMIT 1")).one()
        conn.execute(sa.text("INSERT INTO dag_run (dag_id, run_id, execution_date, run_type) VALUES (:d, :r, :e, 'scheduled')"),
                     {"d": dag_id, "r": run_id, "e": stamp})
        conn.execute(sa.text("INSERT INTO variable (key, val, is_encrypted) VALUES ('target_only', 'keep me', false)"))
    before = snapshot(target, secrets)

    sfn = FakeSfn()
    with pytest.raises(TransferError):
        restore(target, s3_client, bucket, backup_id, secrets, sfn=sfn)
    failure = _failure(sfn)
    assert failure["error"] == "MwaaOps.DuplicateKey"
    assert "dag_run" in failure["cause"] and "dag_run_dag_id_" in failure["cause"]
    assert run_id not in failure["cause"]  # constraint names only, never row values
    assert snapshot(target, secrets) == before  # variables were not replaced: one transaction
    assert paused_state(target) == {}


def test_an_interrupted_import_can_simply_be_re_run(make_db, s3_client, bucket):
    source, target = make_db(VERSION), make_db(VERSION)
    secrets = SqlSecrets()
    seed(source, VERSION, random.Random(8), runs=12)
    expected_runs = snapshot(source, secrets)["dag_run"]
    backup_id = new_backup_id("interrupt")
    export(source, VERSION, s3_client, bucket, backup_id, secrets)

    class WorkerLost(Exception):
        pass

    ticks = iter(range(10**6))
    beats = {"n": 0}
    # One beat per downloaded file, then one per batch/table inside the transaction.
    with source.connect() as conn:
        tables = len([t for t in sa.inspect(conn).get_table_names() if t in CARRIED_BY_NAME])
    with target.connect() as conn:
        sequence_before = conn.execute(sa.text("SELECT last_value FROM dag_run_id_seq")).scalar()

    def die_midway():
        beats["n"] += 1
        if beats["n"] == tables + 6:
            raise WorkerLost()

    sfn = FakeSfn()
    with pytest.raises(TransferError):
        restore(target, s3_client, bucket, backup_id, secrets, sfn=sfn,
                heartbeat=Heartbeat(die_midway, 1, clock=lambda: float(next(ticks))))
    assert _failure(sfn)["error"] == "MwaaOps.UnexpectedFailure"
    with target.connect() as conn:
        # dag_run ids were drawn (sequences are not transactional), so the import was mid-way …
        assert conn.execute(sa.text("SELECT last_value FROM dag_run_id_seq")).scalar() > sequence_before
        # … and rolled back entirely.
        assert conn.execute(sa.text("SELECT count(*) FROM dag_run")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM task_instance")).scalar() == 0

    result, sfn = restore(target, s3_client, bucket, backup_id, secrets)
    assert sfn.answers()[0][0] == "success" and result["alreadyImported"] is False
    assert len(snapshot(target, secrets)["dag_run"]) == len(expected_runs)
    # Once more (the success answer was lost): recognised, nothing imported twice.
    result, sfn = restore(target, s3_client, bucket, backup_id, secrets)
    assert sfn.answers()[0][0] == "success" and result["alreadyImported"] is True
    assert len(snapshot(target, secrets)["dag_run"]) == len(expected_runs)


def test_failed_import_unpauses_only_when_asked(make_db, s3_client, bucket):
    source, target = make_db(VERSION), make_db(VERSION)
    secrets = SqlSecrets()
    facts = seed(source, VERSION, random.Random(9))
    backup_id = new_backup_id("unpause")
    export(source, VERSION, s3_client, bucket, backup_id, secrets)
    with target.begin() as conn:
        with source.connect() as src:
            dag_id, run_id, stamp = src.execute(sa.text("SELECT dag_id, run_id, execution_date FROM dag_run LIMIT 1")).one()
        conn.execute(sa.text("INSERT INTO dag_run (dag_id, run_id, execution_date, run_type) VALUES (:d, :r, :e, 'manual')"),
                     {"d": dag_id, "r": run_id, "e": stamp})
    with pytest.raises(TransferError):
        restore(target, s3_client, bucket, backup_id, secrets)
    assert paused_state(target) == {}
    with pytest.raises(TransferError):
        restore(target, s3_client, bucket, backup_id, secrets, unpause_on_failure=True)
    assert paused_state(target) == {dag_id: False for dag_id in facts["active"]}


def test_heartbeats_are_sent_during_long_phases(make_db, s3_client, bucket):
    source = make_db(VERSION)
    secrets = SqlSecrets()
    seed(source, VERSION, random.Random(10), runs=10)
    backup_id = new_backup_id("beat")
    ticks = iter(range(10**6))
    sfn = FakeSfn()
    raw, conf = conf_for(bucket, "dev", backup_id)
    token = TaskToken(sfn, raw["task_token"])
    export_backup(engine=source, store=BackupStore(s3_client, bucket, conf.prefix), secrets=secrets, conf=conf,
                  airflow_version=VERSION, heartbeat=Heartbeat(token.heartbeat, 1, clock=lambda: float(next(ticks))),
                  batch_size=5)
    beats = [call for call in sfn.calls if call[0] == "heartbeat"]
    assert len(beats) > 10 and all(call[1] == {"taskToken": raw["task_token"]} for call in beats)
