/**
 * Retry and Catch blocks every workflow uses: one list of the transient errors per integration,
 * so a retry policy is changed in one place.
 */
import { substitution } from '../types.ts';

/** The optimized DynamoDB integration's throttling and server errors. */
export const DYNAMODB_RETRY = [
  {
    ErrorEquals: [
      'DynamoDB.ProvisionedThroughputExceededException',
      'DynamoDB.ThrottlingException',
      'DynamoDB.InternalServerErrorException',
      'DynamoDB.RequestLimitExceededException',
    ],
    IntervalSeconds: 1,
    MaxAttempts: 6,
    BackoffRate: 2,
    MaxDelaySeconds: 30,
    JitterStrategy: 'FULL',
  },
];

/** The MWAA SDK integration: its modelled server errors and the generic name for the rest. */
export const MWAA_RETRY = [
  {
    ErrorEquals: ['Mwaa.ServiceUnavailableException', 'Mwaa.InternalServerException', 'Mwaa.MwaaException'],
    IntervalSeconds: 2,
    MaxAttempts: 8,
    BackoffRate: 2,
    MaxDelaySeconds: 60,
    JitterStrategy: 'FULL',
  },
];

/** The Step Functions SDK integration (describeExecution, stopExecution). */
export const SFN_RETRY = [
  {
    ErrorEquals: ['Sfn.SfnException'],
    IntervalSeconds: 1,
    MaxAttempts: 5,
    BackoffRate: 2,
  },
];

/** The Lambda service's own transient errors, before the function runs. */
export const LAMBDA_SERVICE_RETRY = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    'Lambda.EC2ThrottledException',
    'Lambda.ResourceNotReadyException',
  ],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
  JitterStrategy: 'FULL',
};

/** Throttling the function reports from the AWS APIs it calls. */
export const FUNCTION_THROTTLING_RETRY = {
  ErrorEquals: ['ThrottlingException', 'InternalServerException', 'TooManyRequestsException'],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
  JitterStrategy: 'FULL',
};

/** Any other failure of the function: one more try. */
export const TASK_FAILED_RETRY = {
  ErrorEquals: ['States.TaskFailed'],
  IntervalSeconds: 5,
  MaxAttempts: 2,
  BackoffRate: 2,
};

/** Errors a function throws on purpose: retrying cannot help. */
export const noRetry = (errors: readonly string[]) => ({ ErrorEquals: [...errors], MaxAttempts: 0 });

/**
 * The error types the metadata-transfer function throws on purpose. The workflows that read a
 * backup (backup, resume) also name the two errors of the backup checks.
 */
export const METADATA_TRANSFER_ERRORS = [
  'BackupVerificationError',
  'ConfigError',
  'DagsNotParsedError',
  'EnvironmentNotAvailableError',
  'EnvironmentRecreateError',
  'NoBackupError',
  'RestoreCountMismatchError',
  'SecretsNotExportableError',
  'TransferDagMissingError',
  'ValidationError',
];
export const BACKUP_CHECK_ERRORS = ['BackupTamperedError', 'UnrecordedBackupError'];

/** The usual Retry of a Lambda task: transient errors retried, the function's own errors not. */
export const lambdaRetry = (nonRetryable: readonly string[]) => [
  LAMBDA_SERVICE_RETRY,
  FUNCTION_THROTTLING_RETRY,
  noRetry(nonRetryable),
  TASK_FAILED_RETRY,
];

/** Catch everything, keep the error at resultPath and go to next. */
export const catchAll = (next: string, resultPath: string | null = '$.error') => [
  { ErrorEquals: ['States.ALL'], ResultPath: resultPath, Next: next },
];

/** The environments table and the registry item of the environment the workflow acts on. */
export const ENVIRONMENTS_TABLE = substitution('EnvironmentsTableName');
export const ENVIRONMENT_KEY = { environment: { 'S.$': '$.config.environment' } };

/** METADATA_TRANSFER_ERRORS and BACKUP_CHECK_ERRORS, in one sorted list. */
export const BACKUP_READ_ERRORS = [...METADATA_TRANSFER_ERRORS, ...BACKUP_CHECK_ERRORS].sort();
