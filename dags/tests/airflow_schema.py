"""The Airflow metadata schemas the tests run on: fixtures generated from real Airflow.

``schemas/airflow-<version>.sql`` is a ``pg_dump`` of a fresh ``airflow db migrate`` of that
version (``schemas/generate.py`` writes them; ``--check`` compares them with the installed
Airflow). They replace hand-written DDL, so the tests see every column, constraint, foreign key
and default row that real Airflow creates.
"""

from __future__ import annotations

import os
import re
from typing import Tuple

SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")


def fixture_path(version: str) -> str:
    return os.path.join(SCHEMAS, f"airflow-{version}.sql")


def _versions() -> Tuple[str, ...]:
    found = [m.group(1) for m in (re.fullmatch(r"airflow-(\d+\.\d+\.\d+)\.sql", n) for n in os.listdir(SCHEMAS)) if m]
    return tuple(sorted(found, key=lambda v: tuple(int(p) for p in v.split("."))))


#: Every Airflow version with a schema fixture, oldest first.
VERSIONS = _versions()
