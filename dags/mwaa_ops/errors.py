"""Errors with explicit names: the name is the ``error`` of the SendTaskFailure answer.

Every message here is written for an operator and never contains row values (variables and
connections are secrets; even run history can carry conf values), only table, column and
constraint names, counts and S3 locations.
"""

from __future__ import annotations

from typing import Optional


class TransferError(Exception):
    """Base class: a failure whose message is safe to send to Step Functions."""

    name = "MwaaOps.TransferFailed"


class InvalidConf(TransferError):
    name = "MwaaOps.InvalidConf"


class BackupAlreadyCommitted(TransferError):
    name = "MwaaOps.BackupAlreadyCommitted"


class BackupNotCommitted(TransferError):
    name = "MwaaOps.BackupNotCommitted"


class BackupIncompatible(TransferError):
    name = "MwaaOps.BackupIncompatible"


class ChecksumMismatch(TransferError):
    name = "MwaaOps.ChecksumMismatch"


class BackupWriteFailed(TransferError):
    name = "MwaaOps.BackupWriteFailed"


class BackupReadFailed(TransferError):
    name = "MwaaOps.BackupReadFailed"


class DuplicateKey(TransferError):
    name = "MwaaOps.DuplicateKey"


class ConstraintViolation(TransferError):
    name = "MwaaOps.ConstraintViolation"


class CountMismatch(TransferError):
    name = "MwaaOps.CountMismatch"


class UnexpectedFailure(TransferError):
    name = "MwaaOps.UnexpectedFailure"


class ForeignRun(TransferError):
    """The run was not started by this stack's workflow for this environment (acceptance.py).

    ``answer`` says whether its task token may be answered: only when DescribeExecution proved
    that the token's execution is one of ours, running, for this environment. A token of someone
    else's execution is never answered (the refusal is in the task log only).
    """

    name = "MwaaOps.ForeignRun"

    def __init__(self, message: str, answer: bool = False):
        super().__init__(message)
        self.answer = answer


class NotConfigured(ForeignRun):
    """The environment lacks the configuration the acceptance check needs: fail closed."""

    name = "MwaaOps.NotConfigured"


def is_database_error(error: BaseException) -> bool:
    """SQLAlchemy statement errors and DB-API (psycopg2) errors: their text carries row values.

    ``sqlalchemy.exc.StatementError.__str__`` appends ``[parameters: ...]`` (the bound row
    values) and psycopg2's message holds ``DETAIL: Key (key)=(<value>) already exists``; either
    may be a variable value or a connection password.
    """
    module = type(error).__module__ or ""
    return (module.startswith("sqlalchemy") and hasattr(error, "params")) or module.startswith("psycopg2") or (
        hasattr(error, "pgcode")
    )


def database_error_in_chain(error: BaseException) -> bool:
    """Whether ``error`` or anything in its ``__cause__`` / ``__context__`` chain is a database error."""
    seen = set()
    link: Optional[BaseException] = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if is_database_error(link):
            return True
        link = link.__cause__ or link.__context__
    return False


def without_database_context(error: BaseException) -> None:
    """Cut the exception chain of ``error`` if a database error is anywhere in it.

    Airflow prints the whole chain (``__cause__`` / ``__context__``) into the task log; a chained
    DBAPIError would print its statement parameters there.
    """
    chained = error.__cause__ or error.__context__
    if chained is not None and database_error_in_chain(chained):
        error.__cause__ = None
        error.__context__ = None
        error.__suppress_context__ = True


def describe_failure(error: BaseException, phase: str) -> TransferError:
    """Turn any exception into a TransferError whose message is safe to publish.

    Database driver messages quote the offending row (``Key (key)=(secret) already exists``),
    so they are never forwarded: only the constraint and table names that psycopg2 reports
    separately (``diag``) are used.
    """
    if isinstance(error, TransferError):
        return error
    original = getattr(error, "orig", None) or error  # SQLAlchemy wraps driver errors; COPY does not
    diag = getattr(original, "diag", None)
    pgcode = getattr(original, "pgcode", None)
    if diag is not None and pgcode:
        table = getattr(diag, "table_name", None) or "?"
        constraint = getattr(diag, "constraint_name", None) or "?"
        if pgcode == "23505":
            return DuplicateKey(
                f"{phase}: duplicate key in table {table} (constraint {constraint}, SQLSTATE {pgcode}); "
                "the target already holds a row with the same key or the backup repeats one. "
                "Nothing was committed; fix the conflicting rows and re-run."
            )
        if pgcode.startswith("23"):
            return ConstraintViolation(
                f"{phase}: constraint {constraint} on table {table} rejected a row "
                f"(SQLSTATE {pgcode}). Nothing was committed."
            )
        return UnexpectedFailure(
            f"{phase}: database error {type(original).__name__} (SQLSTATE {pgcode}) on table {table}."
        )
    if is_database_error(original):
        # No diag (another driver, or a SQLAlchemy error without one): the class name only.
        return UnexpectedFailure(f"{phase}: database error {type(original).__name__}.")
    return UnexpectedFailure(f"{phase}: unexpected {type(error).__name__}; see the task log.")
