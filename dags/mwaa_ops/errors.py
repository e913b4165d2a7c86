"""Errors with explicit names: the name is the ``error`` of the SendTaskFailure answer.

Every message here is written for an operator and never contains row values (variables and
connections are secrets; even run history can carry conf values), only table, column and
constraint names, counts and S3 locations.
"""

from __future__ import annotations


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
                f"{phase}: duplicate key in table {table} (constraint {constraint}); "
                "the target already holds a row with the same key or the backup repeats one. "
                "Nothing was committed; fix the conflicting rows and re-run."
            )
        if pgcode.startswith("23"):
            return ConstraintViolation(
                f"{phase}: constraint {constraint} on table {table} rejected a row "
                f"(SQLSTATE {pgcode}). Nothing was committed."
            )
        return UnexpectedFailure(f"{phase}: database error SQLSTATE {pgcode} on table {table}.")
    return UnexpectedFailure(f"{phase}: unexpected {type(error).__name__}; see the task log.")
