"""What "restored exactly" means, checked between a source database and the database a backup of
it was imported into (used by test_real_airflow.py and, through the command line, by the
TypeScript tests that run the workflows with real Airflow).

Every carried table is compared row by row with generated ids replaced by what they stand for
(helpers.snapshot), JSON columns as their stored text and bytea as bytes, so the comparison is
of bytes, not of parsed values. Three differences are by design and allowed for:

- the transfer DAGs' own runs and audit-log rows (the export's run was running while it read
  itself, and Airflow logs its end after the backup's snapshot; the import's exist only in the
  target);
- task instances that were queued/running/restarting/deferred in unfinished runs come back with
  no state (the documented orphan reset, docs/backup-format.md) — restated here, not imported;
- the target adds audit-log rows of its own, adopts datasets it parsed itself, and (when newer)
  has columns the source lacks;
- ``dag_run.conf`` holds ``task_token: ""`` where the source held a token (the export blanks
  them, mwaa_ops/run_conf.py) — restated here for exactly that field.

    python restore_check.py <source url> <source Fernet key> <target url> <target Fernet key>
"""

from __future__ import annotations

import collections
import os
import sys
from typing import Any, Dict, List, Tuple

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import psycopg2.extras  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from helpers import snapshot  # noqa: E402

from mwaa_ops.run_conf import blank_task_token  # noqa: E402
from mwaa_ops.secrets import SqlSecrets  # noqa: E402

TRANSFER_DAGS = {"mwaa_ops_export", "mwaa_ops_import"}
ORPHANED = {"queued", "running", "restarting", "deferred"}
UNFINISHED_RUNS = {"queued", "running"}
PER_RUN = ("dag_run", "task_instance", "xcom", "rendered_task_instance_fields", "task_map", "log")

Snapshot = Dict[str, List[Tuple[Tuple[str, Any], ...]]]


def fernet_secrets(key: str) -> SqlSecrets:
    fernet = Fernet(key.encode())
    return SqlSecrets(decrypt=lambda s: fernet.decrypt(s.encode()).decode(),
                      encrypt=lambda s: fernet.encrypt(s.encode()).decode())


def text_engine(url: str) -> sa.engine.Engine:
    """An engine that returns JSON columns as their stored text."""
    engine = sa.create_engine(url, future=True)

    @sa.event.listens_for(engine, "connect")
    def _raw_json(dbapi_connection, _record):
        psycopg2.extras.register_default_json(conn_or_curs=dbapi_connection, loads=lambda text: text)

    return engine


def database_snapshot(url: str, fernet_key: str) -> Snapshot:
    engine = text_engine(url)
    try:
        return snapshot(engine, fernet_secrets(fernet_key))
    finally:
        engine.dispose()


def _without_transfer_dags(rows):
    return [row for row in rows if dict(row).get("dag_id") not in TRANSFER_DAGS]


def _reset_orphans(rows, run_states):
    out = []
    for row in rows:
        values = dict(row)
        if values["state"] in ORPHANED and run_states.get((values["dag_id"], values["run_id"])) in UNFINISHED_RUNS:
            if values["state"] == "deferred":
                values.update(next_method=None, next_kwargs=None, trigger_timeout=None)
            values["state"] = None
        out.append(tuple((k, values[k]) for k, _ in row))
    return sorted(out, key=repr)


def _tokens_blanked(rows):
    """The source's dag_run rows as the backup carries them: conf with its task token blanked."""
    out = []
    for row in rows:
        values = dict(row)
        if "conf" in values:
            values["conf"] = blank_task_token(values["conf"])
        out.append(tuple((k, values[k]) for k, _ in row))
    return sorted(out, key=repr)


def assert_restored(before: Snapshot, after: Snapshot) -> List[str]:
    """Raise AssertionError naming the first table that differs; return the tables compared."""
    run_states = {(dict(r)["dag_id"], dict(r)["run_id"]): dict(r)["state"] for r in before.get("dag_run", [])}
    compared = []
    for table in sorted(set(before) | set(after)):
        expected, got = before.get(table, []), after.get(table, [])
        if table in PER_RUN:
            expected, got = _without_transfer_dags(expected), _without_transfer_dags(got)
        if table == "task_instance":
            expected = _reset_orphans(expected, run_states)
        if table == "dag_run":
            expected = _tokens_blanked(expected)
        if expected:
            # A newer target has columns the source lacks (they get their defaults).
            shared = {k for k, _ in expected[0]}
            got = sorted((tuple((k, v) for k, v in row if k in shared) for row in got), key=repr)
        compared.append(table)
        if table == "log":
            missing = collections.Counter(expected) - collections.Counter(got)
            assert not missing, f"log: {sum(missing.values())} row(s) of the source missing, e.g. {list(missing)[:1]}"
            continue
        if table == "dataset":
            assert {dict(r)["uri"] for r in got} == {dict(r)["uri"] for r in expected}, "dataset uris differ"
            continue
        assert got == expected, f"{table} differs after the restore"
    return compared


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        sys.exit(2)
    source_url, source_key, target_url, target_key = sys.argv[1:]
    try:
        tables = assert_restored(database_snapshot(source_url, source_key), database_snapshot(target_url, target_key))
    except AssertionError as error:
        print(f"not restored exactly: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"restored exactly: {len(tables)} tables ({', '.join(tables)})")
