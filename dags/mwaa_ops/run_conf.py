"""Task tokens out of exported ``dag_run.conf`` (docs/backup-format.md, "Task tokens").

Every transfer DAG run's conf holds the Step Functions task token of the workflow that started
it (any other run may hold one too, e.g. a DAG that answers a workflow itself). A token lets its
holder answer that workflow's task, so it must not outlive the run in a backup: the export writes
``task_token`` as ``""`` in every ``dag_run.conf`` that has one. Everything else in the conf,
and every conf without a token, is written exactly as stored.

Airflow 2.x stores ``dag_run.conf`` as ``PickleType`` (pickled with ``pickle.HIGHEST_PROTOCOL``,
SQLAlchemy's default; ``airflow/models/dagrun.py``): such a value is read with an unpickler that
admits no classes at all, since a conf that came from a trigger request is plain JSON data
(dicts, lists, strings, numbers). A conf that needs classes cannot be a workflow's and is kept.
"""

from __future__ import annotations

import io
import json
import pickle
from typing import Any

TOKEN_KEY = "task_token"
BLANK = ""


class _PlainData(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:  # noqa: D401 - pickle's hook
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


def _loads_plain(data: bytes) -> Any:
    return _PlainData(io.BytesIO(data)).load()


def _blanked(conf: Any) -> Any:
    """The conf with its token blanked, or None when it has none to blank."""
    if isinstance(conf, dict) and isinstance(conf.get(TOKEN_KEY), str) and conf[TOKEN_KEY] != BLANK:
        return {**conf, TOKEN_KEY: BLANK}
    return None


def blank_task_token(value: Any) -> Any:
    """``dag_run.conf`` as the backup carries it: pickled bytes, JSON text or a dict in, same kind out."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            conf = _loads_plain(bytes(value))
        except Exception:
            return value
        blanked = _blanked(conf)
        return value if blanked is None else pickle.dumps(blanked, protocol=pickle.HIGHEST_PROTOCOL)
    if isinstance(value, str):
        try:
            conf = json.loads(value)
        except ValueError:
            return value
        blanked = _blanked(conf)
        return value if blanked is None else json.dumps(blanked)
    blanked = _blanked(value)
    return value if blanked is None else blanked
