"""Which DAG runs the transfer DAGs accept: only their own workflow's (docs/pause-resume.md#isolation).

Anyone who may trigger a DAG in the environment (Airflow's User and Op roles may trigger every
DAG, see dags/README.md) could otherwise start an export into a bucket of their choosing (every
variable and connection password, decrypted), an import of a crafted backup, or a pause of every
DAG. A run is accepted only when

1. its conf names this environment (``AIRFLOW_ENV_NAME``, which MWAA sets on every container) and
   this stack's backup bucket (``mwaa_ops.backup_bucket``);
2. it carries a task token and the ARN of the execution that waits on it (``execution_arn``), and
   ``DescribeExecution`` of that ARN says: RUNNING, an execution of this stack's state machine for
   this DAG (``<mwaa_ops.stack_name>-backup`` for the export, ``-resume`` for the import) in the
   ARN's own region and account, whose input names the same environment as the conf.

Step Functions task tokens are opaque: nothing proves that the token belongs to the named
execution. The check proves that *our* workflow is waiting on *this* environment right now, which
a replayed or hand-written conf cannot fake, and the execution role may answer only this stack's
workflows anyway (``AnswerWorkflowTasks`` in template.yaml).

What is answered when (the runner answers only refusals with ``answer=True``):

- nothing is answered unless DescribeExecution showed that the conf's execution is one of ours,
  RUNNING, for the environment the conf names: a token that may belong to someone else's
  execution is never used;
- for such an execution, missing configuration (``MwaaOps.NotConfigured``) and a bucket other than
  the configured one (``MwaaOps.ForeignRun``) are answered with SendTaskFailure, so the workflow
  fails at once instead of waiting for its heartbeat timeout;
- a conf for another environment is refused without an answer: that workflow is not this
  environment's to fail.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, List, Mapping, Optional

from .errors import ForeignRun, NotConfigured

#: The state machine whose executions may start each DAG (statemachines/*.asl.json: the backup
#: child runs the export, the resume workflow the import); names are ``<stack>-<workflow>``.
WORKFLOW_OF = {"export": "backup", "import": "resume"}

#: ``arn:<partition>:states:<region>:<account>:execution:<state machine>:<execution name>``
_EXECUTION_ARN = re.compile(
    r"^arn:(aws[a-z-]*):states:([a-z0-9-]+):([0-9]{12}):execution:([A-Za-z0-9_-]{1,80}):([^:\s]{1,80})$"
)

SETUP_HINT = "docs/pause-resume.md#setup"


@dataclass(frozen=True)
class Settings:
    """What the environment knows about itself (airflow_adapter.settings_from_environment)."""

    #: this environment's name: ``AIRFLOW_ENV_NAME``
    environment: Optional[str]
    #: the CloudFormation stack whose workflows may run the DAGs: ``mwaa_ops.stack_name``
    stack_name: Optional[str]
    #: the stack's BackupBucket: ``mwaa_ops.backup_bucket``
    backup_bucket: Optional[str]

    def missing(self) -> List[str]:
        """One line per missing value, saying what to set."""
        out = []
        if not self.environment:
            out.append("AIRFLOW_ENV_NAME (set by MWAA; elsewhere set it, or mwaa_ops.environment)")
        if not self.stack_name:
            out.append("the Airflow configuration option mwaa_ops.stack_name (the mwaa-ops stack name)")
        if not self.backup_bucket:
            out.append("the Airflow configuration option mwaa_ops.backup_bucket (the stack's BackupBucket)")
        return out


def settings_from(environ: Mapping[str, str], option: Callable[[str], Optional[str]]) -> Settings:
    """Settings from the process environment and the ``[mwaa_ops]`` Airflow configuration section.

    - the environment's name: ``AIRFLOW_ENV_NAME``, which MWAA sets on every container and does
      not let a startup script override (``_is_protected_os_environ`` in
      aws/amazon-mwaa-docker-images, images/airflow/<v>/python/mwaa/config/setup_environment.py:
      "Environment ID and name are set by MWAA"); ``mwaa_ops.environment`` only where it is
      absent (self-hosted Airflow, tests);
    - ``mwaa_ops.stack_name`` / ``mwaa_ops.backup_bucket``: AirflowConfigurationOptions the
      operator sets (MWAA exports ``section.key`` as ``AIRFLOW__SECTION__KEY``). The pause
      snapshot carries AirflowConfigurationOptions, so a resumed environment has them again.
    """
    def text(value: Optional[str]) -> Optional[str]:
        return value.strip() if isinstance(value, str) and value.strip() else None

    return Settings(
        environment=text(environ.get("AIRFLOW_ENV_NAME")) or text(option("environment")),
        stack_name=text(option("stack_name")),
        backup_bucket=text(option("backup_bucket")),
    )


@dataclass(frozen=True)
class ExecutionArn:
    partition: str
    region: str
    account: str
    state_machine: str
    name: str

    def state_machine_arn(self) -> str:
        return f"arn:{self.partition}:states:{self.region}:{self.account}:stateMachine:{self.state_machine}"


def parse_execution_arn(value: Any) -> Optional[ExecutionArn]:
    match = _EXECUTION_ARN.match(value) if isinstance(value, str) else None
    return ExecutionArn(*match.groups()) if match else None


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str((response.get("Error") or {}).get("Code") or type(error).__name__)


def accept(raw_conf: Any, phase: str, settings: Settings, sfn: Any) -> None:
    """Return if the run is our workflow's for this environment, else raise ForeignRun/NotConfigured.

    Reads nothing but the conf and ``DescribeExecution``: a refused run never touches the
    database or S3. Messages name fields and state machines, never the token.
    """
    workflow = WORKFLOW_OF[phase]
    if not isinstance(raw_conf, Mapping):
        raise ForeignRun(f"{phase} refused: the DAG run conf is not an object; only mwaa-ops workflows run this DAG")
    token, arn, environment = raw_conf.get("task_token"), raw_conf.get("execution_arn"), raw_conf.get("environment")
    if not isinstance(token, str) or not token:
        raise ForeignRun(
            f"{phase} refused: the conf has no task_token; this DAG runs only for the mwaa-ops "
            "workflows (pause / resume / upgrade), not by hand"
        )
    execution = parse_execution_arn(arn)
    if execution is None:
        raise ForeignRun(f"{phase} refused: conf.execution_arn is not a Step Functions execution ARN")
    if not isinstance(environment, str) or not environment:
        raise ForeignRun(f"{phase} refused: conf.environment must be a non-empty string")
    if settings.environment and environment != settings.environment:
        # Checked before anything else is called: another environment's workflow is not ours to
        # describe or answer.
        raise ForeignRun(f"{phase} refused: the conf names environment {environment!r}, this is {settings.environment!r}")
    if settings.stack_name:
        expected = f"{settings.stack_name}-{workflow}"
        if execution.state_machine != expected:
            raise ForeignRun(
                f"{phase} refused: the conf's execution belongs to state machine {execution.state_machine!r}, "
                f"not {expected!r}"
            )
    elif not execution.state_machine.endswith(f"-{workflow}"):
        raise ForeignRun(f"{phase} refused: the conf's execution is not one of a {workflow} workflow")

    try:
        described = sfn.describe_execution(executionArn=arn)
    except Exception as error:  # AccessDenied (not this stack's), ExecutionDoesNotExist, network
        raise ForeignRun(f"{phase} refused: DescribeExecution of the conf's execution failed ({_error_code(error)})") from None
    status = described.get("status")
    if status != "RUNNING":
        raise ForeignRun(f"{phase} refused: the conf's execution is {status}, not RUNNING")
    if described.get("stateMachineArn") != execution.state_machine_arn():
        raise ForeignRun(f"{phase} refused: the conf's execution is not one of {execution.state_machine_arn()}")
    try:
        described_environment = json.loads(described.get("input") or "{}").get("environment")
    except (ValueError, AttributeError):
        described_environment = None
    if described_environment != environment:
        raise ForeignRun(f"{phase} refused: the conf's execution runs for another environment than the conf names")

    # From here on the execution is ours (on AWS the role may describe only this stack's
    # executions, so this holds even while mwaa_ops.stack_name is unset), running, for the
    # environment in the conf: failing it fast is right.
    missing = settings.missing()
    if missing:
        raise NotConfigured(
            f"{phase} refused: this environment is not configured for mwaa-ops; set {'; '.join(missing)} "
            f"({SETUP_HINT})",
            answer=True,
        )
    backup = raw_conf.get("backup")
    bucket = backup.get("bucket") if isinstance(backup, Mapping) else None
    # A missing bucket is a malformed conf: parse_conf names it (MwaaOps.InvalidConf, answered).
    if isinstance(bucket, str) and bucket and bucket != settings.backup_bucket:
        raise ForeignRun(
            f"{phase} refused: conf.backup.bucket is not this stack's backup bucket {settings.backup_bucket!r}",
            answer=True,
        )
