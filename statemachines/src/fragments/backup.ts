/**
 * The backup child (pause, upgrade): BackupEnvironmentStateMachine run to completion under this
 * execution's lock, and its failure read back.
 */
import { type State, type States, substitution } from '../types.ts';
import { catchAll } from './retry.ts';

export const START_EXECUTION_RETRY = [
  {
    ErrorEquals: ['StepFunctions.ExecutionLimitExceededException', 'StepFunctions.SdkClientException'],
    IntervalSeconds: 2,
    MaxAttempts: 5,
    BackoffRate: 2,
    MaxDelaySeconds: 60,
    JitterStrategy: 'FULL',
  },
];

export interface RunBackupOptions {
  comment: string;
  /** Parameters beside StateMachineArn and Input, e.g. the execution name. */
  parameters?: Record<string, unknown>;
  /** Input fields after environment and lockOwner, before the *Seconds settings. */
  input?: Record<string, unknown>;
  timeoutSecondsPath: string;
  /** The child's output fields kept at $.backup (default: where the backup is, and its version). */
  output?: string[];
  next: string;
}

export const BACKUP_OUTPUT = ['backupId', 'bucket', 'prefix', 'manifestKey', 'airflowVersion'];

/** The Backup task; its failures go to IsChildFailure. */
export function runBackup({
  comment,
  parameters = {},
  input = {},
  timeoutSecondsPath,
  output = BACKUP_OUTPUT,
  next,
}: RunBackupOptions): State {
  return {
    Type: 'Task',
    Comment: comment,
    Resource: 'arn:aws:states:::states:startExecution.sync:2',
    Parameters: {
      StateMachineArn: substitution('BackupEnvironmentStateMachineArn'),
      ...parameters,
      Input: {
        'environment.$': '$.config.environment',
        'lockOwner.$': '$$.Execution.Id',
        ...input,
        'heartbeatSeconds.$': '$.config.heartbeatSeconds',
        'exportTimeoutSeconds.$': '$.config.exportTimeoutSeconds',
        'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id',
      },
    },
    TimeoutSecondsPath: timeoutSecondsPath,
    ResultSelector: Object.fromEntries(output.map((f) => [`${f}.$`, `$.Output.${f}`])),
    ResultPath: '$.backup',
    Retry: START_EXECUTION_RETRY,
    Catch: catchAll('IsChildFailure'),
    Next: next,
  };
}

/**
 * ReadChildFailure, HasChildCause: the failed child's description (JSON in the Cause) read into
 * $.backupFailure.child; BackupFailed when it names an Error and a Cause, else BackupFailedPlain.
 */
export function readChildFailure(): States {
  return {
    ReadChildFailure: {
      Type: 'Pass',
      Parameters: { 'child.$': 'States.StringToJson($.error.Cause)' },
      ResultPath: '$.backupFailure',
      Next: 'HasChildCause',
    },
    HasChildCause: {
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.backupFailure.child.Error', IsString: true },
            { Variable: '$.backupFailure.child.Cause', IsString: true },
          ],
          Next: 'BackupFailed',
        },
      ],
      Default: 'BackupFailedPlain',
    },
  };
}
