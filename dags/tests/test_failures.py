"""Failures end in one clear SendTaskFailure and leave nothing a re-run cannot fix."""

from __future__ import annotations

import gzip
import hashlib
import json
import random

import pytest
import sqlalchemy as sa
from helpers import FakeSfn, conf_for, execution_arn, paused_state, seed, snapshot
from transfer import export, new_backup_id, restore

from mwaa_ops.errors import TransferError
from mwaa_ops.export import export_backup
from mwaa_ops.heartbeat import Heartbeat
from mwaa_ops.s3io import BackupStore
from mwaa_ops.secrets import SqlSecrets
from mwaa_ops.stepfunctions import TaskToken

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
    assert f"s3://{bucket}/{_key(backup_id, 'tables/task_instance.copy.gz')}" in failure["cause"]
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


def test_a_takeover_seeded_record_of_active_dags_wins_over_dags_an_orphaned_export_paused(make_db, s3_client, bucket):
    # A pause stopped during its export left every DAG paused; the pause that took over its lock
    # wrote the stopped attempt's record into the new backup first (MetadataTransferFunction
    # `inheritActiveDags`, with an `inheritedFrom` field). The export must merge it, not re-read.
    source = make_db(VERSION)
    secrets = SqlSecrets()
    facts = seed(source, VERSION, random.Random(6))
    backup_id = new_backup_id("takeover")
    with source.begin() as conn:
        conn.execute(sa.text("UPDATE dag SET is_paused = true WHERE dag_id <> 'mwaa_ops_export'"))
    s3_client.put_object(
        Bucket=bucket,
        Key=_key(backup_id, "active-dags.json"),
        Body=json.dumps({"activeDags": facts["active"], "inheritedFrom": "20261126T180000Z-stopped"}).encode(),
    )
    _, sfn = export(source, VERSION, s3_client, bucket, backup_id, secrets)
    assert sfn.answers()[0][0] == "success"
    manifest = json.loads(s3_client.get_object(Bucket=bucket, Key=_key(backup_id, "manifest.json"))["Body"].read())
    assert manifest["activeDags"] == facts["active"]
    assert manifest["pausedDags"] == facts["paused"]


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
               execution_arn=execution_arn("export", "other"))
    assert _failure(sfn)["error"] == "MwaaOps.BackupAlreadyCommitted"
    assert s3_client.get_object(Bucket=bucket, Key=_key(backup_id, "manifest.json"))["Body"].read() == before


def test_a_corrupted_file_is_refused_before_the_database_is_touched(make_db, s3_client, bucket):
    source, target = make_db(VERSION), make_db(VERSION)
    secrets = SqlSecrets()
    seed(source, VERSION, random.Random(5))
    backup_id = new_backup_id("corrupt")
    export(source, VERSION, s3_client, bucket, backup_id, secrets)
    key = _key(backup_id, "tables/xcom.copy.gz")
    body = bytearray(s3_client.get_object(Bucket=bucket, Key=key)["Body"].read())
    body[len(body) // 2] ^= 0xFF
    s3_client.put_object(Bucket=bucket, Key=key, Body=bytes(body))
    empty = snapshot(target, secrets)

    sfn = FakeSfn()
    with pytest.raises(TransferError):
        restore(target, s3_client, bucket, backup_id, secrets, sfn=sfn)
    failure = _failure(sfn)
    assert failure["error"] == "MwaaOps.ChecksumMismatch"
    assert "tables/xcom.copy.gz" in failure["cause"] and "corrupted" in failure["cause"]
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


def _rewrite_table_file(client, bucket, backup_id, table, transform):
    """Change one table file of a committed backup and fix its manifest entry (a consistent edit)."""
    key = _key(backup_id, f"tables/{table}.jsonl.gz")
    lines = gzip.decompress(client.get_object(Bucket=bucket, Key=key)["Body"].read()).splitlines(keepends=True)
    body = gzip.compress(b"".join(transform(lines)), mtime=0)
    client.put_object(Bucket=bucket, Key=key, Body=body)
    manifest_key = _key(backup_id, "manifest.json")
    manifest = json.loads(client.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    entry = manifest["tables"][table]
    entry.update(rows=len(transform(lines)), bytes=len(body), sha256=hashlib.sha256(body).hexdigest())
    client.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest).encode())


def test_a_duplicate_key_rolls_back_everything_and_names_the_constraint(make_db, s3_client, bucket):
    source, target = make_db(VERSION), make_db(VERSION)
    secrets = SqlSecrets()
    seed(source, VERSION, random.Random(6))
    backup_id = new_backup_id("dup")
    export(source, VERSION, s3_client, bucket, backup_id, secrets)
    # A backup that repeats a key (another writer's bug): the variable var_0 twice.
    _rewrite_table_file(s3_client, bucket, backup_id, "variable", lambda lines: [*lines, lines[0]])
    with target.begin() as conn:
        conn.execute(sa.text("INSERT INTO variable (key, val, is_encrypted) VALUES ('target_only', 'keep me', false)"))
    before = snapshot(target, secrets)

    sfn = FakeSfn()
    with pytest.raises(TransferError):
        restore(target, s3_client, bucket, backup_id, secrets, sfn=sfn)
    failure = _failure(sfn)
    assert failure["error"] == "MwaaOps.DuplicateKey"
    assert "variable" in failure["cause"] and "variable_key" in failure["cause"]
    assert "var_0" not in failure["cause"]  # constraint names only, never row values
    assert snapshot(target, secrets) == before  # nothing was committed: one transaction
    assert paused_state(target) == {}


def test_runs_the_target_created_itself_are_kept_and_the_backups_copies_skipped(make_db, s3_client, bucket):
    source, target = make_db(VERSION), make_db(VERSION)
    secrets = SqlSecrets()
    seed(source, VERSION, random.Random(16), runs=8)
    backup_id = new_backup_id("boot")
    export(source, VERSION, s3_client, bucket, backup_id, secrets)
    with source.connect() as src:
        runs = src.execute(sa.text(
            "SELECT dag_id, run_id, execution_date FROM dag_run WHERE run_id <> 'manual__self' ORDER BY id")).all()
        tis_of = lambda d, r: src.execute(sa.text(  # noqa: E731
            "SELECT count(*) FROM task_instance WHERE dag_id = :d AND run_id = :r"), {"d": d, "r": r}).scalar()
        skipped_tis = tis_of(runs[0][0], runs[0][1]) + tis_of(runs[1][0], runs[1][1])
        total_runs = src.execute(sa.text("SELECT count(*) FROM dag_run")).scalar()
    with target.begin() as conn:
        # What a new environment's scheduler does before the import: the same run id, and another
        # run id for the same logical date (both unique in dag_run).
        insert = sa.text("INSERT INTO dag_run (dag_id, run_id, execution_date, run_type, state) "
                         "VALUES (:d, :r, :e, 'scheduled', 'running')")
        conn.execute(insert, {"d": runs[0][0], "r": runs[0][1], "e": runs[0][2]})
        conn.execute(insert, {"d": runs[1][0], "r": "scheduled__boot", "e": runs[1][2]})

    for attempt in range(2):  # a re-run after a lost answer sees the marker; no loop of failures
        result, sfn = restore(target, s3_client, bucket, backup_id, secrets)
        assert sfn.answers()[0][0] == "success"
    assert result["alreadyImported"] is True
    with target.connect() as conn:
        kept = conn.execute(sa.text(
            "SELECT run_id, state, run_type FROM dag_run WHERE dag_id = :d AND execution_date = :e"),
            {"d": runs[1][0], "e": runs[1][2]}).all()
        assert kept == [("scheduled__boot", "running", "scheduled")]
        assert conn.execute(sa.text("SELECT count(*) FROM dag_run")).scalar() == total_runs
        # The target's runs have no task instances: the backup's were skipped with their runs.
        for dag_id, run_id in ((runs[0][0], runs[0][1]), (runs[1][0], "scheduled__boot")):
            assert conn.execute(sa.text("SELECT count(*) FROM task_instance WHERE dag_id = :d AND run_id = :r"),
                                {"d": dag_id, "r": run_id}).scalar() == 0


def test_conflicts_are_reported_in_the_answer(make_db, s3_client, bucket):
    source, target = make_db(VERSION), make_db(VERSION)
    secrets = SqlSecrets()
    seed(source, VERSION, random.Random(17), runs=8)
    backup_id = new_backup_id("conflicts")
    export(source, VERSION, s3_client, bucket, backup_id, secrets)
    with source.connect() as src:
        dag_id, run_id, stamp = src.execute(sa.text(
            "SELECT dag_id, run_id, execution_date FROM dag_run WHERE run_id <> 'manual__self' ORDER BY id LIMIT 1")).one()
        tis = src.execute(sa.text("SELECT count(*) FROM task_instance WHERE dag_id = :d AND run_id = :r"),
                          {"d": dag_id, "r": run_id}).scalar()
    with target.begin() as conn:
        conn.execute(sa.text("INSERT INTO dag_run (dag_id, run_id, execution_date, run_type) VALUES (:d, :r, :e, 'manual')"),
                     {"d": dag_id, "r": run_id, "e": stamp})
    result, sfn = restore(target, s3_client, bucket, backup_id, secrets)
    assert result["alreadyImported"] is False
    assert result["conflicts"]["dag_run"] == 1 and result["conflicts"].get("task_instance", 0) == tis
    assert json.loads(sfn.answers()[0][1]["output"])["conflicts"] == result["conflicts"]


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
    with target.connect() as conn:
        sequence_before = conn.execute(sa.text("SELECT last_value FROM dag_run_id_seq")).scalar()

    def die_midway():
        # Sequences are not transactional: another connection sees ids drawn inside the import.
        with target.connect() as probe:
            drawn = probe.execute(sa.text("SELECT last_value FROM dag_run_id_seq")).scalar()
        if drawn > sequence_before:
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
    # A backup whose import fails inside the transaction (a repeated pool).
    _rewrite_table_file(s3_client, bucket, backup_id, "slot_pool", lambda lines: [*lines, lines[-1]])
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
