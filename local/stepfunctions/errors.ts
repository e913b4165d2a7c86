/**
 * Errors of the local Step Functions: API errors (answered on the wire in awsJson shape) and task
 * errors (what a Task state fails with, matched by `Retry`/`Catch` on their `name`).
 */

import { exceptionName, sdkServiceName } from './integration-errors.ts';

/** An error of the Step Functions API, with its AWS error code and HTTP status. */
export class SfnApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'SfnApiError';
    this.code = code;
    this.status = status;
  }
}

/**
 * A failed task. `name` is the ASL error name (`States.TaskFailed`, `Lambda.ServiceException`,
 * `DynamoDb.ConditionalCheckFailedException`, a function's `errorType`...) and `message` is the
 * Cause, because the engine builds the Catch output as `{ Error: name, Cause: message }`.
 */
export class TaskError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/** The execution was stopped while a task was running; the engine has already settled the run. */
export class TaskAbortedError extends Error {
  constructor() {
    super('Execution stopped while the task was running');
    this.name = 'TaskAbortedError';
  }
}

/** `waitForExecution` gave up before the execution closed. */
export class WaitTimeoutError extends Error {
  constructor(executionArn: string, timeoutMs: number) {
    super(`Execution ${executionArn} still running after ${timeoutMs} ms`);
    this.name = 'WaitTimeoutError';
  }
}

/** A state machine definition the local engine cannot run (duplicate state names, invalid ASL). */
export class DefinitionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DefinitionError';
  }
}

/** The service name Step Functions puts before AWS SDK integration errors (`DynamoDb`, `Mwaa`). */
export const sdkErrorServiceName = sdkServiceName;

/**
 * The ASL error name for a failed AWS SDK integration call: service prefix plus the error code,
 * always with the `Exception` suffix (AWS documents `S3.NoSuchKey` as `S3.NoSuchKeyException`).
 * Whether the code is one the model defines is `integration-errors.ts`'s question.
 */
export function sdkErrorName(servicePrefix: string, code: string): string {
  return `${servicePrefix}.${exceptionName(code, 'java1')}`;
}
