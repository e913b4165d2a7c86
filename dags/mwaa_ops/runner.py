"""The task body both DAGs share: accept the run, parse conf, run, answer the task token exactly once."""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Mapping, Optional

from .acceptance import Settings, accept
from .conf import TransferConf, parse_conf
from .errors import (
    ForeignRun,
    InvalidConf,
    TransferError,
    database_error_in_chain,
    describe_failure,
    without_database_context,
)
from .heartbeat import Heartbeat
from .stepfunctions import TaskToken

log = logging.getLogger("mwaa_ops")


def run_transfer(
    raw_conf: Optional[Mapping[str, Any]],
    sfn_client: Any,
    work: Callable[[TransferConf, Heartbeat], Dict[str, Any]],
    phase: str,
    settings: Settings,
) -> Dict[str, Any]:
    """Accept the run (acceptance.py), run ``work`` and answer SendTaskSuccess with its result or
    SendTaskFailure with a safe reason.

    A refused run does no work; its token is answered only when the refusal says so (the token's
    execution is verified ours). Re-raises the failure afterwards so the Airflow task fails too.
    """
    raw_token = raw_conf.get("task_token") if isinstance(raw_conf, Mapping) else None
    token = TaskToken(sfn_client, raw_token if isinstance(raw_token, str) else None)
    accepted = False
    try:
        accept(raw_conf, phase, settings, sfn_client)
        accepted = True
        conf = parse_conf(raw_conf)
        heartbeat = Heartbeat(token.heartbeat, conf.heartbeat_seconds)
        result = work(conf, heartbeat)
    except Exception as error:
        failure = describe_failure(error, phase)
        log.error("%s failed: %s: %s", phase, failure.name, failure)
        if accepted or (isinstance(failure, ForeignRun) and failure.answer):
            try:
                token.failure(failure)
            except Exception as answer_error:  # e.g. the token expired: the workflow already gave up
                log.error("could not answer the task token: %s", type(answer_error).__name__)
        else:
            log.error("%s: the task token was not answered (the run is not this environment's workflow's)", phase)
        # Airflow prints the exception chain into the task log: a database error in it would print
        # its statement parameters (row values), so such a chain is cut; the failure names the
        # table, the error class and the SQLSTATE instead.
        if failure is error:
            without_database_context(failure)
            raise
        if database_error_in_chain(error):
            raise failure from None
        raise failure from error
    log.info("%s succeeded: %s", phase, {k: v for k, v in result.items() if k != "rows"})
    token.success(result)
    return result



__all__ = ["run_transfer", "InvalidConf", "TransferError", "Settings"]
