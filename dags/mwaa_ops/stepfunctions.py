"""Answers to the Step Functions task token: SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from .errors import TransferError

# API limits (SendTaskFailure): error ≤ 256 characters, cause ≤ 32768.
_MAX_ERROR = 256
_MAX_CAUSE = 32768


class TaskToken:
    """The token a ``.waitForTaskToken`` state waits on; ``client`` is a boto3 ``stepfunctions`` client.

    Without a token (a manual run from the Airflow UI) every answer is a no-op.
    """

    def __init__(self, client: Any, token: Optional[str]):
        self.client = client
        self.token = token

    def heartbeat(self) -> None:
        if self.token:
            self.client.send_task_heartbeat(taskToken=self.token)

    def success(self, output: Dict[str, Any]) -> None:
        if self.token:
            self.client.send_task_success(taskToken=self.token, output=json.dumps(output))

    def failure(self, error: TransferError) -> None:
        if self.token:
            self.client.send_task_failure(
                taskToken=self.token, error=error.name[:_MAX_ERROR], cause=str(error)[:_MAX_CAUSE]
            )
