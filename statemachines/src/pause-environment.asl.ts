import { readChildFailure, runBackup } from './fragments/backup.ts';
import { unpauseActiveDags } from './fragments/dags.ts';
import { drain } from './fragments/drain.ts';
import { READ_STATUS, requireAvailable } from './fragments/environment.ts';
import { failureTail } from './fragments/failure.ts';
import { recordHistory } from './fragments/history.ts';
import { applyDefaults, validateWholeSeconds } from './fragments/input.ts';
import { takeLock, updateHoldingLock } from './fragments/lock.ts';
import {
  catchAll,
  LAMBDA_SERVICE_RETRY,
  lambdaRetry,
  METADATA_TRANSFER_ERRORS,
  MWAA_RETRY,
  noRetry,
  TASK_FAILED_RETRY,
} from './fragments/retry.ts';
import { findStaleBackupAttempt, stopStaleBackup } from './fragments/stale.ts';
import { awaitStatus } from './fragments/status.ts';
import type { StateMachine } from './types.ts';
import { substitution } from './types.ts';

export function pauseEnvironment(): StateMachine {
  return {
    Comment:
      'Pause an MWAA environment: back up its metadata and verify the backup (BackupEnvironmentStateMachine, the child the upgrade also runs), then delete the environment. docs/pause-resume.md',
    StartAt: 'ApplyDefaults',
    TimeoutSeconds: 43200,
    States: {
      ...applyDefaults(
        {
          pollSeconds: 60,
          drain: false,
          drainTimeoutSeconds: 1800,
          drainPollSeconds: 60,
          exportTimeoutSeconds: 3600,
          heartbeatSeconds: 300,
          abortIfBusy: false,
        },
        {
          also: { inherit: null },
        },
      ),
      ValidateInput: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.config.environment', IsPresent: false, Next: 'InvalidInput' },
          {
            And: [
              { Variable: '$.config.environment', IsString: true },
              { Variable: '$.config.pollSeconds', IsNumeric: true },
              { Variable: '$.config.heartbeatSeconds', IsNumeric: true },
              { Variable: '$.config.exportTimeoutSeconds', IsNumeric: true },
              { Variable: '$.config.abortIfBusy', IsBoolean: true },
            ],
            Next: 'BackupTimeoutGiven',
          },
        ],
        Default: 'InvalidInput',
      },
      InvalidInput: {
        Type: 'Fail',
        Error: 'InvalidInputError',
        Cause:
          'The input must name the environment: {"environment": "<name>"}; pollSeconds, heartbeatSeconds and exportTimeoutSeconds (and backupTimeoutSeconds when given) must be numbers; abortIfBusy a boolean.',
      },
      ...validateWholeSeconds({
        paths: [
          '$.config.pollSeconds',
          '$.config.heartbeatSeconds',
          '$.config.exportTimeoutSeconds',
          '$.limits.backupTimeoutSeconds',
          '$.config.drainTimeoutSeconds',
          '$.config.drainPollSeconds',
        ],
        next: 'TakeLock',
        outcome: 'the lock was not taken and nothing was changed.',
      }),
      BackupTimeoutGiven: {
        Type: 'Choice',
        Comment:
          "The whole backup (child) may take backupTimeoutSeconds; by default the export's own limit plus an hour, so the child's export timeout always fires first and the child re-enables the DAGs itself.",
        Choices: [
          { Variable: '$.config.backupTimeoutSeconds', IsPresent: true, Next: 'IsBackupTimeoutNumeric' },
        ],
        Default: 'DefaultBackupTimeout',
      },
      IsBackupTimeoutNumeric: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.config.backupTimeoutSeconds', IsNumeric: true, Next: 'UseGivenBackupTimeout' },
        ],
        Default: 'InvalidInput',
      },
      UseGivenBackupTimeout: {
        Type: 'Pass',
        Parameters: { 'backupTimeoutSeconds.$': '$.config.backupTimeoutSeconds' },
        ResultPath: '$.limits',
        Next: 'ValidateSecondsRange',
      },
      DefaultBackupTimeout: {
        Type: 'Pass',
        Parameters: { 'backupTimeoutSeconds.$': 'States.MathAdd($.config.exportTimeoutSeconds, 3600)' },
        ResultPath: '$.limits',
        Next: 'ValidateSecondsRange',
      },
      ...takeLock({ operation: 'pause', next: 'GetEnvironment', runbook: 'docs/pause-resume.md' }),
      ...requireAvailable({
        comment: 'Only an AVAILABLE environment is paused.',
        notFoundCause:
          "States.Format('Environment {} does not exist (already paused or never created); nothing was changed.', $.config.environment)",
        next: 'TookOverStaleLock',
      }),
      TookOverStaleLock: {
        Type: 'Choice',
        Comment:
          'Did this execution take the lock over from a stopped or timed-out operation (TakeStaleLock)?',
        Choices: [{ Variable: '$.holder', IsPresent: true, Next: 'HasStaleBackupAttempt' }],
        Default: 'DrainRequested',
      },
      ...findStaleBackupAttempt({
        comment: 'The backup child records its attempt (backupAttempt) before it pauses anything.',
        otherwise: 'DrainRequested',
        next: 'StopStaleBackup',
      }),
      ...stopStaleBackup({
        errors: METADATA_TRANSFER_ERRORS,
        stillRunningComment:
          'Fail safe: nothing was backed up or deleted. The DAGs the stopped attempt paused are re-enabled on the way out.',
        stillRunningCause:
          "States.Format('An export DAG run of an earlier, stopped operation on {} is still queued or running after {} seconds (mwaa_ops_export runs {}); nothing was backed up or deleted. Let it finish or mark it failed in the Airflow UI, then pause again.', $.config.environment, $.staleWait.waitedSeconds, States.JsonToString($.staleWait.exports.runIds))",
        next: 'InheritStaleAttempt',
      }),
      InheritStaleAttempt: {
        Type: 'Pass',
        Comment:
          "The new backup inherits the stopped attempt's record of the active DAGs, which predates any pausing (even if re-enabling them failed).",
        Parameters: {
          'bucket.$': '$.stale.bucket',
          'prefix.$': '$.stale.prefix',
          'backupId.$': '$.stale.backupId',
        },
        ResultPath: '$.inherit',
        Next: 'DrainRequested',
      },
      ...drain({ next: 'Backup' }),
      Backup: runBackup({
        comment:
          'plan → snapshot → export (task token) → verify → record lastVerifiedBackup, in BackupEnvironmentStateMachine exactly as the upgrade takes it. Named after this execution so the backup id still names the pause (invariant 3, docs/architecture.md §6.1). Its own failures re-enable the DAGs before it fails.',
        parameters: { 'Name.$': '$$.Execution.Name' },
        input: { 'inheritActiveDags.$': '$.inherit' },
        timeoutSecondsPath: '$.limits.backupTimeoutSeconds',
        output: ['backupId', 'bucket', 'prefix', 'manifestKey', 'snapshotKey', 'airflowVersion', 'tables'],
        next: 'AbortIfBusyRequested',
      }),
      AbortIfBusyRequested: {
        Type: 'Choice',
        Comment:
          'abortIfBusy (idle pauses, docs/pause-resume.md#idle-aware-pausing): the export has paused the DAGs, so no new run starts; a run that began since the idle check would be killed by the delete, so look once more and keep the environment if one is there.',
        Choices: [{ Variable: '$.config.abortIfBusy', BooleanEquals: true, Next: 'RecheckRuns' }],
        Default: 'RecordPausing',
      },
      RecheckRuns: {
        Type: 'Task',
        Comment:
          "Running + queued runs, the transfer DAGs' own runs excluded. Any failure here keeps the environment (re-enables the DAGs), never deletes it.",
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('MetadataTransferFunctionArn'),
          Payload: {
            action: 'countRunning',
            'environment.$': '$.config.environment',
            excludeTransferDags: true,
          },
        },
        ResultSelector: { 'running.$': '$.Payload.running' },
        ResultPath: '$.recheck',
        Retry: lambdaRetry(METADATA_TRANSFER_ERRORS),
        Catch: catchAll('ReenableDags'),
        Next: 'IsBusyAfterBackup',
      },
      IsBusyAfterBackup: {
        Type: 'Choice',
        Choices: [{ Variable: '$.recheck.running', NumericGreaterThan: 0, Next: 'BusyAfterBackup' }],
        Default: 'RecordPausing',
      },
      BusyAfterBackup: {
        Type: 'Pass',
        Parameters: {
          Error: 'EnvironmentBusyError',
          'Cause.$':
            "States.Format('{} DAG run(s) of {} started after the idle check; the pause stopped before deleting anything, re-enabled the DAGs and keeps the environment (backup {} is verified and kept).', $.recheck.running, $.config.environment, $.backup.backupId)",
        },
        ResultPath: '$.error',
        Next: 'ReenableDags',
      },
      IsChildFailure: {
        Type: 'Choice',
        Comment:
          'A failed child comes back as States.TaskFailed with its description (JSON) as the cause; anything else (States.Timeout of this task, StepFunctions.*) is kept as it is.',
        Choices: [
          {
            And: [
              { Variable: '$.error.Error', StringEquals: 'States.TaskFailed' },
              { Variable: '$.error.Cause', IsPresent: true },
              { Variable: '$.error.Cause', IsString: true },
              { Variable: '$.error.Cause', StringMatches: '{*' },
            ],
            Next: 'ReadChildFailure',
          },
        ],
        Default: 'HasFailureCause',
      },
      ...readChildFailure(),
      BackupFailed: {
        Type: 'Pass',
        Comment:
          "Report the child's own error (ExportFailedError, States.Timeout, BackupVerificationError, ...): the environment was not deleted, and the child re-enabled the DAGs.",
        Parameters: { 'Error.$': '$.backupFailure.child.Error', 'Cause.$': '$.backupFailure.child.Cause' },
        ResultPath: '$.error',
        Next: 'HasFailureCause',
      },
      BackupFailedPlain: {
        Type: 'Pass',
        Parameters: {
          Error: 'BackupFailedError',
          'Cause.$':
            "States.Format('The backup of {} failed; the environment was not deleted.', $.config.environment)",
        },
        ResultPath: '$.error',
        Next: 'HasFailureCause',
      },
      RecordPausing: updateHoldingLock({
        comment: 'The child recorded the verified backup; state PAUSING from here on.',
        update: 'SET #state = :pausing, updatedAt = :now',
        values: {
          ':pausing': { S: 'PAUSING' },
        },
        catch: catchAll('ReenableDags'),
        next: 'DeleteEnvironment',
      }),
      DeleteEnvironment: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:mwaa:deleteEnvironment',
        Parameters: { 'Name.$': '$.config.environment' },
        ResultPath: null,
        Retry: MWAA_RETRY,
        Catch: [
          {
            ErrorEquals: ['Mwaa.ResourceNotFoundException'],
            ResultPath: null,
            Next: 'RecordPaused',
          },
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: '$.error',
            Next: 'ReenableDags',
          },
        ],
        Next: 'AwaitDeletion',
      },
      AwaitDeletion: awaitStatus({
        comment:
          'Until MWAA stops DELETING: an MWAA Environment Status Change event answers the token (StatusEventsFunction); with no event it times out after pollSeconds and waits again, its registration re-checking GetEnvironment (the poll). If the waiter cannot be registered, WaitForDeletion/CheckDeletion poll as before. docs/pause-resume.md#waiting-for-mwaa',
        waitWhile: ['DELETING'],
        onTimeout: 'AwaitDeletion',
        fallback: 'WaitForDeletion',
        next: 'IsDeleted',
      }),
      WaitForDeletion: { Type: 'Wait', SecondsPath: '$.config.pollSeconds', Next: 'CheckDeletion' },
      CheckDeletion: {
        Type: 'Task',
        Comment: 'ResourceNotFound means the environment is gone.',
        ...READ_STATUS,
        Catch: [
          {
            ErrorEquals: ['Mwaa.ResourceNotFoundException'],
            ResultPath: null,
            Next: 'RecordPaused',
          },
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: '$.error',
            Next: 'ReenableDags',
          },
        ],
        Next: 'IsDeleted',
      },
      IsDeleted: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.mwaa.status', StringEquals: 'DELETING', Next: 'AwaitDeletion' },
          { Variable: '$.mwaa.status', StringEquals: 'DELETED', Next: 'RecordPaused' },
        ],
        Default: 'DeletionFailed',
      },
      DeletionFailed: {
        Type: 'Pass',
        Parameters: {
          Error: 'EnvironmentDeleteError',
          'Cause.$':
            "States.Format('Environment {} is {} after DeleteEnvironment; backup {} is verified and kept.', $.config.environment, $.mwaa.status, $.backup.backupId)",
        },
        ResultPath: '$.error',
        Next: 'ReenableDags',
      },
      RecordPaused: updateHoldingLock({
        comment: 'Record PAUSED and release the lock in one conditional write.',
        update: 'SET #state = :paused, updatedAt = :now REMOVE #lock, lastFailure',
        values: {
          ':paused': { S: 'PAUSED' },
        },
        catch: catchAll('HasFailureCause'),
        next: 'StampPausedHistory',
      }),
      ...recordHistory({
        state: 'PAUSED',
        stampComment:
          "The time the environment was seen PAUSED (this state's entry) and its month: the history item's key. Kept in $.history so a retried write stores the same values.",
        atPath: '$$.State.EnteredTime',
        next: 'ArchiveRunHistory',
      }),
      ArchiveRunHistory: {
        Type: 'Task',
        Comment:
          "The verified backup's run history as Parquet in RunHistoryBucket (docs/run-history-archive.md). After the pause is recorded and the lock released: it never delays, blocks or fails the pause; a failure is notified and the archive can be re-run (mwaa-ops backups archive).",
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('RunHistoryArchiveFunctionArn'),
          Payload: {
            action: 'archive',
            'environment.$': '$.config.environment',
            'backupId.$': '$.backup.backupId',
          },
        },
        ResultSelector: { 'tables.$': '$.Payload.tables', 'summary.$': '$.Payload.summary' },
        ResultPath: '$.archive',
        Retry: [
          LAMBDA_SERVICE_RETRY,
          noRetry(['ArchiveSourceError', 'ArchiveRowError', 'ValidationError', 'ConfigError']),
          TASK_FAILED_RETRY,
        ],
        Catch: catchAll('NotifyArchiveFailed', '$.archiveError'),
        Next: 'Paused',
      },
      NotifyArchiveFailed: {
        Type: 'Task',
        Comment:
          "The execution succeeds, so the rule on FAILED executions would not tell anyone: say it here, as JSON like the rule's events. The error name only (its cause may quote Airflow data).",
        Resource: 'arn:aws:states:::sns:publish',
        Parameters: {
          TopicArn: substitution('NotificationTopicArn'),
          Subject: 'mwaa-ops: run-history archive failed',
          Message: {
            source: 'mwaa-ops',
            'detail-type': 'Run-history archive failed',
            detail: {
              status: 'ARCHIVE_FAILED',
              'executionArn.$': '$$.Execution.Id',
              'environment.$': '$.config.environment',
              'backupId.$': '$.backup.backupId',
              'error.$': '$.archiveError.Error',
              pause: 'succeeded; the backup is untouched',
              'rerun.$':
                "States.Format('mwaa-ops backups archive {} --backup {}', $.config.environment, $.backup.backupId)",
            },
          },
          MessageAttributes: {
            environment: { DataType: 'String', 'StringValue.$': '$.config.environment' },
            event: { DataType: 'String', StringValue: 'RunHistoryArchiveFailed' },
          },
        },
        ResultPath: null,
        Retry: [
          {
            ErrorEquals: ['SNS.SdkClientException', 'SNS.InternalErrorException', 'SNS.ThrottledException'],
            IntervalSeconds: 2,
            MaxAttempts: 4,
            BackoffRate: 2,
          },
        ],
        Catch: catchAll('Paused', '$.notifyError'),
        Next: 'Paused',
      },
      Paused: {
        Type: 'Pass',
        Parameters: {
          'environment.$': '$.config.environment',
          state: 'PAUSED',
          'backupId.$': '$.backup.backupId',
          'backup.$': "States.Format('s3://{}/{}', $.backup.bucket, $.backup.prefix)",
          'tables.$': '$.backup.tables',
          'airflowVersion.$': '$.backup.airflowVersion',
        },
        End: true,
      },
      ReenableDags: unpauseActiveDags({
        comment:
          'The export paused the active DAGs: unpause them if the environment still exists (no-op otherwise).',
        errors: METADATA_TRANSFER_ERRORS,
        catch: catchAll('HasFailureCause', '$.reenableError'),
        next: 'HasFailureCause',
      }),
      ...failureTail(),
    },
  };
}
