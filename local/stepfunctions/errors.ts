/**
 * Errors of the local Step Functions: API errors (answered on the wire in awsJson shape) and task
 * errors (what a Task state fails with, matched by `Retry`/`Catch` on their `name`).
 */

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

/**
 * Service names as Step Functions spells them in AWS SDK integration errors
 * (`<ServiceName>.<ErrorName>`, both PascalCase). Services missing here get their first letter
 * upper-cased, which is right for the single-word ones (`Sfn`, `Mwaa`, `Sns`, `Sqs`, `Lambda`).
 */
const SDK_ERROR_SERVICE_NAMES: Record<string, string> = {
  dynamodb: 'DynamoDb',
  eventbridge: 'EventBridge',
  acmpca: 'AcmPca',
  cloudwatch: 'CloudWatch',
  cloudwatchlogs: 'CloudWatchLogs',
  secretsmanager: 'SecretsManager',
  s3: 'S3',
  ec2: 'Ec2',
  ecs: 'Ecs',
  iam: 'Iam',
  kms: 'Kms',
  ssm: 'Ssm',
};

export function sdkErrorServiceName(service: string): string {
  return SDK_ERROR_SERVICE_NAMES[service] ?? service.charAt(0).toUpperCase() + service.slice(1);
}

/**
 * The ASL error name for a failed AWS SDK integration call: service prefix plus the error code,
 * always with the `Exception` suffix (AWS documents `S3.NoSuchKey` as `S3.NoSuchKeyException`).
 */
export function sdkErrorName(servicePrefix: string, code: string): string {
  const withSuffix = code.endsWith('Exception') ? code : `${code}Exception`;
  return `${servicePrefix}.${withSuffix}`;
}
