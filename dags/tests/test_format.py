"""The value encoding, the conf contract and the catalogue, without a database."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json

import pytest

from mwaa_ops.conf import parse_conf
from mwaa_ops.errors import BackupIncompatible, InvalidConf, describe_failure
from mwaa_ops.format import TableFileWriter, decode_binary, encode_value, iter_table_file, validate_manifest
from mwaa_ops.tables import CARRIED, EXCLUDED, carried_for, import_order


def test_encodes_values_as_the_format_document_says():
    stamp = dt.datetime(2026, 11, 26, 10, 15, 30, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert encode_value(stamp) == "2026-11-26T08:15:30.123456+00:00"
    assert encode_value(stamp.replace(microsecond=0)) == "2026-11-26T08:15:30+00:00"
    assert encode_value(dt.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05"
    assert encode_value(b"\x00\xff") == {"$binary": "AP8="}
    assert encode_value(memoryview(b"ab")) == {"$binary": "YWI="}
    assert encode_value({"a": [1, None]}) == {"a": [1, None]}
    assert encode_value(None) is None and encode_value(True) is True and encode_value(1.5) == 1.5
    assert decode_binary({"$binary": "AP8="}) == b"\x00\xff"
    assert decode_binary({"$binary": "AP8=", "other": 1}) == {"$binary": "AP8=", "other": 1}


def test_a_row_is_one_line_keyed_by_column_name_even_with_newlines():
    buffer = io.BytesIO()
    writer = TableFileWriter(buffer, ["key", "val"])
    writer.write_rows([("a", "line 1\nline 2\r\n"), ("ü", None)])
    writer.close()
    raw = gzip.decompress(buffer.getvalue()).decode("utf-8")
    assert raw.count("\n") == 2
    assert json.loads(raw.splitlines()[0]) == {"key": "a", "val": "line 1\nline 2\r\n"}
    assert list(iter_table_file(io.BytesIO(buffer.getvalue()))) == [
        {"key": "a", "val": "line 1\nline 2\r\n"},
        {"key": "ü", "val": None},
    ]


def test_an_empty_table_is_a_gzip_of_zero_bytes():
    buffer = io.BytesIO()
    writer = TableFileWriter(buffer, ["key"])
    writer.close()
    assert gzip.decompress(buffer.getvalue()) == b"" and writer.rows == 0


def test_nan_is_refused_rather_than_written_as_invalid_json():
    with pytest.raises(ValueError):
        TableFileWriter(io.BytesIO(), ["x"]).write_rows([(float("nan"),)])


GOOD_CONF = {
    "task_token": "secret-token",
    "backup": {"bucket": "b", "prefix": "backups/dev/20261126T190000Z-abc/", "backupId": "20261126T190000Z-abc"},
    "environment": "dev",
    "execution_arn": "arn:aws:states:us-east-1:1:execution:m:abc",
    "heartbeat_seconds": 30,
}


def test_conf_contract_accepts_the_documented_shape():
    conf = parse_conf(GOOD_CONF)
    assert (conf.bucket, conf.backup_id, conf.heartbeat_seconds, conf.unpause_on_failure) == (
        "b", "20261126T190000Z-abc", 30, False)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"backup": None}, "conf.backup"),
        ({"environment": "prod"}, "conf.backup.prefix"),
        ({"heartbeat_seconds": 0}, "conf.heartbeat_seconds"),
        ({"backup": {**GOOD_CONF["backup"], "backupId": "nope", "prefix": "backups/dev/nope/"}}, "backupId"),
        ({"task_token": 12}, "conf.task_token"),
    ],
)
def test_conf_errors_name_the_field_and_never_the_token(change, field):
    with pytest.raises(InvalidConf) as caught:
        parse_conf({**GOOD_CONF, **change})
    assert field in str(caught.value) and "secret-token" not in str(caught.value)


def test_manifest_validation_refuses_other_versions_and_missing_mandatory_tables():
    base = {"formatVersion": 1, "kind": "database", "environment": "dev", "backupId": "x",
            "tables": {name: {"rows": 0, "columns": [], "file": f"tables/{name}.jsonl.gz"}
                       for name in ("variable", "connection", "slot_pool")}}
    validate_manifest(base, "dev", "x")
    traversal = {**base["tables"], "../../etc/x": {"rows": 0, "columns": [], "file": "tables/x.jsonl.gz"}}
    bad_column = {**base["tables"], "log": {"rows": 0, "columns": ['id"; DROP TABLE log; --'], "file": "tables/log.jsonl.gz"}}
    for broken in ({**base, "formatVersion": 3}, {**base, "kind": "rest"}, {**base, "environment": "prod"},
                   {**base, "tables": {"variable": base["tables"]["variable"]}}, {**base, "tables": traversal},
                   {**base, "tables": bad_column}):
        with pytest.raises(BackupIncompatible):
            validate_manifest(broken, "dev", "x")


def test_catalogue_orders_referenced_tables_first_and_excludes_with_reasons():
    names = [table.name for table in CARRIED]
    for table in CARRIED:
        for ref in table.references.values():
            assert names.index(ref.split(".")[0]) < names.index(table.name)
        assert table.name not in EXCLUDED
    assert "task_instance_history" not in [t.name for t in carried_for("2.9.2")]
    assert "task_instance_history" in [t.name for t in carried_for("2.11.0")]
    assert all(EXCLUDED[name] for name in ("trigger", "serialized_dag", "ab_user", "job", "callback_request"))
    assert import_order(["zz", "xcom", "dag_run", "aa"], {"aa": {"x": "zz.id"}}) == ["dag_run", "xcom", "zz", "aa"]


def test_database_errors_are_described_without_row_values():
    class Diag:
        table_name = "variable"
        constraint_name = "variable_key_key"

    class Orig(Exception):
        pgcode = "23505"
        diag = Diag()

    class Wrapped(Exception):
        orig = Orig("Key (key)=(super-secret) already exists")

    failure = describe_failure(Wrapped("Key (key)=(super-secret) already exists"), "import")
    assert failure.name == "MwaaOps.DuplicateKey"
    assert "variable_key_key" in str(failure) and "super-secret" not in str(failure)
    assert describe_failure(RuntimeError("password=hunter2"), "export").name == "MwaaOps.UnexpectedFailure"
    assert "hunter2" not in str(describe_failure(RuntimeError("password=hunter2"), "export"))


def test_writes_name_the_backup_key_explicitly_or_leave_the_bucket_default():
    from mwaa_ops.s3io import BackupStore

    class Recorder:
        def __init__(self):
            self.calls = []

        def put_object(self, **kwargs):
            self.calls.append(kwargs)

    with_key, without_key = Recorder(), Recorder()
    BackupStore(with_key, "b", "backups/dev/x/", kms_key_id="arn:aws:kms:eu-west-1:1:key/k").put_json("m.json", {})
    BackupStore(without_key, "b", "backups/dev/x/").put_json("m.json", {})
    assert with_key.calls[0]["ServerSideEncryption"] == "aws:kms"
    assert with_key.calls[0]["SSEKMSKeyId"] == "arn:aws:kms:eu-west-1:1:key/k"
    # aws:kms without a key id would pick the AWS managed aws/s3 key, not the bucket's default key.
    assert "ServerSideEncryption" not in without_key.calls[0] and "SSEKMSKeyId" not in without_key.calls[0]
    assert without_key.calls[0]["Key"] == "backups/dev/x/m.json"


def test_format_v2_table_encodings_are_checked():
    base = {"formatVersion": 2, "kind": "database", "environment": "dev", "backupId": "x",
            "tables": {name: {"rows": 0, "columns": ["a"], "file": f"tables/{name}.jsonl.gz", "encoding": "jsonl"}
                       for name in ("variable", "connection", "slot_pool")}}
    validate_manifest(base, "dev", "x")
    copy_log = {"rows": 0, "columns": ["id"], "file": "tables/log.copy.gz", "encoding": "copy", "columnTypes": {"id": "integer"}}
    validate_manifest({**base, "tables": {**base["tables"], "log": copy_log}}, "dev", "x")
    for broken in (
        {**base, "formatVersion": 1},  # v1 has no encodings
        {**base, "tables": {**base["tables"], "log": {**copy_log, "encoding": "csv"}}},
        {**base, "tables": {**base["tables"], "variable": {**base["tables"]["variable"], "encoding": "copy"}}},
        {**base, "tables": {**base["tables"], "dag_run": {**copy_log, "file": "tables/dag_run.copy.gz"},
                            "xcom": {"rows": 0, "columns": ["dag_run_id"], "file": "tables/xcom.jsonl.gz",
                                     "encoding": "jsonl", "references": {"dag_run_id": "dag_run.id"}}}},
    ):
        with pytest.raises(BackupIncompatible):
            validate_manifest(broken, "dev", "x")
