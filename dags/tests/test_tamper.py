"""The import refuses a manifest that is not the one the workflow verified (docs/pause-resume.md,
"Isolation"): the resume passes the SHA-256 recorded in EnvironmentsTable as
``conf.backup.manifestSha256``, and a manifest swapped in after VerifyBackup, valid and with every
file checksum right, must not be restored."""

from __future__ import annotations

import hashlib
import json
import random

import pytest
import sqlalchemy as sa
from helpers import FakeSfn, seed
from transfer import export, new_backup_id, restore

from mwaa_ops.conf import parse_conf
from mwaa_ops.errors import InvalidConf, TransferError
from mwaa_ops.secrets import SqlSecrets

VERSION = "2.10.3"


def _backup_conf(bucket: str, backup_id: str, **backup_extra):
    return {"backup": {"bucket": bucket, "prefix": f"backups/dev/{backup_id}/", "backupId": backup_id, **backup_extra}}


def _variables(engine):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM variable")).scalar()


def test_a_manifest_swapped_after_verification_is_refused_before_the_database_is_touched(make_db, s3_client, bucket):
    source = make_db(VERSION)
    secrets = SqlSecrets()
    seed(source, VERSION, random.Random(14))
    backup_id = new_backup_id("tamper")
    export(source, VERSION, s3_client, bucket, backup_id, secrets)
    key = f"backups/dev/{backup_id}/manifest.json"
    raw = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    recorded = hashlib.sha256(raw).hexdigest()

    # A consistent rewrite: the same files and checksums, a manifest that would leave every DAG
    # paused. Without the recorded digest it restores; with it, it is refused.
    manifest = json.loads(raw)
    manifest["pausedDags"] = sorted({*manifest.get("pausedDags", []), *manifest["activeDags"]})
    manifest["activeDags"] = []
    s3_client.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest, indent=2).encode("utf-8"))

    target = make_db(VERSION)
    sfn = FakeSfn()
    with pytest.raises(TransferError) as refused:
        restore(target, s3_client, bucket, backup_id, secrets, sfn=sfn,
                **_backup_conf(bucket, backup_id, manifestSha256=recorded))
    assert refused.value.name == "MwaaOps.BackupTampered"
    [(kind, answer)] = sfn.answers()
    assert kind == "failure" and answer["error"] == "MwaaOps.BackupTampered"
    assert "conf.backup.manifestSha256" in answer["cause"] and key in answer["cause"]
    assert _variables(target) == 0  # nothing restored

    # The recorded manifest itself restores.
    s3_client.put_object(Bucket=bucket, Key=key, Body=raw)
    result, _ = restore(target, s3_client, bucket, backup_id, secrets,
                        **_backup_conf(bucket, backup_id, manifestSha256=recorded))
    assert result["backupId"] == backup_id
    assert _variables(target) > 0


def test_the_manifest_digest_in_the_conf_is_optional_and_checked_for_shape():
    base = {"environment": "dev", **_backup_conf("b", "20261126T190000Z-x-1")}
    assert parse_conf(base).manifest_sha256 is None
    assert parse_conf({**base, **_backup_conf("b", "20261126T190000Z-x-1", manifestSha256="a" * 64)}).manifest_sha256 == "a" * 64
    for bad in ("A" * 64, "a" * 63, 42):
        with pytest.raises(InvalidConf, match="manifestSha256"):
            parse_conf({**base, **_backup_conf("b", "20261126T190000Z-x-1", manifestSha256=bad)})
