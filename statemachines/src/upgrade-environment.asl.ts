import { readChildFailure, runBackup } from './fragments/backup.ts';
import { unpauseActiveDags } from './fragments/dags.ts';
import { drain } from './fragments/drain.ts';
import { READ_STATUS, requireAvailable } from './fragments/environment.ts';
import { failureTail } from './fragments/failure.ts';
import { applyDefaults, validateWholeSeconds } from './fragments/input.ts';
import { FAILURE_RECORD, releaseLock, takeLock, updateHoldingLock } from './fragments/lock.ts';
import { catchAll, lambdaRetry, METADATA_TRANSFER_ERRORS, MWAA_RETRY } from './fragments/retry.ts';
import { awaitStatus } from './fragments/status.ts';
import type { StateMachine } from './types.ts';
import { substitution } from './types.ts';

export function upgradeEnvironment(): StateMachine {
  return {
    Comment:
      'Upgrade (or downgrade) an MWAA environment in place: validate the change against the version matrix, take a verified backup, UpdateEnvironment(AirflowVersion), follow it, report the outcome. docs/upgrades.md',
    StartAt: 'ApplyDefaults',
    TimeoutSeconds: 43200,
    States: {
      ...applyDefaults({
        pollSeconds: 300,
        updateTimeoutSeconds: 14400,
        drain: false,
        drainTimeoutSeconds: 1800,
        drainPollSeconds: 60,
        exportTimeoutSeconds: 3600,
        heartbeatSeconds: 300,
        backupTimeoutSeconds: 7200,
        canaryDag: '',
        canaryTimeoutSeconds: 1800,
        canaryPollSeconds: 60,
        artifacts: {},
      }),
      ValidateInput: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.config.environment', IsPresent: true },
              { Variable: '$.config.environment', IsString: true },
              { Variable: '$.config.targetVersion', IsPresent: true },
              { Variable: '$.config.targetVersion', IsString: true },
              { Variable: '$.config.canaryDag', IsString: true },
              { Variable: '$.config.pollSeconds', IsNumeric: true },
              { Variable: '$.config.updateTimeoutSeconds', IsNumeric: true },
              { Variable: '$.config.drainTimeoutSeconds', IsNumeric: true },
              { Variable: '$.config.drainPollSeconds', IsNumeric: true },
              { Variable: '$.config.backupTimeoutSeconds', IsNumeric: true },
              { Variable: '$.config.canaryTimeoutSeconds', IsNumeric: true },
              { Variable: '$.config.canaryPollSeconds', IsNumeric: true },
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
          'The input must name the environment and the target version: {"environment": "<name>", "targetVersion": "2.11.0"}; canaryDag must be a string and the *Seconds settings numbers.',
      },
      ...validateWholeSeconds({
        paths: [
          '$.config.pollSeconds',
          '$.config.updateTimeoutSeconds',
          '$.config.drainTimeoutSeconds',
          '$.config.drainPollSeconds',
          '$.config.heartbeatSeconds',
          '$.config.exportTimeoutSeconds',
          '$.config.backupTimeoutSeconds',
          '$.config.canaryTimeoutSeconds',
          '$.config.canaryPollSeconds',
        ],
        next: 'TakeLock',
        outcome: 'the lock was not taken and nothing was changed.',
      }),
      ...takeLock({ operation: 'upgrade', next: 'GetEnvironment', runbook: 'docs/upgrades.md' }),
      ...requireAvailable({
        comment: 'Only an AVAILABLE environment is upgraded.',
        notFoundCause:
          "States.Format('Environment {} does not exist (paused or never created); nothing was changed.', $.config.environment)",
        next: 'ValidateVersionChange',
      }),
      ValidateVersionChange: {
        Type: 'Task',
        Comment:
          'The version matrix decides, before any backup or update (functions/shared/versions/airflow-versions.json).',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('EnvironmentOpsFunctionArn'),
          Payload: {
            action: 'validateUpgrade',
            'environment.$': '$.config.environment',
            'currentVersion.$': '$.mwaa.airflowVersion',
            'targetVersion.$': '$.config.targetVersion',
            'canaryDag.$': '$.config.canaryDag',
            'artifacts.$': '$.config.artifacts',
          },
        },
        ResultSelector: {
          'allowed.$': '$.Payload.allowed',
          'noop.$': '$.Payload.noop',
          'kind.$': '$.Payload.kind',
          'currentVersion.$': '$.Payload.currentVersion',
          'reason.$': '$.Payload.reason',
          'updateRequest.$': '$.Payload.updateRequest',
        },
        ResultPath: '$.validation',
        Retry: lambdaRetry(['CanaryTriggerError', 'ConfigError', 'ValidationError']),
        Catch: catchAll('HasFailureCause'),
        Next: 'IsChangeAllowed',
      },
      IsChangeAllowed: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.validation.noop', BooleanEquals: true, Next: 'ReleaseLockNoop' },
          { Variable: '$.validation.allowed', BooleanEquals: true, Next: 'DrainRequested' },
        ],
        Default: 'ChangeNotAllowed',
      },
      ChangeNotAllowed: {
        Type: 'Pass',
        Parameters: {
          Error: 'VersionChangeNotAllowedError',
          'Cause.$':
            "States.Format('Refused to change {} from Airflow {} to {}: {}. Nothing was changed.', $.config.environment, $.validation.currentVersion, $.config.targetVersion, $.validation.reason)",
        },
        ResultPath: '$.error',
        Next: 'HasFailureCause',
      },
      ReleaseLockNoop: releaseLock({
        comment: 'Already at the target version: nothing to do but release the lock.',
        set: [],
        names: {},
        values: {},
        catch: catchAll('HasFailureCause'),
        next: 'AlreadyAtTarget',
      }),
      AlreadyAtTarget: {
        Type: 'Pass',
        Parameters: {
          'environment.$': '$.config.environment',
          noop: true,
          'airflowVersion.$': '$.mwaa.airflowVersion',
          'message.$':
            "States.Format('Environment {} already runs Airflow {}; nothing was changed.', $.config.environment, $.mwaa.airflowVersion)",
        },
        End: true,
      },
      ...drain({ next: 'Backup' }),
      Backup: runBackup({
        comment:
          'The verified backup exactly as pause takes it, in BackupEnvironmentStateMachine; nothing is updated unless it succeeds.',
        timeoutSecondsPath: '$.config.backupTimeoutSeconds',
        next: 'RecordUpgradeStarted',
      }),
      IsChildFailure: {
        Type: 'Choice',
        Comment:
          'A failed child execution comes back as States.TaskFailed with its description as the cause.',
        Choices: [{ Variable: '$.error.Error', StringEquals: 'States.TaskFailed', Next: 'ReadChildFailure' }],
        Default: 'BackupFailedPlain',
      },
      ...readChildFailure(),
      BackupFailed: {
        Type: 'Pass',
        Parameters: {
          Error: 'BackupFailedError',
          'Cause.$':
            "States.Format('The backup of {} failed ({}: {}); the environment was not updated and still runs Airflow {}.', $.config.environment, $.backupFailure.child.Error, $.backupFailure.child.Cause, $.mwaa.airflowVersion)",
        },
        ResultPath: '$.error',
        Next: 'HasFailureCause',
      },
      BackupFailedPlain: {
        Type: 'Pass',
        Parameters: {
          Error: 'BackupFailedError',
          'Cause.$':
            "States.Format('The backup of {} failed; the environment was not updated and still runs Airflow {}.', $.config.environment, $.mwaa.airflowVersion)",
        },
        ResultPath: '$.error',
        Next: 'HasFailureCause',
      },
      RecordUpgradeStarted: updateHoldingLock({
        comment: 'State UPGRADING from here on, with the backup to recover from.',
        update: 'SET #state = :upgrading, upgrade = :upgrade, updatedAt = :now',
        values: {
          ':upgrading': { S: 'UPGRADING' },
          ':upgrade': {
            M: {
              executionArn: { 'S.$': '$$.Execution.Id' },
              from: { 'S.$': '$.validation.currentVersion' },
              to: { 'S.$': '$.config.targetVersion' },
              backupId: { 'S.$': '$.backup.backupId' },
              startedAt: { 'S.$': '$$.Execution.StartTime' },
            },
          },
        },
        catch: catchAll('ReenableDagsAfterFailure'),
        next: 'UpdateEnvironment',
      }),
      UpdateEnvironment: {
        Type: 'Task',
        Comment:
          'The request (Name, AirflowVersion and the optional requirements/plugins/startup script object versions) was built and checked by validateUpgrade.',
        Resource: 'arn:aws:states:::aws-sdk:mwaa:updateEnvironment',
        InputPath: '$.validation.updateRequest',
        ResultSelector: { 'arn.$': '$.Arn' },
        ResultPath: '$.update',
        Retry: MWAA_RETRY,
        Catch: catchAll('ReenableDagsAfterFailure'),
        Next: 'StartFollowing',
      },
      StartFollowing: {
        Type: 'Pass',
        Parameters: { waitedSeconds: 0 },
        ResultPath: '$.follow',
        Next: 'AwaitUpdate',
      },
      AwaitUpdate: awaitStatus({
        comment:
          'Until the status ends the upgrade (anything but UPDATING, CREATING_SNAPSHOT, ROLLING_BACK, MAINTENANCE, PENDING, or AVAILABLE on the old version): an MWAA Environment Status Change event answers the token (StatusEventsFunction). With no event it times out after pollSeconds, which CountUpdateWait adds to the time followed before CheckUpdate polls. If the waiter cannot be registered, WaitForUpdate/CheckUpdate poll as before. docs/upgrades.md (Follow), docs/pause-resume.md#waiting-for-mwaa',
        waitWhile: ['UPDATING', 'CREATING_SNAPSHOT', 'ROLLING_BACK', 'MAINTENANCE', 'PENDING', 'AVAILABLE'],
        payload: { 'targetVersion.$': '$.config.targetVersion' },
        onTimeout: 'CountUpdateWait',
        fallback: 'WaitForUpdate',
        next: 'IsUpdateDone',
      }),
      WaitForUpdate: { Type: 'Wait', SecondsPath: '$.config.pollSeconds', Next: 'CountUpdateWait' },
      CountUpdateWait: {
        Type: 'Pass',
        Parameters: { 'waitedSeconds.$': 'States.MathAdd($.follow.waitedSeconds, $.config.pollSeconds)' },
        ResultPath: '$.follow',
        Next: 'CheckUpdate',
      },
      CheckUpdate: {
        Type: 'Task',
        Comment:
          'UPDATING → CREATING_SNAPSHOT → UPDATING → AVAILABLE; on failure ROLLING_BACK → UPDATE_FAILED or UNAVAILABLE.',
        ...READ_STATUS,
        Catch: catchAll('FollowFailed'),
        Next: 'IsUpdateDone',
      },
      IsUpdateDone: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.mwaa.status', StringEquals: 'AVAILABLE' },
              { Variable: '$.mwaa.airflowVersion', StringEqualsPath: '$.config.targetVersion' },
            ],
            Next: 'ReenableDags',
          },
          { Variable: '$.mwaa.status', StringEquals: 'UPDATE_FAILED', Next: 'RolledBack' },
          { Variable: '$.mwaa.status', StringEquals: 'UNAVAILABLE', Next: 'Unavailable' },
          {
            Variable: '$.follow.waitedSeconds',
            NumericGreaterThanEqualsPath: '$.config.updateTimeoutSeconds',
            Next: 'UpdateTimedOut',
          },
          {
            Or: [
              { Variable: '$.mwaa.status', StringEquals: 'UPDATING' },
              { Variable: '$.mwaa.status', StringEquals: 'CREATING_SNAPSHOT' },
              { Variable: '$.mwaa.status', StringEquals: 'ROLLING_BACK' },
              { Variable: '$.mwaa.status', StringEquals: 'MAINTENANCE' },
              { Variable: '$.mwaa.status', StringEquals: 'PENDING' },
              { Variable: '$.mwaa.status', StringEquals: 'AVAILABLE' },
            ],
            Next: 'AwaitUpdate',
          },
        ],
        Default: 'UnexpectedStatus',
      },
      RolledBack: {
        Type: 'Pass',
        Parameters: {
          Error: 'UpgradeRolledBackError',
          'Cause.$':
            "States.Format('The upgrade of {} to Airflow {} failed and MWAA rolled back to {}: the environment runs Airflow {} again (UPDATE_FAILED; see GetEnvironment LastUpdate.Error). Backup s3://{}/{} (backup {}) is kept.', $.config.environment, $.config.targetVersion, $.mwaa.airflowVersion, $.mwaa.airflowVersion, $.backup.bucket, $.backup.prefix, $.backup.backupId)",
        },
        ResultPath: '$.error',
        Next: 'ReenableDagsAfterRollback',
      },
      ReenableDagsAfterRollback: unpauseActiveDags({
        comment: 'Rolled back to the old version: the DAGs the backup paused run again there.',
        errors: METADATA_TRANSFER_ERRORS,
        catch: catchAll('RolledBackOutcome', '$.reenableError'),
        next: 'RolledBackOutcome',
      }),
      RolledBackOutcome: {
        Type: 'Pass',
        Parameters: { state: 'RUNNING', result: 'ROLLED_BACK' },
        ResultPath: '$.outcome',
        Next: 'ReleaseLockAfterUpgradeFailure',
      },
      Unavailable: {
        Type: 'Pass',
        Parameters: {
          Error: 'EnvironmentUnavailableError',
          'Cause.$':
            "States.Format('CRITICAL: the upgrade of {} to Airflow {} failed and the rollback did not complete: MWAA reports UNAVAILABLE. Recover from s3://{}/{} (backup {}), taken on Airflow {} (docs/upgrades.md#unavailable).', $.config.environment, $.config.targetVersion, $.backup.bucket, $.backup.prefix, $.backup.backupId, $.validation.currentVersion)",
        },
        ResultPath: '$.error',
        Next: 'UnavailableOutcome',
      },
      UnavailableOutcome: {
        Type: 'Pass',
        Parameters: { state: 'UPGRADING', result: 'UNAVAILABLE' },
        ResultPath: '$.outcome',
        Next: 'ReleaseLockAfterUpgradeFailure',
      },
      UpdateTimedOut: {
        Type: 'Pass',
        Parameters: {
          Error: 'UpgradeTimeoutError',
          'Cause.$':
            "States.Format('Environment {} is still {} after {} seconds of upgrading to Airflow {}; follow it in the MWAA console. Backup s3://{}/{} (backup {}).', $.config.environment, $.mwaa.status, $.follow.waitedSeconds, $.config.targetVersion, $.backup.bucket, $.backup.prefix, $.backup.backupId)",
        },
        ResultPath: '$.error',
        Next: 'UnknownOutcome',
      },
      UnexpectedStatus: {
        Type: 'Pass',
        Parameters: {
          Error: 'UnexpectedStatusError',
          'Cause.$':
            "States.Format('Environment {} is {} (Airflow {}) during its upgrade to Airflow {}. Backup s3://{}/{} (backup {}).', $.config.environment, $.mwaa.status, $.mwaa.airflowVersion, $.config.targetVersion, $.backup.bucket, $.backup.prefix, $.backup.backupId)",
        },
        ResultPath: '$.error',
        Next: 'UnknownOutcome',
      },
      FollowFailed: {
        Type: 'Pass',
        Comment: 'GetEnvironment kept failing while the update ran: its outcome is unknown.',
        Parameters: {
          'Error.$': '$.error.Error',
          'Cause.$':
            "States.Format('Lost track of the upgrade of {} to Airflow {} (GetEnvironment failed); check the environment. Backup s3://{}/{} (backup {}).', $.config.environment, $.config.targetVersion, $.backup.bucket, $.backup.prefix, $.backup.backupId)",
        },
        ResultPath: '$.error',
        Next: 'UnknownOutcome',
      },
      UnknownOutcome: {
        Type: 'Pass',
        Parameters: { state: 'UPGRADING', result: 'UNKNOWN' },
        ResultPath: '$.outcome',
        Next: 'ReleaseLockAfterUpgradeFailure',
      },
      ReenableDags: unpauseActiveDags({
        comment: 'The backup paused the active DAGs: on the upgraded environment they run again.',
        errors: METADATA_TRANSFER_ERRORS,
        catch: catchAll('DagsNotReenabled'),
        next: 'CanaryRequested',
      }),
      DagsNotReenabled: {
        Type: 'Pass',
        Parameters: {
          Error: 'DagsNotReenabledError',
          'Cause.$':
            "States.Format('Environment {} runs Airflow {} now, but the DAGs the backup paused could not be unpaused: unpause the DAGs listed in active-dags.json of s3://{}/{} (backup {}).', $.config.environment, $.config.targetVersion, $.backup.bucket, $.backup.prefix, $.backup.backupId)",
        },
        ResultPath: '$.error',
        Next: 'UpgradedWithFailureOutcome',
      },
      CanaryRequested: {
        Type: 'Choice',
        Comment: 'Optional post-upgrade check: a DAG named in the input must run successfully.',
        Choices: [{ Variable: '$.config.canaryDag', StringEquals: '', Next: 'RecordUpgraded' }],
        Default: 'TriggerCanary',
      },
      TriggerCanary: {
        Type: 'Task',
        Comment: 'Run id derived from this execution: a retry never starts a second canary.',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('EnvironmentOpsFunctionArn'),
          Payload: {
            action: 'triggerCanary',
            'environment.$': '$.config.environment',
            'dagId.$': '$.config.canaryDag',
            'executionArn.$': '$$.Execution.Id',
          },
        },
        ResultSelector: { 'dagId.$': '$.Payload.dagId', 'runId.$': '$.Payload.runId', waitedSeconds: 0 },
        ResultPath: '$.canary',
        Retry: lambdaRetry(['CanaryTriggerError', 'ConfigError', 'ValidationError']),
        Catch: catchAll('CanaryNotStarted'),
        Next: 'WaitForCanary',
      },
      CanaryNotStarted: {
        Type: 'Pass',
        Parameters: {
          Error: 'CanaryFailedError',
          'Cause.$':
            "States.Format('Environment {} runs Airflow {} now, but canary DAG {} could not be triggered ({}).', $.config.environment, $.config.targetVersion, $.config.canaryDag, $.error.Error)",
        },
        ResultPath: '$.error',
        Next: 'UpgradedWithFailureOutcome',
      },
      WaitForCanary: { Type: 'Wait', SecondsPath: '$.config.canaryPollSeconds', Next: 'CheckCanary' },
      CheckCanary: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('EnvironmentOpsFunctionArn'),
          Payload: {
            action: 'canaryStatus',
            'environment.$': '$.config.environment',
            'dagId.$': '$.canary.dagId',
            'runId.$': '$.canary.runId',
          },
        },
        ResultSelector: {
          'dagId.$': '$.Payload.dagId',
          'runId.$': '$.Payload.runId',
          'state.$': '$.Payload.state',
          'finished.$': '$.Payload.finished',
          'succeeded.$': '$.Payload.succeeded',
        },
        ResultPath: '$.canaryStatus',
        Retry: lambdaRetry(['CanaryTriggerError', 'ConfigError', 'ValidationError']),
        Catch: catchAll('CanaryNotFollowed'),
        Next: 'CountCanaryWait',
      },
      CanaryNotFollowed: {
        Type: 'Pass',
        Parameters: {
          Error: 'CanaryFailedError',
          'Cause.$':
            "States.Format('Environment {} runs Airflow {} now, but canary run {} of DAG {} could not be followed ({}).', $.config.environment, $.config.targetVersion, $.canary.runId, $.canary.dagId, $.error.Error)",
        },
        ResultPath: '$.error',
        Next: 'UpgradedWithFailureOutcome',
      },
      CountCanaryWait: {
        Type: 'Pass',
        Parameters: {
          'dagId.$': '$.canary.dagId',
          'runId.$': '$.canary.runId',
          'waitedSeconds.$': 'States.MathAdd($.canary.waitedSeconds, $.config.canaryPollSeconds)',
        },
        ResultPath: '$.canary',
        Next: 'IsCanaryDone',
      },
      IsCanaryDone: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.canaryStatus.succeeded', BooleanEquals: true, Next: 'RecordUpgraded' },
          { Variable: '$.canaryStatus.finished', BooleanEquals: true, Next: 'CanaryFailed' },
          {
            Variable: '$.canary.waitedSeconds',
            NumericGreaterThanEqualsPath: '$.config.canaryTimeoutSeconds',
            Next: 'CanaryTimedOut',
          },
        ],
        Default: 'WaitForCanary',
      },
      CanaryFailed: {
        Type: 'Pass',
        Parameters: {
          Error: 'CanaryFailedError',
          'Cause.$':
            "States.Format('Environment {} runs Airflow {} now, but canary DAG {} run {} ended {}. To go back, change the version again or restore s3://{}/{} (backup {}) (docs/upgrades.md#canary-failed).', $.config.environment, $.config.targetVersion, $.canary.dagId, $.canary.runId, $.canaryStatus.state, $.backup.bucket, $.backup.prefix, $.backup.backupId)",
        },
        ResultPath: '$.error',
        Next: 'UpgradedWithFailureOutcome',
      },
      CanaryTimedOut: {
        Type: 'Pass',
        Parameters: {
          Error: 'CanaryFailedError',
          'Cause.$':
            "States.Format('Environment {} runs Airflow {} now, but canary DAG {} run {} is still {} after {} seconds (docs/upgrades.md#canary-failed).', $.config.environment, $.config.targetVersion, $.canary.dagId, $.canary.runId, $.canaryStatus.state, $.canary.waitedSeconds)",
        },
        ResultPath: '$.error',
        Next: 'UpgradedWithFailureOutcome',
      },
      UpgradedWithFailureOutcome: {
        Type: 'Pass',
        Parameters: { state: 'RUNNING', result: 'UPGRADED_CHECK_FAILED' },
        ResultPath: '$.outcome',
        Next: 'ReleaseLockAfterUpgradeFailure',
      },
      RecordUpgraded: updateHoldingLock({
        comment: 'Record the outcome and release the lock in one conditional write.',
        update:
          'SET #state = :running, lastUpgrade = :upgrade, updatedAt = :now REMOVE #lock, upgrade, lastFailure',
        values: {
          ':running': { S: 'RUNNING' },
          ':upgrade': {
            M: {
              executionArn: { 'S.$': '$$.Execution.Id' },
              from: { 'S.$': '$.validation.currentVersion' },
              to: { 'S.$': '$.config.targetVersion' },
              outcome: { S: 'SUCCEEDED' },
              backupId: { 'S.$': '$.backup.backupId' },
              at: { 'S.$': '$$.Execution.StartTime' },
            },
          },
        },
        catch: catchAll('HasFailureCause'),
        next: 'Upgraded',
      }),
      Upgraded: {
        Type: 'Pass',
        Parameters: {
          'environment.$': '$.config.environment',
          'airflowVersion.$': '$.mwaa.airflowVersion',
          'previousVersion.$': '$.validation.currentVersion',
          'backupId.$': '$.backup.backupId',
          'backup.$': "States.Format('s3://{}/{}', $.backup.bucket, $.backup.prefix)",
        },
        End: true,
      },
      ReenableDagsAfterFailure: unpauseActiveDags({
        comment: 'The backup paused the active DAGs and the update was not started: unpause them.',
        errors: METADATA_TRANSFER_ERRORS,
        catch: catchAll('HasFailureCause', '$.reenableError'),
        next: 'HasFailureCause',
      }),
      ReleaseLockAfterUpgradeFailure: releaseLock({
        comment:
          'After UpdateEnvironment: record the outcome with the lifecycle state it left, release the lock.',
        set: ['#state = :state', 'lastFailure = :failure', 'lastUpgrade = :upgrade'],
        remove: ['upgrade'],
        names: { '#state': 'state' },
        values: {
          ':state': { 'S.$': '$.outcome.state' },
          ':failure': FAILURE_RECORD,
          ':upgrade': {
            M: {
              executionArn: { 'S.$': '$$.Execution.Id' },
              from: { 'S.$': '$.validation.currentVersion' },
              to: { 'S.$': '$.config.targetVersion' },
              outcome: { 'S.$': '$.outcome.result' },
              backupId: { 'S.$': '$.backup.backupId' },
              at: { 'S.$': '$$.Execution.StartTime' },
            },
          },
        },
        catch: catchAll('FailWorkflow', '$.releaseError'),
        next: 'FailWorkflow',
      }),
      ...failureTail(
        'Before UpdateEnvironment: the environment is as it was; record what went wrong and release the lock.',
      ),
    },
  };
}
