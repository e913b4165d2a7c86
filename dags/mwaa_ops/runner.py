"""The task body both DAGs share: parse conf, run, answer the task token exactly once."""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Mapping, Optional

from .conf import TransferConf, parse_conf
from .errors import InvalidConf, TransferError, describe_failure
from .heartbeat import Heartbeat
from .stepfunctions import TaskToken

log = logging.getLogger("mwaa_ops")


def run_transfer(
    raw_conf: Optional[Mapping[str, Any]],
    sfn_client: Any,
    work: Callable[[TransferConf, Heartbeat], Dict[str, Any]],
    phase: str,
) -> Dict[str, Any]:
    """Run ``work`` and answer SendTaskSuccess with its result or SendTaskFailure with a safe reason.

    Re-raises the failure afterwards so the Airflow task fails too.
    """
    token = TaskToken(sfn_client, (raw_conf or {}).get("task_token") if isinstance(raw_conf, Mapping) else None)
    try:
        conf = parse_conf(raw_conf)
        heartbeat = Heartbeat(token.heartbeat, conf.heartbeat_seconds)
        result = work(conf, heartbeat)
    except Exception as error:
        failure = describe_failure(error, phase)
        log.error("%s failed: %s: %s", phase, failure.name, failure)
        try:
            token.failure(failure)
        except Exception as answer_error:  # e.g. the token expired: the workflow already gave up
            log.error("could not answer the task token: %s", type(answer_error).__name__)
        if failure is error:
            raise
        raise failure from error
    log.info("%s succeeded: %s", phase, {k: v for k, v in result.items() if k != "rows"})
    token.success(result)
    return result


__all__ = ["run_transfer", "InvalidConf", "TransferError"]
