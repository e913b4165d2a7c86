"""The Airflow 3 secrets task's own logic (dags/mwaa_ops_v3): what it accepts, what it writes.

No Airflow here (the module imports none); the real-Airflow proof is
test/airflow/airflow3-transfer.test.ts, where Airflow 3.0.6 runs the DAG.
"""

from __future__ import annotations

import json

import pytest

from mwaa_ops_v3 import connection_secrets as cs

GOOD = {
    "environment": "prod",
    "bucket": "backups",
    "backupId": "20261203T120000Z-abc",
    "connectionIds": ["b", "a"],
    "variableKeys": ["k"],
}


def test_location_comes_from_the_environment_and_the_backup_id():
    location = cs.secrets_location(dict(GOOD), "prod", "backups")
    assert location == {
        "bucket": "backups",
        "prefix": "backups/prod/20261203T120000Z-abc/",
        "key": "backups/prod/20261203T120000Z-abc/connection-secrets.json",
        "connection_ids": ["a", "b"],
        "variable_keys": ["k"],
        "kms_key_id": None,
    }


@pytest.mark.parametrize(
    "change, env, bucket, message",
    [
        ({"environment": "other"}, "prod", "backups", "environment"),
        ({"bucket": "elsewhere"}, "prod", "backups", "bucket other than"),
        ({}, "prod", None, "mwaa_ops.backup_bucket"),
        ({}, None, "backups", "AIRFLOW_ENV_NAME"),
        ({"backupId": "../../x"}, "prod", "backups", "backupId"),
        ({"connectionIds": ["a b"]}, "prod", "backups", "connectionIds"),
        ({"connectionIds": ["a", "a"]}, "prod", "backups", "duplicates"),
        ({"variableKeys": "k"}, "prod", "backups", "variableKeys"),
    ],
)
def test_refuses_a_conf_that_points_elsewhere_or_is_malformed(change, env, bucket, message):
    with pytest.raises(cs.SecretsExportRefused, match=message):
        cs.secrets_location({**GOOD, **change}, env, bucket)


class FakeS3:
    def __init__(self, existing=()):
        self.existing = set(existing)
        self.puts = []

    def head_object(self, Bucket, Key):
        if Key in self.existing:
            return {}
        error = Exception("missing")
        error.response = {"ResponseMetadata": {"HTTPStatusCode": 404}}
        raise error

    def put_object(self, **kwargs):
        self.puts.append(kwargs)


def test_writes_with_sse_kms_and_returns_no_values():
    location = cs.secrets_location({**GOOD, "kmsKeyId": "key-arn"}, "prod", "backups")
    s3 = FakeS3()
    rows = [{"connection_id": "a", "password": "s3cr3t"}]
    out = cs.write(s3, location, rows, [{"key": "k", "value": "v4lue"}])
    assert s3.puts[0]["ServerSideEncryption"] == "aws:kms" and s3.puts[0]["SSEKMSKeyId"] == "key-arn"
    assert json.loads(s3.puts[0]["Body"])["connections"] == rows
    assert "s3cr3t" not in json.dumps(out) and "v4lue" not in json.dumps(out)
    assert out["connections"] == 1 and out["variables"] == 1


def test_never_writes_into_a_committed_backup():
    location = cs.secrets_location(dict(GOOD), "prod", "backups")
    s3 = FakeS3(existing={location["prefix"] + "manifest.json"})
    with pytest.raises(cs.SecretsExportRefused, match="committed backup"):
        cs.write(s3, location, [], [])
    assert s3.puts == []


def test_a_failed_read_names_the_id_not_the_error_text():
    def get(conn_id):
        raise RuntimeError("backend said password=hunter2")

    with pytest.raises(cs.SecretsExportFailed) as raised:
        cs.collect(["a"], get)
    assert "hunter2" not in str(raised.value) and raised.value.__cause__ is None
