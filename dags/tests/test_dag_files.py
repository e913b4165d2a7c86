"""The Airflow-facing layer (DAG files + mwaa_ops.airflow_adapter) against a stand-in `airflow`.

Airflow cannot be installed here; these fakes implement only what the layer touches
(``DAG``/``PythonOperator`` constructor arguments, ``settings.engine``, ``__version__``,
``models.crypto.get_fernet``) so the wiring — conf from the run, own-run identity, Fernet
round trip, task-token answers — runs end to end against PostgreSQL and s3rver.
"""

from __future__ import annotations

import base64
import gzip
import importlib
import json
import random
import sys
import types

import pytest
import sqlalchemy as sa
from helpers import STACK, FakeSfn, backup_table_rows, conf_for, execution_arn, paused_state, seed
from s3_server import BUCKET

from mwaa_ops import airflow_adapter
from mwaa_ops.secrets import SqlSecrets

VERSION = "2.9.2"


class FakeFernet:
    """Reversible and key-specific, like Fernet (without the cryptography package)."""

    def __init__(self, key: str):
        self.key = key
        self.is_encrypted = True

    def encrypt(self, data: bytes) -> bytes:
        return base64.b64encode(self.key.encode() + b":" + data)

    def decrypt(self, token: bytes) -> bytes:
        key, _, data = base64.b64decode(token).partition(b":")
        if key.decode() != self.key:
            raise ValueError("InvalidToken")
        return data


class FakeDag:
    instances: list = []

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.tasks = []
        FakeDag.instances.append(self)

    def __enter__(self):
        FakeOperator.current = self
        return self

    def __exit__(self, *exc):
        FakeOperator.current = None


class FakeOperator:
    current = None

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        FakeOperator.current.tasks.append(self)


class FakeConfig:
    """``airflow.configuration.conf``: the ``[mwaa_ops]`` options a test sets."""

    def __init__(self, options):
        self.options = options

    def get(self, section, key, fallback=None):
        return self.options.get(f"{section}.{key}", fallback)


#: What the operator sets on the environment (docs/pause-resume.md#setup) and MWAA sets itself.
CONFIGURED = {"mwaa_ops.stack_name": STACK, "mwaa_ops.backup_bucket": BUCKET}


@pytest.fixture
def fake_airflow(monkeypatch):
    def install(engine, fernet_key: str, options=CONFIGURED, environment="dev"):
        airflow = types.ModuleType("airflow")
        airflow.__version__ = VERSION + "+amzn.1"
        airflow.DAG = FakeDag
        settings = types.ModuleType("airflow.settings")
        settings.engine = engine
        models = types.ModuleType("airflow.models")
        crypto = types.ModuleType("airflow.models.crypto")
        crypto.get_fernet = lambda: FakeFernet(fernet_key)
        configuration = types.ModuleType("airflow.configuration")
        configuration.conf = FakeConfig(options)
        if environment is None:
            monkeypatch.delenv("AIRFLOW_ENV_NAME", raising=False)
        else:
            monkeypatch.setenv("AIRFLOW_ENV_NAME", environment)
        operators = types.ModuleType("airflow.operators")
        python = types.ModuleType("airflow.operators.python")
        python.PythonOperator = FakeOperator
        for name, module in {"airflow": airflow, "airflow.settings": settings, "airflow.models": models,
                             "airflow.models.crypto": crypto, "airflow.configuration": configuration,
                             "airflow.operators": operators,
                             "airflow.operators.python": python}.items():
            monkeypatch.setitem(sys.modules, name, module)
        airflow.settings = settings

    return install


class FakeRun:
    def __init__(self, dag_id, run_id, conf):
        self.dag_id, self.run_id, self.conf = dag_id, run_id, conf


def test_dag_files_define_the_contracted_dags(fake_airflow, make_db):
    fake_airflow(make_db(VERSION), "k1")
    FakeDag.instances.clear()
    for module in ("mwaa_ops_export", "mwaa_ops_import"):
        sys.modules.pop(module, None)
        importlib.import_module(module)
    dags = {dag.kwargs["dag_id"]: dag for dag in FakeDag.instances}
    assert set(dags) == {"mwaa_ops_export", "mwaa_ops_import"}
    for dag in dags.values():
        assert dag.kwargs["schedule"] is None and dag.kwargs["max_active_runs"] == 1
        assert dag.kwargs["is_paused_upon_creation"] is False and dag.kwargs["catchup"] is False
        assert len(dag.tasks) == 1 and dag.tasks[0].kwargs["python_callable"].__name__ == "_run"
        # Per-DAG grants of every non-Admin role are revoked (global permissions still apply:
        # dags/README.md, "Which runs are accepted").
        assert dag.kwargs["access_control"] == {}


def test_export_and_import_tasks_through_the_airflow_layer(fake_airflow, make_db, s3_client, bucket, monkeypatch):
    source, target = make_db(VERSION), make_db(VERSION)
    old_key = SqlSecrets(decrypt=lambda s: FakeFernet("old").decrypt(s.encode()).decode(),
                         encrypt=lambda s: FakeFernet("old").encrypt(s.encode()).decode())
    facts = seed(source, VERSION, random.Random(21), secrets=old_key)
    raw, _ = conf_for(bucket, "dev", "20261126T190000Z-adapter-1")

    sfn = FakeSfn()
    monkeypatch.setattr(airflow_adapter, "_s3_client", lambda: s3_client)
    monkeypatch.setattr(airflow_adapter, "_sfn_client", lambda: sfn)
    fake_airflow(source, "old")
    exported = airflow_adapter.export_task(dag_run=FakeRun("mwaa_ops_export", "manual__self", raw))
    assert sfn.answers()[0][0] == "success" and exported["airflowVersion"] == VERSION
    # The run that exported was written as finished.
    runs = backup_table_rows(s3_client, bucket, raw["backup"]["prefix"], "dag_run")
    assert [r["state"] for r in runs if r["run_id"] == "manual__self"] == ["success"]
    # Variables are in the backup decrypted (the old key cannot travel).
    variables = gzip.decompress(s3_client.get_object(
        Bucket=bucket, Key=raw["backup"]["prefix"] + "tables/variable.jsonl.gz")["Body"].read()).decode()
    in_backup = {row["key"]: row["val"] for row in map(json.loads, variables.splitlines())}
    assert in_backup == {v["key"]: v["val"] for v in facts["variables"]}

    sfn = FakeSfn()
    monkeypatch.setattr(airflow_adapter, "_s3_client", lambda: s3_client)
    monkeypatch.setattr(airflow_adapter, "_sfn_client", lambda: sfn)
    fake_airflow(target, "new")
    raw, _ = conf_for(bucket, "dev", "20261126T190000Z-adapter-1", phase="import")
    imported = airflow_adapter.import_task(dag_run=FakeRun("mwaa_ops_import", "manual__import", raw))
    assert sfn.answers()[0][0] == "success" and imported["alreadyImported"] is False
    new_key = SqlSecrets(decrypt=lambda s: FakeFernet("new").decrypt(s.encode()).decode())
    with target.connect() as conn:
        restored = {r["key"]: r["val"] for r in new_key.iter_variables(conn)}
        marker = conn.execute(sa.text("SELECT dag_id FROM log WHERE event = 'mwaa_ops_import'")).scalar()
    assert restored == {v["key"]: v["val"] for v in facts["variables"]}
    assert marker == "mwaa_ops_import"
    # Pause states travel both ways: active DAGs unpaused, paused ones paused (placeholders alike).
    assert paused_state(target) == {**{d: False for d in facts["active"]}, **{d: True for d in facts["paused"]}}


def test_a_bad_conf_fails_the_task_and_answers_the_token(fake_airflow, make_db, monkeypatch):
    fake_airflow(make_db(VERSION), "k")
    sfn = FakeSfn()
    monkeypatch.setattr(airflow_adapter, "_sfn_client", lambda: sfn)
    with pytest.raises(Exception) as caught:
        airflow_adapter.import_task(dag_run=FakeRun("mwaa_ops_import", "r", {
            "task_token": "tok", "environment": "dev", "backup": {}, "execution_arn": execution_arn("import", "r")}))
    assert type(caught.value).__name__ == "InvalidConf"
    assert sfn.answers() == [("failure", {"taskToken": "tok", "error": "MwaaOps.InvalidConf",
                                          "cause": "conf.backup.bucket must be a non-empty string"})]
