"""A Step Functions endpoint for the real-Airflow tests: DescribeExecution answers what the test
registered, SendTask* calls are recorded. boto3 inside Airflow reaches it over HTTP through
``AWS_ENDPOINT_URL_SFN`` (the AWS JSON 1.0 protocol: ``X-Amz-Target: AWSStepFunctions.<Op>``).

It stands in only for the answers the transfer DAGs need; the workflows themselves are tested on
the local cloud (test/airflow).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Tuple

ACCOUNT = "000000000000"
REGION = "us-east-1"
STACK = "mwaa-ops"


def execution_arn(workflow: str, name: str, stack: str = STACK) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{stack}-{workflow}:{name}"


class SfnServer:
    def __init__(self) -> None:
        self.executions: Dict[str, Dict[str, Any]] = {}
        self.calls: List[Tuple[str, Dict[str, Any]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                operation = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2]
                status, answer = server.handle(operation, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def running(self, arn: str, environment: str, status: str = "RUNNING") -> str:
        """Register ``arn`` as an execution of the state machine it names, for ``environment``."""
        machine = arn.split(":")[6]
        self.executions[arn] = {
            "executionArn": arn,
            "stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine}",
            "name": arn.split(":")[7],
            "status": status,
            "startDate": 1764756000,
            "input": json.dumps({"environment": environment}),
        }
        return arn

    def handle(self, operation: str, body: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
        self.calls.append((operation, body))
        if operation == "DescribeExecution":
            found = self.executions.get(body.get("executionArn"))
            if found is None:
                return 400, {"__type": "ExecutionDoesNotExist", "message": "Execution Does Not Exist"}
            return 200, found
        if operation in ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"):
            return 200, {}
        return 400, {"__type": "UnknownOperationException", "message": operation}

    def answers(self, token: str) -> List[Tuple[str, Dict[str, Any]]]:
        return [(op, body) for op, body in self.calls if op in ("SendTaskSuccess", "SendTaskFailure")
                and body.get("taskToken") == token]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
