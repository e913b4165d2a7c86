"""Seeding Airflow metadata with awkward but realistic contents, and comparing databases."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import random
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa

from mwaa_ops.acceptance import WORKFLOW_OF, Settings, parse_execution_arn
from mwaa_ops.conf import parse_conf
from mwaa_ops.secrets import SqlSecrets
from mwaa_ops.tables import CARRIED, version_key

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 1, 6, 0, tzinfo=UTC)

AWKWARD_TEXT = [
    "line one\nline two\r\nline three",
    "ünïcødé — 日本語 — emoji 🚀 — \"quotes\", 'single', back\\slash, tab\t",
    "",
    "a,b,c\n\"quoted, with comma\"",
    "ends with newline\n",
]


def fernet_like() -> SqlSecrets:
    """Stand-in for Airflow's Fernet: reversible, visibly different from the plain text."""
    return SqlSecrets(decrypt=lambda s: s[len("enc:"):][::-1], encrypt=lambda s: "enc:" + s[::-1])


#: The stack the package tests' DAGs belong to (mwaa_ops.stack_name).
STACK = "mwaa-ops"


def execution_arn(phase: str, name: str, stack: str = STACK) -> str:
    """An execution of the workflow that runs ``phase`` (the backup child exports, resume imports)."""
    return f"arn:aws:states:us-east-1:123456789012:execution:{stack}-{WORKFLOW_OF[phase]}:{name}"


def settings_for(bucket: str, environment: str = "dev") -> Settings:
    return Settings(environment=environment, stack_name=STACK, backup_bucket=bucket)


def conf_for(bucket: str, environment: str, backup_id: str, phase: str = "export", **extra: Any):
    raw = {
        "task_token": "token-" + backup_id,
        "backup": {"bucket": bucket, "prefix": f"backups/{environment}/{backup_id}/", "backupId": backup_id},
        "environment": environment,
        "execution_arn": execution_arn(phase, backup_id),
        "heartbeat_seconds": 1,
    }
    raw.update(extra)
    return raw, parse_conf(raw)


class FakeSfn:
    """Records SendTask* calls; the tests assert on the payloads.

    ``describe_execution`` answers as Step Functions would for a RUNNING execution of the state
    machine its ARN names, started for ``environment``; ``executions`` overrides the answer per
    ARN (a dict, or an exception to raise).
    """

    def __init__(self, environment: str = "dev", executions: Optional[Dict[str, Any]] = None) -> None:
        self.calls: List[Tuple[str, Dict[str, Any]]] = []
        self.environment = environment
        self.executions = executions or {}

    def describe_execution(self, **kwargs: Any) -> Dict[str, Any]:
        self.calls.append(("describe", kwargs))
        arn = kwargs["executionArn"]
        answer = self.executions.get(arn)
        if isinstance(answer, Exception):
            raise answer
        if answer is not None:
            return answer
        parsed = parse_execution_arn(arn)
        assert parsed is not None, arn
        return {"executionArn": arn, "stateMachineArn": parsed.state_machine_arn(), "status": "RUNNING",
                "input": json.dumps({"environment": self.environment})}

    def send_task_success(self, **kwargs: Any) -> None:
        self.calls.append(("success", kwargs))

    def send_task_failure(self, **kwargs: Any) -> None:
        self.calls.append(("failure", kwargs))

    def send_task_heartbeat(self, **kwargs: Any) -> None:
        self.calls.append(("heartbeat", kwargs))

    def answers(self) -> List[Tuple[str, Dict[str, Any]]]:
        return [call for call in self.calls if call[0] in ("success", "failure")]


def _insert(conn, table: str, rows: List[Dict[str, Any]]) -> None:
    """Plain INSERT; dicts/lists are JSON column values and go in as JSON text."""
    if rows:
        rows = [{k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in row.items()} for row in rows]
        conn.execute(sa.table(table, *(sa.column(c) for c in rows[0])).insert(), rows)


def seed(engine, version: str, rng: random.Random, runs: int = 6, tasks: int = 4, big_xcom: int = 0,
         secrets: Optional[SqlSecrets] = None) -> Dict[str, Any]:
    """Fill a database; returns facts the tests assert on."""
    v = version_key(version)
    secrets = secrets or SqlSecrets()
    rand_text = lambda: rng.choice(AWKWARD_TEXT) + str(rng.randint(0, 10**6))  # noqa: E731
    facts: Dict[str, Any] = {}
    with engine.begin() as conn:
        # Burn ids so that source and target ids differ (remapping must be real).
        for table in ("dag_run", "log", "task_fail", "task_reschedule", "log_template"):
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {rng.randint(50, 500)})"))
        conn.execute(sa.text(
            "INSERT INTO ab_user (first_name, last_name, username, email) VALUES ('Ada', 'L', 'ada', 'ada@example.com')"))
        job_id = conn.execute(sa.text("INSERT INTO job (state, job_type) VALUES ('running', 'SchedulerJob') RETURNING id")).scalar()
        trigger_id = conn.execute(sa.text(
            "INSERT INTO trigger (classpath, kwargs, created_date) VALUES ('x.Trigger', :k, now()) RETURNING id"),
            {"k": '{"secret": "encrypted-with-old-key"}'}).scalar()
        # A second log template: older runs were written with it.
        old_template = conn.execute(sa.text(
            "INSERT INTO log_template (filename, elasticsearch_id, created_at) VALUES "
            "('{{ ti.dag_id }}/{{ ti.task_id }}/{{ ts }}/{{ try_number }}.log', '{dag_id}-{task_id}', now()) RETURNING id")).scalar()
        current_template = conn.execute(sa.text("SELECT min(id) FROM log_template")).scalar()
        dags = [f"dag_{i}" for i in range(5)] + ["mwaa_ops_export"]
        dag_rows = []
        for i, dag_id in enumerate(dags):
            row = {"dag_id": dag_id, "is_paused": i % 2 == 1 and dag_id != "mwaa_ops_export", "is_active": True,
                   "max_active_tasks": 16, "has_task_concurrency_limits": False, "fileloc": f"/dags/{dag_id}.py"}
            if v >= (2, 9, 2):
                row["max_consecutive_failed_dag_runs"] = 0
            dag_rows.append(row)
        _insert(conn, "dag", dag_rows)
        facts["active"] = sorted(r["dag_id"] for r in dag_rows if not r["is_paused"] and r["dag_id"] != "mwaa_ops_export")
        facts["paused"] = sorted(r["dag_id"] for r in dag_rows if r["is_paused"])
        run_rows, ti_rows = [], []
        for r in range(runs):
            dag_id = dags[r % len(dags)]
            run_id = f"scheduled__{(T0 + dt.timedelta(hours=r)).isoformat()}"
            run = {
                "dag_id": dag_id, "run_id": run_id, "execution_date": T0 + dt.timedelta(hours=r),
                "queued_at": T0, "start_date": T0 + dt.timedelta(seconds=r, microseconds=rng.randint(0, 999999)),
                "end_date": None if r % 3 == 0 else T0 + dt.timedelta(minutes=5),
                "state": rng.choice(["success", "failed", "queued"]), "creating_job_id": job_id,
                "external_trigger": r % 2 == 0, "run_type": "scheduled",
                "conf": None if r % 4 == 0 else pickle.dumps({"param": rand_text(), "n": r}),
                "data_interval_start": T0, "data_interval_end": T0 + dt.timedelta(hours=1),
                "log_template_id": old_template if r % 2 else current_template, "dag_hash": "abc",
            }
            if v >= (2, 8, 1):
                run["clear_number"] = r % 3
            run_rows.append(run)
        # The export's own run: running while the export reads the database.
        run_rows.append({"dag_id": "mwaa_ops_export", "run_id": "manual__self", "execution_date": T0 + dt.timedelta(days=3),
                         "state": "running", "run_type": "manual", "external_trigger": True, "end_date": None,
                         "log_template_id": current_template, "creating_job_id": job_id,
                         **({"clear_number": 0} if v >= (2, 8, 1) else {})})
        keys = sorted({k for row in run_rows for k in row})
        _insert(conn, "dag_run", [{k: row.get(k) for k in keys} for row in run_rows])
        ids = {(d, r): i for i, d, r in conn.execute(sa.text("SELECT id, dag_id, run_id FROM dag_run"))}
        for (dag_id, run_id) in ids:
            for t in range(tasks if dag_id != "mwaa_ops_export" else 1):
                mapped = t == 0 and dag_id != "mwaa_ops_export"
                for m in (range(3) if mapped else [-1]):
                    ti = {
                        "dag_id": dag_id, "task_id": f"task_{t}", "run_id": run_id, "map_index": m,
                        "start_date": T0, "end_date": T0 + dt.timedelta(seconds=3), "duration": rng.random() * 100,
                        "state": "running" if dag_id == "mwaa_ops_export" else rng.choice(["success", "failed", "deferred", None]),
                        "try_number": rng.randint(0, 3), "max_tries": 2, "hostname": "worker-1", "unixname": "airflow",
                        "job_id": job_id, "pool": "default_pool", "pool_slots": 1, "queue": "default",
                        "priority_weight": rng.randint(1, 10), "operator": "PythonOperator",
                        "custom_operator_name": None if t else "@task", "queued_dttm": T0,
                        "queued_by_job_id": job_id, "pid": rng.randint(1, 99999),
                        "executor_config": pickle.dumps({"KubernetesExecutor": {"image": "x"}}) if t == 1 else None,
                        "external_executor_id": None, "trigger_id": trigger_id if t == 2 else None,
                        "trigger_timeout": dt.datetime(2026, 11, 2, 1, 2, 3) if t == 2 else None,
                        "next_method": "execute_complete" if t == 2 else None,
                        "next_kwargs": {"event": rand_text(), "list": [1, 2.5, None]} if t == 2 else None,
                    }
                    if v >= (2, 9, 2):
                        ti["rendered_map_index"] = f"label {m}" if m >= 0 else None
                        ti["task_display_name"] = "Tâche " + str(t)
                    if v >= (2, 10, 1):
                        ti["executor"] = "CeleryExecutor" if t else None
                    ti_rows.append(ti)
        _insert(conn, "task_instance", ti_rows)
        facts["task_instances"] = len(ti_rows)
        user_id = conn.execute(sa.text("SELECT id FROM ab_user")).scalar()
        first = sorted(ids)[0]
        _insert(conn, "dag_run_note", [{"dag_run_id": ids[first], "user_id": user_id, "content": AWKWARD_TEXT[1],
                                        "created_at": T0, "updated_at": T0}])
        first_ti = ti_rows[0]
        _insert(conn, "task_instance_note", [{**{k: first_ti[k] for k in ("dag_id", "task_id", "run_id", "map_index")},
                                              "user_id": user_id, "content": AWKWARD_TEXT[0],
                                              "created_at": T0, "updated_at": T0}])
        mapped_parents = [ti for ti in ti_rows if ti["task_id"] == "task_1"]
        _insert(conn, "task_map", [{**{k: ti[k] for k in ("dag_id", "task_id", "run_id", "map_index")},
                                    "length": 3, "keys": None if i % 2 else ["a", "b", "ü"]}
                                   for i, ti in enumerate(mapped_parents)])
        _insert(conn, "rendered_task_instance_fields", [
            {**{k: ti[k] for k in ("dag_id", "task_id", "run_id", "map_index")},
             "rendered_fields": {"bash_command": rand_text(), "env": {"A": "1"}},
             "k8s_pod_yaml": None} for ti in ti_rows[::2]])
        xcoms = []
        for i, ti in enumerate(ti_rows[::3]):
            value = pickle.dumps(rand_text()) if i else (rng.randbytes(big_xcom) if big_xcom else b"\x00\xff\x80")
            xcoms.append({"dag_run_id": ids[(ti["dag_id"], ti["run_id"])], "task_id": ti["task_id"],
                          "map_index": ti["map_index"], "key": "return_value", "dag_id": ti["dag_id"],
                          "run_id": ti["run_id"], "value": value, "timestamp": T0})
            xcoms.append({"dag_run_id": ids[(ti["dag_id"], ti["run_id"])], "task_id": ti["task_id"],
                          "map_index": ti["map_index"], "key": "null value", "dag_id": ti["dag_id"],
                          "run_id": ti["run_id"], "value": None, "timestamp": T0})
        _insert(conn, "xcom", xcoms)
        fails = [{**{k: ti[k] for k in ("dag_id", "task_id", "run_id", "map_index")}, "start_date": T0,
                  "end_date": T0, "duration": 3} for ti in ti_rows if ti["state"] == "failed"]
        _insert(conn, "task_fail", fails)
        _insert(conn, "task_reschedule", [{**{k: ti[k] for k in ("dag_id", "task_id", "run_id", "map_index")},
                                           "try_number": 1, "start_date": T0, "end_date": T0, "duration": 1,
                                           "reschedule_date": T0 + dt.timedelta(minutes=1)} for ti in ti_rows[:4]])
        if v >= (2, 10, 1):
            _insert(conn, "task_instance_history", [
                {**{k: ti[k] for k in ti if k in (
                    "dag_id", "task_id", "run_id", "map_index", "start_date", "end_date", "duration", "state",
                    "hostname", "pool", "pool_slots", "executor_config", "queued_by_job_id", "trigger_id",
                    "next_kwargs")}, "try_number": 1} for ti in ti_rows[:5]])
        # Datasets: two datasets, events from one run, one run that consumed an event, a pending
        # dataset-triggered run of dag_2, and (2.10+) an alias that resolved to the first dataset.
        for table in ("dataset", "dataset_event"):
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {rng.randint(50, 500)})"))
        dataset_ids = [conn.execute(sa.text(
            "INSERT INTO dataset (uri, extra, created_at, updated_at) VALUES (:u, :x, :t, :t) RETURNING id"),
            {"u": uri, "x": json.dumps(extra), "t": T0}).scalar()
            for uri, extra in (("s3://lake/orders/ü", {"owner": "Zoë"}), ("postgres://dwh/public/facts", {}))]
        producer = sorted(ids)[0]
        event_ids = [conn.execute(sa.text(
            "INSERT INTO dataset_event (dataset_id, extra, source_task_id, source_dag_id, source_run_id, "
            "source_map_index, timestamp) VALUES (:d, :x, 'task_1', :sd, :sr, -1, :t) RETURNING id"),
            {"d": d, "x": json.dumps({"rows": i}), "sd": producer[0], "sr": producer[1], "t": T0}).scalar()
            for i, d in enumerate(dataset_ids)]
        consumer = sorted(ids)[-1]
        _insert(conn, "dagrun_dataset_event", [{"dag_run_id": ids[consumer], "event_id": event_ids[0]}])
        _insert(conn, "dataset_dag_run_queue", [{"dataset_id": dataset_ids[1], "target_dag_id": "dag_2",
                                                 "created_at": T0}])
        if v >= (2, 10, 1):
            alias_id = conn.execute(sa.text("INSERT INTO dataset_alias (name) VALUES ('orders-alias') RETURNING id")).scalar()
            _insert(conn, "dataset_alias_dataset", [{"alias_id": alias_id, "dataset_id": dataset_ids[0]}])
            _insert(conn, "dataset_alias_dataset_event", [{"alias_id": alias_id, "event_id": event_ids[0]}])
        facts["datasets"] = len(dataset_ids)
        _insert(conn, "sla_miss", [{"task_id": "task_1", "dag_id": "dag_0", "execution_date": T0,
                                    "email_sent": False, "timestamp": T0, "description": AWKWARD_TEXT[0],
                                    "notification_sent": None}])
        logs = []
        for i in range(runs * 2):
            row = {"dttm": T0 + dt.timedelta(seconds=i), "dag_id": dags[i % len(dags)], "task_id": None,
                   "map_index": None, "event": "trigger", "execution_date": None, "owner": "admin",
                   "extra": rand_text()}
            if v >= (2, 8, 1):
                row["owner_display_name"] = "Ada Lovelace"
            if v >= (2, 9, 2):
                row["run_id"] = None
            if v >= (2, 10, 1):
                row["try_number"] = i
            logs.append(row)
        _insert(conn, "log", logs)
        variables = [{"key": f"var_{i}", "val": rand_text(), "description": None if i % 2 else rand_text()}
                     for i in range(5)]
        variables.append({"key": "null_val", "val": None, "description": "no value"})
        secrets.replace_variables(conn, variables)
        connections = [{"conn_id": "warehouse", "conn_type": "postgres", "description": AWKWARD_TEXT[1],
                        "host": "db.example.com", "schema": "dwh", "login": "etl", "password": "p@ss\nw0rd ✓",
                        "port": 5432, "extra": '{"sslmode": "require"}'},
                       {"conn_id": "http_default", "conn_type": "http", "description": None, "host": None,
                        "schema": None, "login": None, "password": None, "port": None, "extra": None}]
        secrets.replace_connections(conn, connections)
        conn.execute(sa.text("UPDATE slot_pool SET slots = 64, description = 'tuned' WHERE pool = 'default_pool'"))
        _insert(conn, "slot_pool", [{"pool": "etl", "slots": 4, "description": AWKWARD_TEXT[0], "include_deferred": True}])
    facts["variables"] = variables
    return facts


def _normal(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def snapshot(engine, secrets: Optional[SqlSecrets] = None) -> Dict[str, List[Tuple]]:
    """Every carried table's contents with generated ids replaced by what they stand for.

    dag_run.id → (dag_id, run_id); log_template.id → (filename, elasticsearch_id); dataset.id →
    uri; dataset_event.id → (uri, timestamp, source run); dataset_alias.id → name; other
    generated ids dropped; omitted columns dropped; the importer's own audit row left out.
    Rows are sorted, so the comparison is order- and id-independent but otherwise exact.
    """
    secrets = secrets or SqlSecrets()
    out: Dict[str, List[Tuple]] = {}
    with engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
        runs = {i: (d, r) for i, d, r in conn.execute(sa.text("SELECT id, dag_id, run_id FROM dag_run"))}
        templates = {i: (f, e) for i, f, e in conn.execute(sa.text("SELECT id, filename, elasticsearch_id FROM log_template"))}
        datasets = {i: u for i, u in conn.execute(sa.text("SELECT id, uri FROM dataset"))}
        events = {i: (datasets[d], t, dag, run) for i, d, t, dag, run in conn.execute(sa.text(
            "SELECT id, dataset_id, timestamp, source_dag_id, source_run_id FROM dataset_event"))}
        aliases = ({i: n for i, n in conn.execute(sa.text("SELECT id, name FROM dataset_alias"))}
                   if "dataset_alias" in present else {})
        natural = {"dataset_id": datasets, "event_id": events, "alias_id": aliases}
        for table in CARRIED:
            if table.name not in present:
                continue
            if table.name == "variable":
                out["variable"] = sorted((tuple(sorted(r.items())) for r in secrets.iter_variables(conn)), key=repr)
                continue
            if table.name == "connection":
                out["connection"] = sorted(
                    (tuple(sorted(r.items())) for r in secrets.iter_connections(conn)), key=repr
                )
                continue
            result = conn.execute(sa.text(f'SELECT * FROM "{table.name}"'))
            columns = list(result.keys())
            rows = []
            for raw in result:
                values = dict(zip(columns, (_normal(v) for v in raw)))
                if table.name == "log" and values.get("event") == "mwaa_ops_import":
                    continue
                for col in table.omitted:
                    values.pop(col, None)
                if table.generated_key:
                    values.pop(table.generated_key, None)
                if table.name == "dag_run":
                    values["log_template_id"] = templates.get(values["log_template_id"])
                if "dag_run_id" in values:
                    values["dag_run_id"] = runs[values["dag_run_id"]]
                for col, names in natural.items():
                    if col in values:
                        values[col] = names[values[col]]
                rows.append(tuple(sorted(values.items(), key=lambda kv: kv[0])))
            out[table.name] = sorted(rows, key=repr)
        # log_template: compare the set of templates runs use (the target keeps its own extra rows).
        out["log_template"] = sorted(
            {(("elasticsearch_id", e), ("filename", f)) for f, e in templates.values()}, key=repr
        )
    return out


def paused_state(engine) -> Dict[str, bool]:
    with engine.connect() as conn:
        return {d: p for d, p in conn.execute(sa.text("SELECT dag_id, is_paused FROM dag"))}


def backup_table_rows(client, bucket: str, prefix: str, table: str) -> list:
    """A table of a backup as row objects in format v1's value encoding, whatever the backup's
    version (v2 COPY files decoded with mwaa_ops.copy_format.iter_copy_rows)."""
    import gzip as _gzip
    import io as _io
    import json as _json

    from mwaa_ops.copy_format import iter_copy_rows

    manifest = _json.loads(client.get_object(Bucket=bucket, Key=prefix + "manifest.json")["Body"].read())
    entry = manifest["tables"][table]
    body = client.get_object(Bucket=bucket, Key=prefix + entry["file"])["Body"].read()
    if entry.get("encoding") == "copy":
        return list(iter_copy_rows(_io.BytesIO(body), entry["columns"], entry.get("columnTypes", {})))
    return [_json.loads(line) for line in _gzip.decompress(body).splitlines() if line.strip()]


def backup_table_bytes(client, bucket: str, prefix: str, table: str) -> bytes:
    """The uncompressed bytes of a backup's table file (any format version)."""
    import gzip as _gzip
    import json as _json

    manifest = _json.loads(client.get_object(Bucket=bucket, Key=prefix + "manifest.json")["Body"].read())
    body = client.get_object(Bucket=bucket, Key=prefix + manifest["tables"][table]["file"])["Body"].read()
    return _gzip.decompress(body)
