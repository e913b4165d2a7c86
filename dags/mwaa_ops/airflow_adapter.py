"""The only module that imports Airflow (lazily, inside functions): the DAG files call it.

Kept thin on purpose: everything it does is wiring of objects the tested modules take as
parameters (engine, secrets adapter, clients, run identity).
"""

from __future__ import annotations

import logging
import os
from typing import Any, Dict, Mapping, Tuple

from .acceptance import Settings, settings_from
from .export import export_backup
from .restore import import_backup
from .runner import run_transfer
from .s3io import BackupStore
from .secrets import SqlSecrets

log = logging.getLogger("mwaa_ops")


def _engine() -> Any:
    from airflow import settings

    return settings.engine if getattr(settings, "engine", None) is not None else settings.Session().get_bind()


def _airflow_version() -> str:
    from airflow import __version__

    return __version__.split("+", 1)[0]


def airflow_secrets() -> SqlSecrets:
    """Variables/connections through the Fernet that Airflow's models use.

    ``Variable.set_val`` / ``Connection.set_password`` / ``set_extra`` encrypt with
    ``airflow.models.crypto.get_fernet()`` and set ``is_encrypted`` to ``fernet.is_encrypted``;
    the getters decrypt with it. Calling the same Fernet here keeps the writes inside the
    import's single transaction, and — unlike ``Variable.get_val``, which logs and returns
    None on an undecryptable value — fails loudly instead of exporting a silent NULL.
    """
    from airflow.models.crypto import get_fernet

    fernet = get_fernet()
    decrypt = lambda text: fernet.decrypt(text.encode("utf-8")).decode("utf-8")  # noqa: E731
    if not getattr(fernet, "is_encrypted", True):  # NullFernet: no key configured
        return SqlSecrets(decrypt=decrypt, encrypt=None)
    return SqlSecrets(decrypt=decrypt, encrypt=lambda text: fernet.encrypt(text.encode("utf-8")).decode("utf-8"))


def _region() -> Any:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def _sfn_client() -> Any:
    """The client that answers the task token: made first and alone, so that a failure to build
    any other client (S3 endpoint, region, credentials) can still be answered."""
    import boto3

    return boto3.client("stepfunctions", region_name=_region())


def _s3_client() -> Any:
    import boto3

    return boto3.client("s3", region_name=_region())


def settings() -> Settings:
    """This environment's name and the stack's names, from where MWAA puts them (acceptance.py)."""
    from airflow.configuration import conf

    return settings_from(os.environ, lambda key: conf.get("mwaa_ops", key, fallback=None))


def _run_identity(context: Mapping[str, Any]) -> Tuple[Dict[str, Any], Tuple[str, str]]:
    dag_run = context["dag_run"]
    return dict(dag_run.conf or {}), (dag_run.dag_id, dag_run.run_id)


def _store(s3: Any, conf: Any) -> BackupStore:
    """The backup this run's conf points at."""
    return BackupStore(s3, conf.bucket, conf.prefix, kms_key_id=conf.kms_key_id)


def _task(action: str, context: Mapping[str, Any]) -> Dict[str, Any]:
    """The body of both DAGs' task. Everything but the Step Functions client is built inside
    ``run_transfer``, so any failure there (an S3 client that cannot be created, the database,
    Airflow's Fernet) becomes a SendTaskFailure instead of a wait for the heartbeat timeout."""
    raw_conf, self_run = _run_identity(context)
    try:
        sfn = _sfn_client()
    except Exception as error:
        log.error("%s: cannot create the Step Functions client to answer the task token: %s", action,
                  type(error).__name__)
        raise

    def work(conf: Any, heartbeat: Any) -> Dict[str, Any]:
        store = _store(_s3_client(), conf)
        if action == "export":
            return export_backup(
                engine=_engine(),
                store=store,
                secrets=airflow_secrets(),
                conf=conf,
                airflow_version=_airflow_version(),
                self_run=self_run,
                heartbeat=heartbeat,
                export_dag_id=self_run[0],
            )
        return import_backup(
            engine=_engine(),
            store=store,
            secrets=airflow_secrets(),
            conf=conf,
            heartbeat=heartbeat,
            import_dag_id=self_run[0],
        )

    try:
        own = settings()
    except Exception as error:  # an unreadable airflow.cfg: nothing is known, so nothing is accepted
        log.error("%s: cannot read the mwaa_ops configuration: %s", action, type(error).__name__)
        own = Settings(environment=None, stack_name=None, backup_bucket=None)
    return run_transfer(raw_conf, sfn, work, action, own)


def export_task(**context: Any) -> Dict[str, Any]:
    """PythonOperator callable of ``mwaa_ops_export``."""
    return _task("export", context)


def import_task(**context: Any) -> Dict[str, Any]:
    """PythonOperator callable of ``mwaa_ops_import``."""
    return _task("import", context)
