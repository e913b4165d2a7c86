"""Issue 14: the transfer DAGs accept only their own workflow's runs, keep task tokens out of
backups and keep row values out of task logs (acceptance.py, run_conf.py, errors.py)."""

from __future__ import annotations

import gzip
import json
import logging
import pickle
import random
import traceback

import pytest
import sqlalchemy as sa
from helpers import STACK, FakeSfn, backup_table_bytes, backup_table_rows, conf_for, execution_arn, seed, settings_for
from test_failures import _rewrite_table_file
from transfer import export, new_backup_id, restore

from mwaa_ops.acceptance import Settings, accept, settings_from
from mwaa_ops.errors import ForeignRun, NotConfigured, TransferError
from mwaa_ops.format import decode_binary
from mwaa_ops.run_conf import blank_task_token
from mwaa_ops.runner import run_transfer
from mwaa_ops.secrets import SqlSecrets

VERSION = "2.10.3"
BUCKET = "stack-backups"


class AccessDenied(Exception):
    response = {"Error": {"Code": "AccessDeniedException"}}


def _raw(phase: str = "export", **change):
    raw, _ = conf_for(BUCKET, "dev", "20261203T100000Z-guard", phase=phase)
    raw.update(change)
    return raw


def _never(*_args):
    raise AssertionError("a refused run must not reach the database or S3")


def _refusal(raw, phase="export", settings=None, sfn=None):
    """Run the runner on ``raw``; return (the error, the Step Functions calls)."""
    sfn = sfn or FakeSfn()
    with pytest.raises(TransferError) as caught:
        run_transfer(raw, sfn, _never, phase, settings or settings_for(BUCKET))
    return caught.value, sfn


# -- what is accepted --------------------------------------------------------------------------


@pytest.mark.parametrize("phase", ["export", "import"])
def test_a_run_of_this_stacks_workflow_for_this_environment_is_accepted(phase):
    sfn = FakeSfn()
    accept(_raw(phase), phase, settings_for(BUCKET), sfn)
    assert [call[0] for call in sfn.calls] == ["describe"]


# -- refused without an answer: nothing proves the token is ours --------------------------------


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"task_token": None}, "no task_token"),
        ({"execution_arn": "not-an-arn"}, "not a Step Functions execution ARN"),
        # the import's workflow is resume; an export must come from the backup child
        ({"execution_arn": execution_arn("import", "x")}, "state machine 'mwaa-ops-resume'"),
        ({"execution_arn": execution_arn("export", "x", stack="other-stack")}, "state machine 'other-stack-backup'"),
        ({"environment": "prod", "backup": {"bucket": BUCKET, "prefix": "backups/prod/20261203T100000Z-guard/",
                                            "backupId": "20261203T100000Z-guard"}}, "environment 'prod'"),
    ],
)
def test_a_conf_that_is_not_from_our_workflow_is_refused_before_describe_and_not_answered(change, reason):
    error, sfn = _refusal(_raw(**change))
    assert isinstance(error, ForeignRun) and reason in str(error)
    assert sfn.calls == []  # not even DescribeExecution
    assert "token-" not in str(error)


def _described(status="RUNNING", machine=f"{STACK}-backup", environment="dev", region="us-east-1"):
    return {"status": status, "input": json.dumps({"environment": environment}),
            "stateMachineArn": f"arn:aws:states:{region}:123456789012:stateMachine:{machine}"}


@pytest.mark.parametrize(
    "answer, reason",
    [
        (_described(status="SUCCEEDED"), "SUCCEEDED, not RUNNING"),
        (_described(status="ABORTED"), "ABORTED, not RUNNING"),
        (_described(region="eu-west-1"), "is not one of"),
        (_described(environment="prod"), "another environment"),
        (AccessDenied(), "AccessDeniedException"),
    ],
)
def test_an_execution_that_is_not_ours_and_running_is_refused_and_not_answered(answer, reason):
    raw = _raw()
    error, sfn = _refusal(raw, sfn=FakeSfn(executions={raw["execution_arn"]: answer}))
    assert isinstance(error, ForeignRun) and reason in str(error)
    assert sfn.answers() == []


# -- refused and answered: our running workflow, failed fast ------------------------------------


def test_another_bucket_is_refused_and_our_workflow_is_failed_at_once():
    raw = _raw(backup={"bucket": "attacker-bucket", "prefix": "backups/dev/20261203T100000Z-guard/",
                       "backupId": "20261203T100000Z-guard"})
    error, sfn = _refusal(raw)
    assert isinstance(error, ForeignRun) and "stack-backups" in str(error)
    assert sfn.answers() == [("failure", {"taskToken": raw["task_token"], "error": "MwaaOps.ForeignRun",
                                          "cause": str(error)})]


@pytest.mark.parametrize(
    "settings, missing",
    [
        (Settings(environment=None, stack_name=STACK, backup_bucket=BUCKET), "AIRFLOW_ENV_NAME"),
        (Settings(environment="dev", stack_name=None, backup_bucket=BUCKET), "mwaa_ops.stack_name"),
        (Settings(environment="dev", stack_name=STACK, backup_bucket=None), "mwaa_ops.backup_bucket"),
    ],
)
def test_missing_configuration_fails_closed_with_one_line_saying_what_to_set(settings, missing):
    raw = _raw()
    error, sfn = _refusal(raw, settings=settings)
    assert isinstance(error, NotConfigured) and missing in str(error) and "\n" not in str(error)
    assert sfn.answers() == [("failure", {"taskToken": raw["task_token"], "error": "MwaaOps.NotConfigured",
                                          "cause": str(error)})]


def test_without_the_stack_name_a_token_of_another_workflow_kind_is_still_not_answered():
    error, sfn = _refusal(_raw(execution_arn=execution_arn("import", "x")),
                          settings=Settings(environment="dev", stack_name=None, backup_bucket=BUCKET))
    assert not isinstance(error, NotConfigured) and sfn.calls == []


def test_settings_come_from_mwaas_environment_name_and_the_mwaa_ops_options():
    options = {"stack_name": "mwaa-ops", "backup_bucket": "b", "environment": "ignored"}
    assert settings_from({"AIRFLOW_ENV_NAME": "dev"}, options.get) == Settings("dev", "mwaa-ops", "b")
    # Outside MWAA the option names the environment; blank values count as missing.
    assert settings_from({}, {"environment": "self", "stack_name": " "}.get) == Settings("self", None, None)


# -- task tokens are not carried into backups ---------------------------------------------------


def test_the_export_blanks_task_tokens_in_dag_run_conf_and_nothing_else(make_db, s3_client, bucket):
    source = make_db(VERSION)
    seed(source, VERSION, random.Random(41))
    with source.begin() as conn:
        plain = conn.execute(sa.text("SELECT run_id, conf FROM dag_run WHERE conf IS NOT NULL")).all()
        template = conn.execute(sa.text("SELECT * FROM dag_run WHERE conf IS NOT NULL LIMIT 1")).mappings().one()
        for run_id, conf in (("manual__self", {"task_token": "AAAA-live-token", "environment": "dev"}),
                             ("manual__other", {"task_token": "BBBB-other-token", "n": [1, 2]})):
            row = {k: v for k, v in template.items() if k != "id"}
            row.update(run_id=run_id, execution_date=row["execution_date"].replace(year=2020 + len(run_id) % 5),
                       conf=pickle.dumps(conf, protocol=pickle.HIGHEST_PROTOCOL))
            conn.execute(sa.table("dag_run", *(sa.column(c) for c in row)).insert(), [row])
    backup_id = new_backup_id("tokens")
    export(source, VERSION, s3_client, bucket, backup_id, SqlSecrets(),
           self_run=(template["dag_id"], "manual__self"))
    prefix = f"backups/dev/{backup_id}/"
    text = backup_table_bytes(s3_client, bucket, prefix, "dag_run")
    # COPY text spells bytea in hex: look for the tokens in both spellings.
    for token in (b"live-token", b"other-token"):
        assert token not in text and token.hex().encode() not in text
    rows = {r["run_id"]: r for r in backup_table_rows(s3_client, bucket, prefix, "dag_run")}
    conf = lambda run_id: pickle.loads(decode_binary(rows[run_id]["conf"]))  # noqa: E731
    assert conf("manual__self") == {"task_token": "", "environment": "dev"}
    assert conf("manual__other") == {"task_token": "", "n": [1, 2]}
    for run_id, stored in plain:  # runs without a token: the stored bytes, unchanged
        assert decode_binary(rows[run_id]["conf"]) == bytes(stored)


def test_blanking_keeps_the_kind_of_value_and_refuses_to_unpickle_classes():
    assert json.loads(blank_task_token('{"task_token": "t", "a": 1}')) == {"task_token": "", "a": 1}
    assert blank_task_token({"task_token": "t"}) == {"task_token": ""}
    with_class = pickle.dumps({"task_token": "t", "when": random.Random})
    assert blank_task_token(with_class) is with_class  # never unpickled: kept as stored
    assert blank_task_token(None) is None


# -- database errors name the table, never the row ------------------------------------------------


def test_a_database_error_reaches_neither_the_answer_nor_the_task_log_with_row_values(make_db, s3_client, bucket,
                                                                                       caplog):
    source, target = make_db(VERSION), make_db(VERSION)
    secrets = SqlSecrets()
    seed(source, VERSION, random.Random(42))
    secret = "s3cr3t-variable-value-🔑"
    with source.begin() as conn:
        conn.execute(sa.text("INSERT INTO variable (key, val, is_encrypted) VALUES ('aaa_first', :v, false)"),
                     {"v": secret})
    backup_id = new_backup_id("dberr")
    export(source, VERSION, s3_client, bucket, backup_id, secrets)
    # The backup repeats the secret variable: PostgreSQL's unique key violation on import, whose
    # SQLAlchemy error text carries every bound row, the secret among them.
    _rewrite_table_file(s3_client, bucket, backup_id, "variable", lambda lines: [*lines, lines[0]])
    sfn = FakeSfn()
    with caplog.at_level(logging.DEBUG), pytest.raises(TransferError) as caught:
        restore(target, s3_client, bucket, backup_id, secrets, sfn=sfn)
    printed = "".join(traceback.format_exception(type(caught.value), caught.value, caught.value.__traceback__))
    (kind, answer), = sfn.answers()
    assert kind == "failure" and answer["error"] == "MwaaOps.DuplicateKey"
    assert "variable" in answer["cause"] and "23505" in answer["cause"]
    assert secret not in answer["cause"]
    assert secret not in printed, "the task log (the raised exception and its chain) shows a row value"
    assert secret not in caplog.text
