/**
 * What can go wrong when we ask Airflow to do something. The trigger functions decide per
 * class: a conflict is success only once the run with our id is read back (the client does
 * that), throttling and server errors are retried, everything else is reported with its reason.
 */
import { type ErrorContext, MwaaOpsError } from '../errors.ts';

interface AirflowErrorOptions {
  cause?: unknown;
  context?: ErrorContext;
  /** HTTP status Airflow (or MWAA) answered with, when there was one. */
  status?: number;
}

export class AirflowError extends MwaaOpsError {
  readonly status: number | undefined;
  /** Whether retrying the same request may succeed. */
  readonly retryable: boolean = false;

  constructor(message: string, options: AirflowErrorOptions = {}) {
    super(message, options);
    this.name = 'AirflowError';
    this.status = options.status;
  }
}

/** The DAG does not exist in the environment (not deployed, or a parse error hides it). */
export class DagNotFoundError extends AirflowError {
  constructor(message: string, options: AirflowErrorOptions = {}) {
    super(message, options);
    this.name = 'DagNotFoundError';
  }
}

/** The DAG is paused and the flow says not to unpause it: a run would sit queued forever. */
export class DagPausedError extends AirflowError {
  constructor(message: string, options: AirflowErrorOptions = {}) {
    super(message, options);
    this.name = 'DagPausedError';
  }
}

/** A DAG run with this run id exists already; for idempotent triggers this means "done". */
export class DagRunConflictError extends AirflowError {
  constructor(message: string, options: AirflowErrorOptions = {}) {
    super(message, options);
    this.name = 'DagRunConflictError';
  }
}

/**
 * Airflow kept answering 409 for a new run although no run with our run id exists (Airflow 2: other
 * runs held every logical date we tried). Not a duplicate: nothing ran, so the trigger is
 * dead-lettered with this reason rather than counted as done.
 */
export class UnconfirmedConflictError extends AirflowError {
  constructor(message: string, options: AirflowErrorOptions = {}) {
    super(message, options);
    this.name = 'UnconfirmedConflictError';
  }
}

/** MWAA or Airflow asked us to slow down. */
export class AirflowThrottledError extends AirflowError {
  override readonly retryable = true;
  constructor(message: string, options: AirflowErrorOptions = {}) {
    super(message, options);
    this.name = 'AirflowThrottledError';
  }
}

/** Airflow or MWAA failed on its side (5xx), or the request timed out. */
export class AirflowServerError extends AirflowError {
  override readonly retryable = true;
  constructor(message: string, options: AirflowErrorOptions = {}) {
    super(message, options);
    this.name = 'AirflowServerError';
  }
}

/** Any other rejection of our request (4xx): not retried, reported with Airflow's reason. */
export class AirflowRequestError extends AirflowError {
  constructor(message: string, options: AirflowErrorOptions = {}) {
    super(message, options);
    this.name = 'AirflowRequestError';
  }
}

/** The environment cannot take requests now (not AVAILABLE, or does not exist). */
export class EnvironmentUnavailableError extends AirflowError {
  constructor(message: string, options: AirflowErrorOptions = {}) {
    super(message, options);
    this.name = 'EnvironmentUnavailableError';
  }
}
