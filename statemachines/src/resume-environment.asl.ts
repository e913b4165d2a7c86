import { getEnvironment, READ_STATUS } from './fragments/environment.ts';
import { failureTail } from './fragments/failure.ts';
import { recordHistory } from './fragments/history.ts';
import { applyDefaults, validateWholeSeconds } from './fragments/input.ts';
import { releaseLock, takeLock, updateHoldingLock } from './fragments/lock.ts';
import {
  BACKUP_READ_ERRORS,
  catchAll,
  FUNCTION_THROTTLING_RETRY,
  LAMBDA_SERVICE_RETRY,
  lambdaRetry,
  MWAA_RETRY,
} from './fragments/retry.ts';
import { findStaleBackupAttempt, stopStaleBackup } from './fragments/stale.ts';
import { awaitStatus } from './fragments/status.ts';
import type { StateMachine } from './types.ts';
import { substitution } from './types.ts';

export function resumeEnvironment(): StateMachine {
  return {
    Comment:
      'Resume a paused MWAA environment: recreate it from its snapshot and restore the verified backup. docs/pause-resume.md',
    StartAt: 'ApplyDefaults',
    TimeoutSeconds: 43200,
    States: {
      ...applyDefaults({
        pollSeconds: 60,
        importTimeoutSeconds: 3600,
        exportTimeoutSeconds: 3600,
        heartbeatSeconds: 300,
        reloadPlugins: false,
        trustUnrecordedBackup: false,
      }),
      ValidateInput: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.config.environment', IsPresent: false, Next: 'InvalidInput' },
          {
            And: [
              { Variable: '$.config.environment', IsString: true },
              { Variable: '$.config.pollSeconds', IsNumeric: true },
              { Variable: '$.config.heartbeatSeconds', IsNumeric: true },
              { Variable: '$.config.trustUnrecordedBackup', IsBoolean: true },
            ],
            Next: 'ValidateSecondsRange',
          },
        ],
        Default: 'InvalidInput',
      },
      InvalidInput: {
        Type: 'Fail',
        Error: 'InvalidInputError',
        Cause:
          'The input must name the environment: {"environment": "<name>"}; pollSeconds and heartbeatSeconds must be numbers, trustUnrecordedBackup a boolean.',
      },
      ...validateWholeSeconds({
        paths: [
          '$.config.pollSeconds',
          '$.config.heartbeatSeconds',
          '$.config.importTimeoutSeconds',
          '$.config.exportTimeoutSeconds',
        ],
        next: 'TakeLock',
        outcome: 'the lock was not taken and nothing was changed.',
      }),
      ...takeLock({
        operation: 'resume',
        next: 'ReadRegistryState',
        nextAfterStaleLock: 'HasStaleBackupAttempt',
        runbook: 'docs/pause-resume.md',
      }),
      ...findStaleBackupAttempt({
        comment:
          "A stale holder's backup child records its attempt (backupAttempt) before it pauses anything; kept here because the registry item is read only once.",
        otherwise: 'ReadRegistryState',
        next: 'ReadRegistryState',
      }),
      ReadRegistryState: {
        Type: 'Choice',
        Comment: 'RESUMING means an earlier resume created the environment but did not finish the restore.',
        Choices: [{ Variable: '$.registry.item.state.S', IsPresent: true, Next: 'KnownRegistryState' }],
        Default: 'UnknownRegistryState',
      },
      KnownRegistryState: {
        Type: 'Pass',
        Parameters: { 'state.$': '$.registry.item.state.S' },
        ResultPath: '$.registry',
        Next: 'GetEnvironment',
      },
      UnknownRegistryState: {
        Type: 'Pass',
        Parameters: { state: 'UNKNOWN' },
        ResultPath: '$.registry',
        Next: 'GetEnvironment',
      },
      GetEnvironment: getEnvironment({
        comment: 'An environment that exists and is AVAILABLE is already running: nothing to do.',
        notFound: 'FindBackup',
        next: 'IsAlreadyRunning',
      }),
      IsAlreadyRunning: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.registry.state', StringEquals: 'RESUMING' },
              {
                Or: [
                  { Variable: '$.mwaa.status', StringEquals: 'AVAILABLE' },
                  { Variable: '$.mwaa.status', StringEquals: 'CREATING' },
                ],
              },
            ],
            Next: 'FindBackup',
          },
          { Variable: '$.mwaa.status', StringEquals: 'AVAILABLE', Next: 'TookOverStaleAttempt' },
        ],
        Default: 'EnvironmentExists',
      },
      EnvironmentExists: {
        Type: 'Pass',
        Parameters: {
          Error: 'EnvironmentNotResumableError',
          'Cause.$':
            "States.Format('Environment {} exists with status {}: resume only recreates a deleted environment. See the runbook in docs/pause-resume.md.', $.config.environment, $.mwaa.status)",
        },
        ResultPath: '$.error',
        Next: 'HasFailureCause',
      },
      TookOverStaleAttempt: {
        Type: 'Choice',
        Comment:
          'The environment runs, but this resume took over the lock of an operation stopped during its backup: before the no-op, leave the DAGs as they were before that backup paused them (docs/pause-resume.md, Taking over a stale lock).',
        Choices: [{ Variable: '$.stale', IsPresent: true, Next: 'StopStaleBackup' }],
        Default: 'ReleaseLockNoop',
      },
      ...stopStaleBackup({
        errors: BACKUP_READ_ERRORS,
        stillRunningComment:
          'Fail: the environment is left running; the DAGs the stopped attempt paused are re-enabled on the way out.',
        stillRunningCause:
          "States.Format('An export DAG run of an earlier, stopped operation on {} is still queued or running after {} seconds (mwaa_ops_export runs {}); the environment runs, and the DAGs that operation paused were re-enabled. Let the run finish or mark it failed in the Airflow UI.', $.config.environment, $.staleWait.waitedSeconds, States.JsonToString($.staleWait.exports.runIds))",
        next: 'ReleaseLockNoop',
      }),
      ReleaseLockNoop: releaseLock({
        set: ['#state = :running'],
        names: { '#state': 'state' },
        values: {
          ':running': { S: 'RUNNING' },
        },
        catch: catchAll('HasFailureCause'),
        next: 'AlreadyRunning',
      }),
      AlreadyRunning: {
        Type: 'Pass',
        Parameters: { 'environment.$': '$.config.environment', state: 'RUNNING', noop: true },
        End: true,
      },
      FindBackup: {
        Type: 'Task',
        Comment:
          'The last verified backup recorded by a pause, with the digests and recreation settings recorded when it was verified. A record without digests (verified before they were recorded) fails with UnrecordedBackupError unless the input says trustUnrecordedBackup: true.',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('MetadataTransferFunctionArn'),
          Payload: {
            action: 'findBackup',
            'environment.$': '$.config.environment',
            'trustUnrecordedBackup.$': '$.config.trustUnrecordedBackup',
          },
        },
        ResultSelector: {
          'bucket.$': '$.Payload.bucket',
          'prefix.$': '$.Payload.prefix',
          'backupId.$': '$.Payload.backupId',
          'manifestSha256.$': '$.Payload.manifestSha256',
          'snapshotSha256.$': '$.Payload.snapshotSha256',
          'recreation.$': '$.Payload.recreation',
        },
        ResultPath: '$.backup',
        Retry: lambdaRetry(BACKUP_READ_ERRORS),
        Catch: catchAll('HasFailureCause'),
        Next: 'VerifyBackup',
      },
      VerifyBackup: {
        Type: 'Task',
        Comment:
          "Before CreateEnvironment: manifest.json and environment.json must be the bytes recorded in the registry when the backup was verified (BackupTamperedError otherwise: a backup rewritten consistently, checksums included, still fails here), then the manifest and every file's size and SHA-256 (the verifier the pause used). A bad backup fails here, costing nothing and leaving no empty environment behind; the registry stays PAUSED.",
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('MetadataTransferFunctionArn'),
          Payload: {
            action: 'verify',
            'environment.$': '$.config.environment',
            'bucket.$': '$.backup.bucket',
            'prefix.$': '$.backup.prefix',
            'backupId.$': '$.backup.backupId',
            'expectedManifestSha256.$': '$.backup.manifestSha256',
            'expectedSnapshotSha256.$': '$.backup.snapshotSha256',
          },
        },
        ResultSelector: { 'verified.$': '$.Payload.verified', 'manifestKey.$': '$.Payload.manifestKey' },
        ResultPath: '$.verification',
        Retry: lambdaRetry(BACKUP_READ_ERRORS),
        Catch: catchAll('HasFailureCause'),
        Next: 'IsBackupVerified',
      },
      IsBackupVerified: {
        Type: 'Choice',
        Choices: [{ Variable: '$.verification.verified', BooleanEquals: true, Next: 'MarkResuming' }],
        Default: 'BackupNotVerified',
      },
      BackupNotVerified: {
        Type: 'Pass',
        Parameters: {
          Error: 'BackupVerificationError',
          'Cause.$':
            "States.Format('Backup {} of {} did not verify; no environment was created.', $.backup.backupId, $.config.environment)",
        },
        ResultPath: '$.error',
        Next: 'HasFailureCause',
      },
      MarkResuming: updateHoldingLock({
        update: 'SET #state = :resuming, updatedAt = :now',
        values: {
          ':resuming': { S: 'RESUMING' },
        },
        catch: catchAll('HasFailureCause'),
        next: 'NoteRecreationTime',
      }),
      NoteRecreationTime: {
        Type: 'Pass',
        Comment:
          'The time CreateEnvironment is about to be called, kept for the pause history: MWAA bills the environment from CreateEnvironment, so RUNNING is dated from here and the creation and the restore count as running hours (mwaa-ops report savings never overstates).',
        Parameters: { 'at.$': '$$.State.EnteredTime' },
        ResultPath: '$.runningSince',
        Next: 'Recreate',
      },
      Recreate: {
        Type: 'Task',
        Comment:
          'CreateEnvironment from the snapshot, only if it still has the recorded SHA-256 and the recreation-critical settings (role, DAG bucket and paths, plugins, requirements, startup script, options digest, network, KMS key) recorded from MWAA; an environment that already exists is not created twice.',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('MetadataTransferFunctionArn'),
          Payload: {
            action: 'recreate',
            'environment.$': '$.config.environment',
            'bucket.$': '$.backup.bucket',
            'prefix.$': '$.backup.prefix',
            'expectedSnapshotSha256.$': '$.backup.snapshotSha256',
            'recreation.$': '$.backup.recreation',
          },
        },
        ResultSelector: { 'created.$': '$.Payload.created' },
        ResultPath: '$.recreate',
        Retry: lambdaRetry(BACKUP_READ_ERRORS),
        Catch: catchAll('HasFailureCause'),
        Next: 'AwaitCreation',
      },
      AwaitCreation: awaitStatus({
        comment:
          'Until MWAA stops CREATING/PENDING: an MWAA Environment Status Change event answers the token (StatusEventsFunction); with no event it times out after pollSeconds and waits again, its registration re-checking GetEnvironment (the poll). If the waiter cannot be registered, WaitForCreation/CheckCreation poll as before. docs/pause-resume.md#waiting-for-mwaa',
        waitWhile: ['CREATING', 'PENDING'],
        onTimeout: 'AwaitCreation',
        fallback: 'WaitForCreation',
        next: 'IsCreated',
      }),
      WaitForCreation: { Type: 'Wait', SecondsPath: '$.config.pollSeconds', Next: 'CheckCreation' },
      CheckCreation: {
        Type: 'Task',
        Comment: 'Follow CREATING until AVAILABLE.',
        ...READ_STATUS,
        Catch: catchAll('HasFailureCause'),
        Next: 'IsCreated',
      },
      IsCreated: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.mwaa.status', StringEquals: 'AVAILABLE', Next: 'Import' },
          {
            Or: [
              { Variable: '$.mwaa.status', StringEquals: 'CREATING' },
              { Variable: '$.mwaa.status', StringEquals: 'PENDING' },
            ],
            Next: 'AwaitCreation',
          },
          { Variable: '$.mwaa.status', StringEquals: 'CREATE_FAILED', Next: 'CreateFailed' },
        ],
        Default: 'UnexpectedCreateStatus',
      },
      CreateFailed: {
        Type: 'Pass',
        Parameters: {
          Error: 'EnvironmentCreateFailedError',
          'Cause.$':
            "States.Format('Environment {} ended CREATE_FAILED; backup {} is untouched. Delete the failed environment, fix the cause and resume again.', $.config.environment, $.backup.backupId)",
        },
        ResultPath: '$.error',
        Next: 'HasFailureCause',
      },
      UnexpectedCreateStatus: {
        Type: 'Pass',
        Parameters: {
          Error: 'EnvironmentCreateFailedError',
          'Cause.$':
            "States.Format('Environment {} is {} while being created; backup {} is untouched.', $.config.environment, $.mwaa.status, $.backup.backupId)",
        },
        ResultPath: '$.error',
        Next: 'HasFailureCause',
      },
      Import: {
        Type: 'Task',
        Comment:
          "Restore the metadata; the answer comes after the restored counts equal the manifest's. The import refuses a manifest whose bytes are not the recorded ones (a swap after VerifyBackup).",
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: substitution('MetadataTransferFunctionArn'),
          Payload: {
            action: 'import',
            'taskToken.$': '$$.Task.Token',
            'heartbeatSeconds.$': '$.config.heartbeatSeconds',
            'executionArn.$': '$$.Execution.Id',
            'environment.$': '$.config.environment',
            'bucket.$': '$.backup.bucket',
            'prefix.$': '$.backup.prefix',
            'backupId.$': '$.backup.backupId',
            'expectedManifestSha256.$': '$.backup.manifestSha256',
          },
        },
        TimeoutSecondsPath: '$.config.importTimeoutSeconds',
        HeartbeatSecondsPath: '$.config.heartbeatSeconds',
        ResultPath: '$.import',
        Retry: [
          LAMBDA_SERVICE_RETRY,
          FUNCTION_THROTTLING_RETRY,
          {
            ErrorEquals: ['DagsNotParsedError'],
            IntervalSeconds: 60,
            MaxAttempts: 10,
            BackoffRate: 1.5,
            MaxDelaySeconds: 300,
          },
        ],
        Catch: catchAll('HasFailureCause'),
        Next: 'ReloadPluginsRequested',
      },
      ReloadPluginsRequested: {
        Type: 'Choice',
        Comment: 'Plugins load before the metadata is restored; an update restarts them.',
        Choices: [{ Variable: '$.config.reloadPlugins', BooleanEquals: true, Next: 'ReadWorkerSettings' }],
        Default: 'RecordRunning',
      },
      ReadWorkerSettings: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:mwaa:getEnvironment',
        Parameters: { 'Name.$': '$.config.environment' },
        ResultSelector: {
          'minWorkers.$': '$.Environment.MinWorkers',
          'maxWorkers.$': '$.Environment.MaxWorkers',
        },
        ResultPath: '$.workers',
        Retry: MWAA_RETRY,
        Catch: catchAll('HasFailureCause'),
        Next: 'ReloadPlugins',
      },
      ReloadPlugins: {
        Type: 'Task',
        Comment: 'An update with unchanged settings restarts the components, which reload plugins.',
        Resource: 'arn:aws:states:::aws-sdk:mwaa:updateEnvironment',
        Parameters: {
          'Name.$': '$.config.environment',
          'MinWorkers.$': '$.workers.minWorkers',
          'MaxWorkers.$': '$.workers.maxWorkers',
        },
        ResultPath: null,
        Retry: MWAA_RETRY,
        Catch: catchAll('HasFailureCause'),
        Next: 'WaitForReload',
      },
      WaitForReload: { Type: 'Wait', SecondsPath: '$.config.pollSeconds', Next: 'CheckReload' },
      CheckReload: {
        Type: 'Task',
        Comment: 'Follow UPDATING until AVAILABLE.',
        ...READ_STATUS,
        Catch: catchAll('HasFailureCause'),
        Next: 'IsReloaded',
      },
      IsReloaded: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.mwaa.status', StringEquals: 'AVAILABLE', Next: 'RecordRunning' },
          { Variable: '$.mwaa.status', StringEquals: 'UPDATING', Next: 'WaitForReload' },
        ],
        Default: 'ReloadFailed',
      },
      ReloadFailed: {
        Type: 'Pass',
        Parameters: {
          Error: 'PluginReloadError',
          'Cause.$':
            "States.Format('Environment {} was restored from backup {} but the plugin reload ended {}.', $.config.environment, $.backup.backupId, $.mwaa.status)",
        },
        ResultPath: '$.error',
        Next: 'HasFailureCause',
      },
      RecordRunning: updateHoldingLock({
        comment: 'Record RUNNING and release the lock in one conditional write.',
        update:
          'SET #state = :running, lastRestoredBackup = :backupId, updatedAt = :now REMOVE #lock, lastFailure',
        values: {
          ':running': { S: 'RUNNING' },
          ':backupId': { 'S.$': '$.backup.backupId' },
        },
        catch: catchAll('HasFailureCause'),
        next: 'StampRunningHistory',
      }),
      ...recordHistory({
        state: 'RUNNING',
        stampComment:
          "The pause history's RUNNING entry, dated when CreateEnvironment was called (NoteRecreationTime), and its month: the history item's key. Kept in $.history so a retried write stores the same values.",
        atPath: '$.runningSince.at',
        next: 'Resumed',
      }),
      Resumed: {
        Type: 'Pass',
        Parameters: {
          'environment.$': '$.config.environment',
          state: 'RUNNING',
          'backupId.$': '$.backup.backupId',
          'import.$': '$.import',
        },
        End: true,
      },
      ...failureTail(),
    },
  };
}
