"""Which Airflow 2.x metadata tables a backup carries, and why the others are left behind.

The facts live in ``catalogue.json`` beside this module (majors["2"]; schema:
``catalogue.schema.json``), the one catalogue that the Airflow 3.x REST transfer, the local
cloud's emulated DAGs and the docs read too. This module builds its Python form from it:
``SUPPORTED_VERSIONS``, ``CARRIED`` (import order), ``CARRIED_BY_NAME`` and ``EXCLUDED``. The
JSON ships with the DAGs (it is part of the ``mwaa_ops`` package folder copied to the
environment's DAG folder) and is read once, at import, relative to this file.

The schema facts come from apache/airflow's models and migrations (2.7.0 … 2.10.3; 2.10.1 has
the 2.10.0 schema and no 2.11.x release adds a migration, so 2.11.0 has the 2.10.3 schema, see
``_REVISION_HEADS_MAP`` in airflow/utils/db.py). Columns are read from the live database at
export time, so the per-version column differences (``dag_run.clear_number`` 2.8+,
``log.run_id`` 2.9+, ``task_instance.executor`` 2.10+, …) need no table here: the manifest lists
what was exported and the importer maps by name.

docs/backup-format.md "Airflow 2.x tables" and docs/pause-resume.md "What is preserved" show the
catalogue; test/unit/docs/catalogue-docs.test.ts keeps them equal to it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

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


#: Where the catalogue is: beside this module, in the folder deployed with the DAGs.
CATALOGUE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalogue.json")


def _load_catalogue(path: str = CATALOGUE_PATH) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)["majors"]["2"]


def _carried_table(entry: Dict[str, Any]) -> CarriedTable:
    only = entry.get("only")
    reuse_on = entry.get("reuseOn")
    table = CarriedTable(
        name=entry["name"],
        mode=entry["mode"],
        primary_key=tuple(entry["primaryKey"]),
        omitted=dict(entry.get("omitted", {})),
        only=tuple(only) if only is not None else None,
        generated_key=entry.get("generatedKey"),
        references=dict(entry.get("references", {})),
        reuse_on=tuple(reuse_on) if reuse_on is not None else None,
        since=entry["since"],
        per_run=bool(entry.get("perRun", False)),
        why=entry["why"],
    )
    if table.mode not in MODES:
        raise ValueError(f"catalogue.json: table {table.name} has an unknown mode {table.mode!r}")
    return table


_CATALOGUE = _load_catalogue()

#: The Airflow 2.x versions a backup supports (oldest first).
SUPPORTED_VERSIONS: Tuple[str, ...] = tuple(_CATALOGUE["versions"])

TI_KEY = ("dag_id", "task_id", "run_id", "map_index")

#: Import order: every table comes after the tables it references.
CARRIED: Tuple[CarriedTable, ...] = tuple(_carried_table(entry) for entry in _CATALOGUE["tables"])

CARRIED_BY_NAME: Dict[str, CarriedTable] = {table.name: table for table in CARRIED}

#: Tables deliberately not carried → reason (the manifest's ``excluded`` for the tables present).
EXCLUDED: Dict[str, str] = {name: group["why"] for group in _CATALOGUE["excluded"] for name in group["tables"]}


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
