"""Export from one real PostgreSQL database, import into another, compare every row."""

from __future__ import annotations

import gzip
import json
import random

import pytest
import sqlalchemy as sa
from airflow_schema import VERSIONS
from helpers import fernet_like, paused_state, seed, snapshot
from transfer import export, new_backup_id, restore

from mwaa_ops.secrets import SqlSecrets
from mwaa_ops.tables import version_key


# The contract (docs/backup-format.md, "Restoring unfinished work"), restated here rather than
# imported: task instances that only the old environment's jobs could recover come back with no
# state when their run is unfinished, so the new scheduler schedules them again.
ORPHANED = {"queued", "running", "restarting", "deferred"}
UNFINISHED_RUNS = {"queued", "running"}


def _expected_from_source(source_snapshot):
    """What the target must hold: the source, with the export's own run recorded as finished and
    orphaned task instances of unfinished runs reset."""
    expected = {}
    run_states = {}
    for row in source_snapshot.get("dag_run", []):
        values = dict(row)
        state = "success" if values.get("run_id") == "manual__self" else values["state"]
        run_states[(values["dag_id"], values["run_id"])] = state
    for table, rows in source_snapshot.items():
        out = []
        for row in rows:
            values = dict(row)
            if table in ("dag_run", "task_instance") and values.get("run_id") == "manual__self":
                assert values["state"] == "running"
                values["state"] = "success"
                if values.get("end_date") is None:
                    values["end_date"] = "<set by export>"
            if (
                table == "task_instance"
                and values["state"] in ORPHANED
                and run_states[(values["dag_id"], values["run_id"])] in UNFINISHED_RUNS
            ):
                if values["state"] == "deferred":
                    values.update(next_method=None, next_kwargs=None, trigger_timeout=None)
                values["state"] = None
            out.append(tuple(sorted(values.items(), key=lambda kv: kv[0])))
        expected[table] = sorted(out, key=repr)
    return expected


def _mask_export_end_date(target_snapshot):
    masked = {}
    for table, rows in target_snapshot.items():
        out = []
        for row in rows:
            values = dict(row)
            if table == "dag_run" and values.get("run_id") == "manual__self":
                assert values["end_date"] is not None
                values["end_date"] = "<set by export>"
            out.append(tuple(sorted(values.items(), key=lambda kv: kv[0])))
        masked[table] = sorted(out, key=repr)
    return masked


@pytest.mark.parametrize("version", VERSIONS)
def test_round_trip_restores_every_row_of_every_carried_table(version, make_db, s3_client, bucket):
    source, target = make_db(version), make_db(version)
    source_keys, target_keys = fernet_like(), SqlSecrets(decrypt=lambda s: s[5:], encrypt=lambda s: "key2:" + s)
    facts = seed(source, version, random.Random(version))
    before = snapshot(source, source_keys)
    backup_id = new_backup_id("rt")

    exported, export_sfn = export(source, version, s3_client, bucket, backup_id, source_keys)
    # The source is paused: every previously active DAG, but not the export DAG itself.
    paused = paused_state(source)
    assert all(paused[dag_id] for dag_id in facts["active"]) and paused["mwaa_ops_export"] is False
    assert export_sfn.answers()[0][0] == "success"
    answer = json.loads(export_sfn.answers()[0][1]["output"])
    assert answer["tables"]["task_instance"] == facts["task_instances"]
    assert answer["activeDags"] == len(facts["active"])

    manifest = json.loads(s3_client.get_object(Bucket=bucket, Key=f"backups/dev/{backup_id}/manifest.json")["Body"].read())
    assert manifest["activeDags"] == facts["active"] and manifest["airflowVersion"] == version
    assert manifest["tables"]["xcom"]["references"] == {"dag_run_id": "dag_run.id"}
    assert "creating_job_id" not in manifest["tables"]["dag_run"]["columns"]
    assert {"trigger", "serialized_dag", "job", "ab_user"} <= set(manifest["excluded"])
    assert ("task_instance_history" in manifest["tables"]) == (version_key(version) >= (2, 10, 0))

    restored, import_sfn = restore(target, s3_client, bucket, backup_id, target_keys)
    assert import_sfn.answers()[0][0] == "success"
    assert restored["alreadyImported"] is False and restored["droppedColumns"] == {}

    after = snapshot(target, target_keys)
    expected = _expected_from_source(before)
    assert _mask_export_end_date(after) == expected
    # Pause states travel both ways (placeholders: the target has not parsed any DAG yet).
    assert paused_state(target) == {**{d: False for d in facts["active"]}, **{d: True for d in facts["paused"]}}
    assert manifest["pausedDags"] == facts["paused"]
    assert restored["resetTaskInstances"] == sum(
        1 for row in after["task_instance"] if dict(row)["state"] is None
    ) - sum(1 for row in before["task_instance"] if dict(row)["state"] is None)
    with target.connect() as conn:
        # References to rows that are not carried are left empty, never copied verbatim.
        assert conn.execute(sa.text("SELECT count(*) FROM dag_run WHERE creating_job_id IS NOT NULL")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM task_instance WHERE trigger_id IS NOT NULL")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM dag_run_note WHERE user_id IS NOT NULL")).scalar() == 0
        # Secrets were re-encrypted with the target's key.
        stored = {k: v for k, v in conn.execute(sa.text("SELECT key, val FROM variable"))}
        assert stored["var_0"].startswith("key2:")
        # xcom.dag_run_id points at the target's own dag_run ids.
        orphans = conn.execute(sa.text(
            "SELECT count(*) FROM xcom x LEFT JOIN dag_run r ON r.id = x.dag_run_id "
            "WHERE r.id IS NULL OR r.dag_id <> x.dag_id OR r.run_id <> x.run_id")).scalar()
        assert orphans == 0
    # No secret value reaches a Step Functions payload.
    payloads = json.dumps(export_sfn.calls + import_sfn.calls)
    for variable in facts["variables"]:
        if variable["val"]:
            assert variable["val"] not in payloads
    assert "p@ss" not in payloads


def test_large_xcom_values_and_larger_tables_survive(make_db, s3_client, bucket):
    version = "2.10.3"
    source, target = make_db(version), make_db(version)
    secrets = SqlSecrets()
    seed(source, version, random.Random(7), runs=40, tasks=6, big_xcom=3 * 1024 * 1024)
    before = snapshot(source, secrets)
    backup_id = new_backup_id("big")
    export(source, version, s3_client, bucket, backup_id, secrets, batch_size=50)
    restore(target, s3_client, bucket, backup_id, secrets, batch_size=50)
    after = _mask_export_end_date(snapshot(target, secrets))
    assert after == _expected_from_source(before)
    with target.connect() as conn:
        assert conn.execute(sa.text("SELECT max(length(value)) FROM xcom")).scalar() == 3 * 1024 * 1024


@pytest.mark.parametrize("seed_value", [11, 12, 13])
def test_randomized_contents_round_trip(seed_value, make_db, s3_client, bucket):
    rng = random.Random(seed_value)
    version = rng.choice(VERSIONS)
    source, target = make_db(version), make_db(version)
    secrets = SqlSecrets()
    seed(source, version, rng, runs=rng.randint(1, 25), tasks=rng.randint(3, 7))
    before = snapshot(source, secrets)
    backup_id = new_backup_id("rnd")
    export(source, version, s3_client, bucket, backup_id, secrets, batch_size=rng.randint(1, 40))
    restore(target, s3_client, bucket, backup_id, secrets, batch_size=rng.randint(1, 40))
    assert _mask_export_end_date(snapshot(target, secrets)) == _expected_from_source(before)


def test_an_empty_table_in_the_backup_empties_the_target(make_db, s3_client, bucket):
    version = "2.9.2"
    source, target = make_db(version), make_db(version)
    secrets = SqlSecrets()
    facts = seed(source, version, random.Random(1))
    seed(target, version, random.Random(2))  # the target has variables, pools and parsed DAGs of its own
    with target.begin() as conn:
        conn.execute(sa.text("UPDATE dag SET is_paused = true"))  # as MWAA creates them
        conn.execute(sa.text("INSERT INTO dag (dag_id, is_paused, max_active_tasks, has_task_concurrency_limits, "
                             "max_consecutive_failed_dag_runs) VALUES ('only_in_target', true, 16, false, 0)"))
    with source.begin() as conn:
        conn.execute(sa.text("DELETE FROM variable"))  # deleted before the pause
        conn.execute(sa.text("DELETE FROM slot_pool WHERE pool <> 'default_pool'"))
    backup_id = new_backup_id("empty")
    export(source, version, s3_client, bucket, backup_id, secrets)
    body = s3_client.get_object(Bucket=bucket, Key=f"backups/dev/{backup_id}/tables/variable.jsonl.gz")["Body"].read()
    assert gzip.decompress(body) == b""
    # The target already holds runs of its own with other run ids? No: a resumed environment is new.
    with target.begin() as conn:
        conn.execute(sa.text("DELETE FROM dag_run"))
        conn.execute(sa.text("DELETE FROM log"))
        conn.execute(sa.text("DELETE FROM sla_miss"))
    restore(target, s3_client, bucket, backup_id, secrets)
    with target.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM variable")).scalar() == 0
        assert [r[0] for r in conn.execute(sa.text("SELECT pool FROM slot_pool"))] == ["default_pool"]
        assert conn.execute(sa.text("SELECT slots FROM slot_pool")).scalar() == 64
    # Parsed DAGs that were active are unpaused in place; the others keep the target's state.
    expected_pause = {dag_id: dag_id not in facts["active"] for dag_id in paused_state(target)}
    assert paused_state(target) == expected_pause and expected_pause["only_in_target"] is True


@pytest.mark.parametrize(
    "source_version, target_version",
    [("2.10.3", "2.11.0"), ("2.7.2", "2.10.3"), ("2.10.1", "2.9.2")],
)
def test_cross_version_restore_maps_columns_by_name(source_version, target_version, make_db, s3_client, bucket):
    source, target = make_db(source_version), make_db(target_version)
    secrets = SqlSecrets()
    seed(source, source_version, random.Random(5))
    before = snapshot(source, secrets)
    backup_id = new_backup_id("xv")
    export(source, source_version, s3_client, bucket, backup_id, secrets)
    restored, sfn = restore(target, s3_client, bucket, backup_id, secrets)
    assert sfn.answers()[0][0] == "success"
    after = _mask_export_end_date(snapshot(target, secrets))
    expected = _expected_from_source(before)
    if source_version == "2.10.3" and target_version == "2.11.0":
        # Same schema: exactly equal.
        assert restored["droppedColumns"] == {} and restored["skippedTables"] == []
        assert after == expected
        return
    for table in ("variable", "connection", "slot_pool", "xcom", "rendered_task_instance_fields", "task_map"):
        assert after[table] == expected[table]
    if source_version == "2.7.2":
        # Columns 2.8+ added are filled with their defaults.
        runs = [dict(r) for r in after["dag_run"]]
        assert {r["clear_number"] for r in runs} == {0}
        assert all(dict(r)["executor"] is None for r in after["task_instance"])
    else:
        # A downgrade drops what the older schema cannot hold, and says so.
        assert sorted(restored["skippedTables"]) == [
            "dataset_alias", "dataset_alias_dataset", "dataset_alias_dataset_event", "task_instance_history"]
        assert restored["droppedColumns"]["task_instance"] == ["executor"]
        assert restored["droppedColumns"]["log"] == ["try_number"]
        assert len(after["task_instance"]) == len(expected["task_instance"])


@pytest.mark.parametrize("source_version, target_version", [("2.10.3", "2.10.3"), ("2.10.3", "2.11.0")])
def test_a_format_v1_backup_still_restores_exactly(source_version, target_version, make_db, s3_client, bucket):
    """Backups taken before format v2 (JSON Lines files only) restore with the v2 importer."""
    source, target = make_db(source_version), make_db(target_version)
    secrets = SqlSecrets()
    seed(source, source_version, random.Random(11))
    before = snapshot(source, secrets)
    backup_id = new_backup_id("v1")
    export(source, source_version, s3_client, bucket, backup_id, secrets, format_version=1)
    manifest = json.loads(s3_client.get_object(Bucket=bucket, Key=f"backups/dev/{backup_id}/manifest.json")["Body"].read())
    assert manifest["formatVersion"] == 1
    assert all(entry["file"].endswith(".jsonl.gz") and "encoding" not in entry for entry in manifest["tables"].values())
    restored, sfn = restore(target, s3_client, bucket, backup_id, secrets)
    assert sfn.answers()[0][0] == "success" and restored["droppedColumns"] == {}
    assert _mask_export_end_date(snapshot(target, secrets)) == _expected_from_source(before)


def test_format_v2_carries_history_tables_as_copy_text_and_the_rest_as_json_lines(make_db, s3_client, bucket):
    source = make_db("2.10.3")
    seed(source, "2.10.3", random.Random(12))
    backup_id = new_backup_id("v2")
    export(source, "2.10.3", s3_client, bucket, backup_id, SqlSecrets())
    manifest = json.loads(s3_client.get_object(Bucket=bucket, Key=f"backups/dev/{backup_id}/manifest.json")["Body"].read())
    assert manifest["formatVersion"] == 2
    encodings = {name: entry["encoding"] for name, entry in manifest["tables"].items()}
    assert {encodings[t] for t in ("variable", "connection", "slot_pool")} == {"jsonl"}
    assert {encodings[t] for t in ("dag_run", "task_instance", "xcom", "log", "dataset_event")} == {"copy"}
    xcom = manifest["tables"]["xcom"]
    assert xcom["file"] == "tables/xcom.copy.gz" and xcom["columnTypes"]["value"] == "bytea"
    assert manifest["tables"]["dag_run"]["columnTypes"]["execution_date"] == "timestamp with time zone"
    # The file's rows are what the manifest counts, in COPY text (tab-separated, one row a line).
    body = gzip.decompress(s3_client.get_object(Bucket=bucket, Key=f"backups/dev/{backup_id}/{xcom['file']}")["Body"].read())
    lines = body.splitlines()
    assert len(lines) == xcom["rows"] > 0
    assert all(line.count(b"\t") == len(xcom["columns"]) - 1 for line in lines)
