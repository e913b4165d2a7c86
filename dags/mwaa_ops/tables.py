"""Which Airflow 2.x metadata tables a backup carries, and why the others are left behind.

The schema facts come from apache/airflow's models and migrations (2.7.0 … 2.10.3; 2.10.1 has
the 2.10.0 schema and no 2.11.x release adds a migration, so 2.11.0 has the 2.10.3 schema, see
``_REVISION_HEADS_MAP`` in airflow/utils/db.py). Columns are read from the live database at
export time, so the per-version column differences (``dag_run.clear_number`` 2.8+,
``log.run_id`` 2.9+, ``task_instance.executor`` 2.10+, …) need no table here: the manifest lists
what was exported and the importer maps by name.

docs/backup-format.md "Airflow 2.x tables" and docs/pause-resume.md "What is preserved" are
the prose form of this module; keep them in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

SUPPORTED_VERSIONS = ("2.7.2", "2.8.1", "2.9.2", "2.10.1", "2.10.3", "2.11.0")

#: How the importer writes a table.
#: - ``secret``: re-created through Airflow's models (decrypted in the backup), replace semantics
#: - ``replace``: the target ends up with exactly the backup's rows (``default_pool`` updated)
#: - ``history``: rows are added; generated keys are re-generated and references rewritten
MODES = ("secret", "replace", "history")


@dataclass(frozen=True)
class CarriedTable:
    name: str
    mode: str
    primary_key: Tuple[str, ...]
    #: columns never exported, each with the reason (they point at rows that are not carried)
    omitted: Dict[str, str] = field(default_factory=dict)
    #: when set, only these columns are exported (secrets: the decrypted model fields)
    only: Optional[Tuple[str, ...]] = None
    generated_key: Optional[str] = None
    references: Dict[str, str] = field(default_factory=dict)
    #: reuse a target row equal on these columns instead of inserting a copy
    reuse_on: Optional[Tuple[str, ...]] = None
    #: first Airflow version whose schema has the table
    since: str = "2.7.2"
    #: rows belong to a DAG run through (dag_id, run_id): skipped with the run when the target
    #: already holds that run (see restore.py, "runs the target created itself")
    per_run: bool = False
    why: str = ""


_NO_JOB = "job is not carried: ids of the old environment's scheduler/worker jobs mean nothing in the new one"
_NO_TRIGGER = (
    "trigger is not carried (kwargs are Fernet-encrypted per environment since 2.9); "
    "a task deferred at export time must be cleared or re-run after the restore"
)
_NO_USER = "ab_user is not carried: UI users are per environment, so the note keeps its text without an author"

TI_KEY = ("dag_id", "task_id", "run_id", "map_index")

#: Import order: every table comes after the tables it references.
CARRIED: Tuple[CarriedTable, ...] = (
    CarriedTable(
        "log_template",
        "history",
        ("id",),
        generated_key="id",
        reuse_on=("filename", "elasticsearch_id"),
        why="dag_run.log_template_id points here; old runs' logs are found through the template they were written with",
    ),
    CarriedTable(
        "dataset",
        "history",
        ("id",),
        generated_key="id",
        reuse_on=("uri",),
        why="datasets that events and queued runs point at; the DAG processor adopts a row with the same uri",
    ),
    CarriedTable(
        "dataset_alias",
        "history",
        ("id",),
        generated_key="id",
        reuse_on=("name",),
        since="2.10.1",
        why="dataset aliases that events were emitted through (2.10+)",
    ),
    CarriedTable(
        "dataset_alias_dataset",
        "history",
        ("alias_id", "dataset_id"),
        references={"alias_id": "dataset_alias.id", "dataset_id": "dataset.id"},
        since="2.10.1",
        why="which datasets an alias has resolved to (2.10+)",
    ),
    CarriedTable(
        "dataset_event",
        "history",
        ("id",),
        generated_key="id",
        references={"dataset_id": "dataset.id"},
        why="dataset event history (Datasets view, the events a dataset-triggered run consumed)",
    ),
    CarriedTable(
        "dataset_alias_dataset_event",
        "history",
        ("alias_id", "event_id"),
        references={"alias_id": "dataset_alias.id", "event_id": "dataset_event.id"},
        since="2.10.1",
        why="which events came through an alias (2.10+)",
    ),
    CarriedTable(
        "dataset_dag_run_queue",
        "history",
        ("dataset_id", "target_dag_id"),
        references={"dataset_id": "dataset.id"},
        why="pending dataset-triggered runs: the scheduler creates the run once all its datasets have events",
    ),
    CarriedTable(
        "dag_run",
        "history",
        ("id",),
        omitted={"creating_job_id": _NO_JOB},
        generated_key="id",
        references={"log_template_id": "log_template.id"},
        why="run history",
    ),
    CarriedTable(
        "dagrun_dataset_event",
        "history",
        ("dag_run_id", "event_id"),
        references={"dag_run_id": "dag_run.id", "event_id": "dataset_event.id"},
        why="the dataset events each dataset-triggered run consumed",
    ),
    CarriedTable(
        "dag_run_note",
        "history",
        ("dag_run_id",),
        omitted={"user_id": _NO_USER},
        references={"dag_run_id": "dag_run.id"},
        why="notes on runs",
    ),
    CarriedTable(
        "task_instance",
        "history",
        TI_KEY,
        omitted={"queued_by_job_id": _NO_JOB, "trigger_id": _NO_TRIGGER},
        per_run=True,
        why="task history, including mapped task instances (map_index >= 0)",
    ),
    CarriedTable(
        "task_instance_note", "history", TI_KEY, omitted={"user_id": _NO_USER}, per_run=True, why="notes on task instances"
    ),
    CarriedTable("task_map", "history", TI_KEY, per_run=True, why="how mapped tasks expanded (needed to clear/re-run them)"),
    CarriedTable("rendered_task_instance_fields", "history", TI_KEY, per_run=True, why="the 'Rendered Template' view"),
    CarriedTable(
        "xcom",
        "history",
        ("dag_run_id", "task_id", "map_index", "key"),
        references={"dag_run_id": "dag_run.id"},
        why="task results that downstream re-runs read",
    ),
    CarriedTable(
        "task_fail", "history", ("id",), generated_key="id", per_run=True, why="task failure history (duration charts)"
    ),
    CarriedTable("task_reschedule", "history", ("id",), generated_key="id", per_run=True, why="sensor reschedule history"),
    CarriedTable(
        "task_instance_history",
        "history",
        ("id",),
        omitted={"queued_by_job_id": _NO_JOB, "trigger_id": _NO_TRIGGER},
        generated_key="id",
        since="2.10.1",
        per_run=True,
        why="earlier tries of each task instance (2.10+)",
    ),
    CarriedTable("sla_miss", "history", ("task_id", "dag_id", "execution_date"), why="SLA miss records"),
    CarriedTable("log", "history", ("id",), generated_key="id", why="the audit log (Browse > Audit Logs)"),
    CarriedTable(
        "variable",
        "secret",
        ("key",),
        only=("key", "val", "description"),
        why="variables, exported decrypted and re-encrypted with the new environment's Fernet key",
    ),
    CarriedTable(
        "connection",
        "secret",
        ("conn_id",),
        only=("conn_id", "conn_type", "description", "host", "schema", "login", "password", "port", "extra"),
        why="connections, exported decrypted and re-encrypted with the new environment's Fernet key",
    ),
    CarriedTable(
        "slot_pool",
        "replace",
        ("pool",),
        omitted={"id": "pools are identified by name; the surrogate id is not referenced"},
        why="pools (default_pool updated in place)",
    ),
)

CARRIED_BY_NAME: Dict[str, CarriedTable] = {table.name: table for table in CARRIED}

_DATASET_REFS = "rebuilt by the DAG processor from the DAG files (which DAGs read and write which datasets)"
_REBUILT = "rebuilt by the DAG processor from the DAG files"

#: Tables deliberately not carried → reason (the manifest's ``excluded`` for the tables present).
EXCLUDED: Dict[str, str] = {
    "dag": "rebuilt by the DAG processor; pause states travel as the manifest's activeDags",
    "dag_tag": _REBUILT,
    "dag_owner_attributes": _REBUILT,
    "dag_warning": _REBUILT,
    "serialized_dag": _REBUILT + " (a cache)",
    "dag_code": _REBUILT + " (a cache)",
    "dag_pickle": "only used with DAG pickling, which MWAA does not use",
    "import_error": "recomputed on every parse of the DAG files",
    "dag_priority_parsing_request": "transient request queue of the DAG processor (2.10+)",
    "callback_request": "pending callbacks of the old environment's DAG processor",
    "trigger": "kwargs are encrypted with the environment's own Fernet key (2.9+) and a trigger belongs to "
    "a running triggerer of the old environment",
    "job": "heartbeats of the old environment's scheduler, triggerer and task runners",
    "session": "web UI sessions of the old environment",
    "alembic_version": "the target's own schema version",
    "celery_taskmeta": "Celery result backend: transient",
    "celery_tasksetmeta": "Celery result backend: transient",
    "dag_schedule_dataset_reference": _DATASET_REFS,
    "task_outlet_dataset_reference": _DATASET_REFS,
    "dag_schedule_dataset_alias_reference": _DATASET_REFS,
}

_UI = "UI users, roles and permissions are per environment (MWAA maps IAM identities to users at login)"
for _name in (
    "ab_user",
    "ab_role",
    "ab_user_role",
    "ab_permission",
    "ab_view_menu",
    "ab_permission_view",
    "ab_permission_view_role",
    "ab_register_user",
    "ab_group",
    "ab_group_role",
    "ab_user_group",
):
    EXCLUDED[_name] = _UI


def version_key(version: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def carried_for(version: str) -> List[CarriedTable]:
    """The tables a backup of this Airflow version carries, in import order."""
    return [table for table in CARRIED if version_key(table.since) <= version_key(version)]


def import_order(names: List[str], references: Dict[str, Dict[str, str]]) -> List[str]:
    """Known tables in catalogue order, then unknown ones after the tables they reference."""
    known = [table.name for table in CARRIED if table.name in names]
    rest = sorted(name for name in names if name not in CARRIED_BY_NAME)
    ordered = list(known)
    pending = list(rest)
    while pending:
        progressed = False
        for name in list(pending):
            targets = {ref.split(".", 1)[0] for ref in references.get(name, {}).values()}
            if all(target in ordered or target not in names for target in targets):
                ordered.append(name)
                pending.remove(name)
                progressed = True
        if not progressed:
            ordered.extend(pending)
            break
    return ordered
