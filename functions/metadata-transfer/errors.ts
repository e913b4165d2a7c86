/**
 * Errors MetadataTransferFunction throws. Their names are the contract with the pause/resume
 * state machines (Catch/Retry match on them) — never rename one without the ASL.
 */
import { type ErrorContext, MwaaOpsError } from '../shared/errors.ts';

type Options = { cause?: unknown; context?: ErrorContext };

/** The environment is not AVAILABLE (or does not exist): nothing may be exported from it. */
export class EnvironmentNotAvailableError extends MwaaOpsError {
  constructor(message: string, options: Options = {}) {
    super(message, options);
    this.name = 'EnvironmentNotAvailableError';
  }
}

/** CreateEnvironment refused the snapshot (ValidationException) or the snapshot is unusable. */
export class EnvironmentRecreateError extends MwaaOpsError {
  constructor(message: string, options: Options = {}) {
    super(message, options);
    this.name = 'EnvironmentRecreateError';
  }
}

/** EnvironmentsTable holds no verified backup for the environment. */
export class NoBackupError extends MwaaOpsError {
  constructor(message: string, options: Options = {}) {
    super(message, options);
    this.name = 'NoBackupError';
  }
}

/**
 * The export/import DAG is not (yet) in the environment: deploy dags/ to its DAG folder, or wait
 * for the DAG processor to parse it after a create (the workflow may retry this one).
 */
export class TransferDagMissingError extends MwaaOpsError {
  constructor(message: string, options: Options = {}) {
    super(message, options);
    this.name = 'TransferDagMissingError';
  }
}

/**
 * Airflow 3's REST API masks a secret (a connection password, a sensitive extra or variable):
 * it cannot be backed up through the API, so the export refuses rather than lose it.
 */
export class SecretsNotExportableError extends MwaaOpsError {
  constructor(message: string, options: Options = {}) {
    super(message, options);
    this.name = 'SecretsNotExportableError';
  }
}

/** A restore through the REST API did not end with the backup's rows. */
export class RestoreCountMismatchError extends MwaaOpsError {
  constructor(message: string, options: Options = {}) {
    super(message, options);
    this.name = 'RestoreCountMismatchError';
  }
}

/** DAGs that were active are not parsed yet in the new environment; retry the import later. */
export class DagsNotParsedError extends MwaaOpsError {
  constructor(message: string, options: Options = {}) {
    super(message, options);
    this.name = 'DagsNotParsedError';
  }
}
