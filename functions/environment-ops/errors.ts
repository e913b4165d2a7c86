/**
 * Errors EnvironmentOpsFunction throws. Their names are the contract with the upgrade state
 * machine (Catch/Retry match on them) — never rename one without the ASL.
 */
import { type ErrorContext, MwaaOpsError } from '../shared/errors.ts';

type Options = { cause?: unknown; context?: ErrorContext };

/** The canary DAG cannot be triggered (not in the environment, or Airflow refused the run). */
export class CanaryTriggerError extends MwaaOpsError {
  constructor(message: string, options: Options = {}) {
    super(message, options);
    this.name = 'CanaryTriggerError';
  }
}
