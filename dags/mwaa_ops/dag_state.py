"""Pause states of DAGs (the ``dag`` table): which are active or paused, and setting them.

A backup records both lists (``activeDags``, ``pausedDags``) so that the states travel both ways:
the target environment's own default (MWAA creates new DAGs paused, a DAG file can say
``is_paused_upon_creation=False``) never decides what a restored DAG does.
"""

from __future__ import annotations

from typing import Any, Iterable, List

import sqlalchemy as sa

_DAG = sa.table("dag", sa.column("dag_id"), sa.column("is_paused"))

#: Values for the NOT NULL columns of a placeholder ``dag`` row (see ``unpause``). The DAG
#: processor overwrites them from the DAG file on its first parse but keeps ``is_paused`` of a
#: row that already exists, which is how a restored pause state survives the first parse.
STUB_DEFAULTS = {
    "is_paused": False,
    "is_subdag": False,
    "is_active": False,
    "has_task_concurrency_limits": False,
    "has_import_errors": False,
    "max_active_tasks": 16,
    "max_active_runs": 16,
    "max_consecutive_failed_dag_runs": 0,
    "scheduler_lock": False,
}


def active_dags(conn: Any, exclude: Iterable[str] = ()) -> List[str]:
    """DAG ids that are not paused, sorted, without ``exclude`` (the transfer DAGs)."""
    skip = set(exclude)
    rows = conn.execute(sa.select(_DAG.c.dag_id).where(_DAG.c.is_paused.is_(False)).order_by(_DAG.c.dag_id))
    return [dag_id for (dag_id,) in rows if dag_id not in skip]


def all_dags(conn: Any, exclude: Iterable[str] = ()) -> List[str]:
    """Every DAG id the ``dag`` table knows, sorted, without ``exclude``."""
    skip = set(exclude)
    rows = conn.execute(sa.select(_DAG.c.dag_id).order_by(_DAG.c.dag_id))
    return [dag_id for (dag_id,) in rows if dag_id not in skip]


def set_paused(conn: Any, dag_ids: Iterable[str], paused: bool) -> int:
    ids = list(dag_ids)
    if not ids:
        return 0
    result = conn.execute(_DAG.update().where(_DAG.c.dag_id.in_(ids)).values(is_paused=paused))
    return result.rowcount


def unpause(conn: Any, dag_ids: Iterable[str]) -> List[str]:
    """Unpause the DAGs; a DAG the target has not parsed yet gets a placeholder row.

    Returns the ids that needed a placeholder.
    """
    return set_states(conn, dag_ids, paused=False)


def set_states(conn: Any, dag_ids: Iterable[str], paused: bool) -> List[str]:
    """Set ``is_paused`` of the DAGs; a DAG the target has not parsed yet gets a placeholder row
    (rows referencing a DAG, such as queued dataset-triggered runs, need it too).

    Returns the ids that needed a placeholder.
    """
    ids = sorted(set(dag_ids))
    if not ids:
        return []
    set_paused(conn, ids, paused)
    present = {dag_id for (dag_id,) in conn.execute(sa.select(_DAG.c.dag_id).where(_DAG.c.dag_id.in_(ids)))}
    missing = [dag_id for dag_id in ids if dag_id not in present]
    if missing:
        columns = sa.inspect(conn).get_columns("dag")
        required = [
            col["name"]
            for col in columns
            if not col.get("nullable", True) and col.get("default") is None and col["name"] != "dag_id"
        ]
        names = ["dag_id", "is_paused", *[name for name in required if name != "is_paused"]]
        stub = sa.table("dag", *(sa.column(name) for name in names))
        records = []
        for dag_id in missing:
            record = {name: STUB_DEFAULTS.get(name) for name in names}
            record["dag_id"] = dag_id
            record["is_paused"] = paused
            records.append(record)
        conn.execute(stub.insert(), records)
    return missing
