import {
  catchAll,
  DYNAMODB_RETRY,
  ENVIRONMENT_KEY,
  ENVIRONMENTS_TABLE,
  LAMBDA_SERVICE_RETRY,
  lambdaRetry,
  METADATA_TRANSFER_ERRORS,
  MWAA_RETRY,
  noRetry,
  SFN_RETRY,
  TASK_FAILED_RETRY,
} from './fragments/retry.ts';
import type { StateMachine } from './types.ts';
import { substitution } from './types.ts';

export function pauseEnvironment(): StateMachine {
  return {
    Comment:
      'Pause an MWAA environment: back up its metadata and verify the backup (BackupEnvironmentStateMachine, the child the upgrade also runs), then delete the environment. docs/pause-resume.md',
    StartAt: 'ApplyDefaults',
    TimeoutSeconds: 43200,
    States: {
      ApplyDefaults: {
        Type: 'Pass',
        Comment: 'Defaults for optional settings; tests shorten the waits through the input.',
        Parameters: {
          defaults: {
            pollSeconds: 60,
            drain: false,
            drainTimeoutSeconds: 1800,
            drainPollSeconds: 60,
            exportTimeoutSeconds: 3600,
            heartbeatSeconds: 300,
            abortIfBusy: false,
          },
          'input.$': '$',
        },
        Next: 'MergeDefaults',
      },
      MergeDefaults: {
        Type: 'Pass',
        Comment: 'Input values win over the defaults (shallow merge).',
        Parameters: {
          'config.$': 'States.JsonMerge($.defaults, $.input, false)',
          inherit: null,
        },
        Next: 'ValidateInput',
      },
      ValidateInput: {
        Type: 'Choice',
        Choices: [
          {
            Variable: '$.config.environment',
            IsPresent: false,
            Next: 'InvalidInput',
          },
          {
            And: [
              {
                Variable: '$.config.environment',
                IsString: true,
              },
              {
                Variable: '$.config.pollSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.heartbeatSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.exportTimeoutSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.abortIfBusy',
                IsBoolean: true,
              },
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
      ValidateSecondsRange: {
        Type: 'Choice',
        Comment:
          'Before the lock: a *Seconds value that Step Functions would reject in TimeoutSecondsPath/HeartbeatSecondsPath/SecondsPath fails the execution with States.Runtime, which no Catch handles, so it must be refused here. Each value must be a number of at least 1 ...',
        Choices: [
          {
            And: [
              {
                Variable: '$.config.pollSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.pollSeconds',
                NumericGreaterThanEquals: 1,
              },
              {
                Variable: '$.config.heartbeatSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.heartbeatSeconds',
                NumericGreaterThanEquals: 1,
              },
              {
                Variable: '$.config.exportTimeoutSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.exportTimeoutSeconds',
                NumericGreaterThanEquals: 1,
              },
              {
                Variable: '$.limits.backupTimeoutSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.limits.backupTimeoutSeconds',
                NumericGreaterThanEquals: 1,
              },
              {
                Variable: '$.config.drainTimeoutSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.drainTimeoutSeconds',
                NumericGreaterThanEquals: 1,
              },
              {
                Variable: '$.config.drainPollSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.drainPollSeconds',
                NumericGreaterThanEquals: 1,
              },
            ],
            Next: 'FormatSeconds',
          },
        ],
        Default: 'InvalidSeconds',
      },
      FormatSeconds: {
        Type: 'Pass',
        Comment: '... and a whole number: its text has no decimal point or exponent.',
        Parameters: {
          'text.$':
            "States.Format('{},{},{},{},{},{}', $.config.pollSeconds, $.config.heartbeatSeconds, $.config.exportTimeoutSeconds, $.limits.backupTimeoutSeconds, $.config.drainTimeoutSeconds, $.config.drainPollSeconds)",
        },
        ResultPath: '$.wholeSeconds',
        Next: 'ValidateWholeSeconds',
      },
      ValidateWholeSeconds: {
        Type: 'Choice',
        Choices: [
          {
            Or: [
              {
                Variable: '$.wholeSeconds.text',
                StringMatches: '*.*',
              },
              {
                Variable: '$.wholeSeconds.text',
                StringMatches: '*e*',
              },
            ],
            Next: 'InvalidSeconds',
          },
        ],
        Default: 'TakeLock',
      },
      InvalidSeconds: {
        Type: 'Fail',
        Error: 'InvalidInputError',
        Cause:
          'pollSeconds, heartbeatSeconds, exportTimeoutSeconds, backupTimeoutSeconds, drainTimeoutSeconds and drainPollSeconds must be whole numbers of seconds, at least 1; the lock was not taken and nothing was changed.',
      },
      BackupTimeoutGiven: {
        Type: 'Choice',
        Comment:
          "The whole backup (child) may take backupTimeoutSeconds; by default the export's own limit plus an hour, so the child's export timeout always fires first and the child re-enables the DAGs itself.",
        Choices: [
          {
            Variable: '$.config.backupTimeoutSeconds',
            IsPresent: true,
            Next: 'IsBackupTimeoutNumeric',
          },
        ],
        Default: 'DefaultBackupTimeout',
      },
      IsBackupTimeoutNumeric: {
        Type: 'Choice',
        Choices: [
          {
            Variable: '$.config.backupTimeoutSeconds',
            IsNumeric: true,
            Next: 'UseGivenBackupTimeout',
          },
        ],
        Default: 'InvalidInput',
      },
      UseGivenBackupTimeout: {
        Type: 'Pass',
        Parameters: {
          'backupTimeoutSeconds.$': '$.config.backupTimeoutSeconds',
        },
        ResultPath: '$.limits',
        Next: 'ValidateSecondsRange',
      },
      DefaultBackupTimeout: {
        Type: 'Pass',
        Parameters: {
          'backupTimeoutSeconds.$': 'States.MathAdd($.config.exportTimeoutSeconds, 3600)',
        },
        ResultPath: '$.limits',
        Next: 'ValidateSecondsRange',
      },
      TakeLock: {
        Type: 'Task',
        Comment:
          'At most one pause/resume/upgrade per environment (invariant 2, docs/architecture.md §6.1). Re-entrant for this execution.',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          UpdateExpression: 'SET #lock = :lock, updatedAt = :now',
          ConditionExpression: 'attribute_not_exists(#lock) OR #lock.executionArn = :exec',
          ExpressionAttributeNames: {
            '#lock': 'lock',
          },
          ExpressionAttributeValues: {
            ':lock': {
              M: {
                operation: {
                  S: 'pause',
                },
                executionArn: {
                  'S.$': '$$.Execution.Id',
                },
                startedAt: {
                  'S.$': '$$.Execution.StartTime',
                },
              },
            },
            ':exec': {
              'S.$': '$$.Execution.Id',
            },
            ':now': {
              'S.$': '$$.Execution.StartTime',
            },
          },
          ReturnValues: 'ALL_NEW',
        },
        ResultSelector: {
          'item.$': '$.Attributes',
        },
        ResultPath: '$.registry',
        Retry: DYNAMODB_RETRY,
        Catch: [
          {
            ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'],
            ResultPath: '$.lockConflict',
            Next: 'ReadLockHolder',
          },
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: '$.error',
            Next: 'FailWithoutLock',
          },
        ],
        Next: 'GetEnvironment',
      },
      ReadLockHolder: {
        Type: 'Task',
        Comment:
          'Who holds the lock? A lock whose execution has ended is stale (the workflow cannot read a clock, so liveness replaces an expiry time).',
        Resource: 'arn:aws:states:::dynamodb:getItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          ConsistentRead: true,
          ProjectionExpression: '#lock',
          ExpressionAttributeNames: {
            '#lock': 'lock',
          },
        },
        ResultSelector: {
          'executionArn.$': '$.Item.lock.M.executionArn.S',
          'operation.$': '$.Item.lock.M.operation.S',
        },
        ResultPath: '$.holder',
        Retry: DYNAMODB_RETRY,
        Catch: catchAll('LockHeld'),
        Next: 'DescribeLockHolder',
      },
      DescribeLockHolder: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:sfn:describeExecution',
        Parameters: {
          'ExecutionArn.$': '$.holder.executionArn',
        },
        ResultSelector: {
          'status.$': '$.Status',
        },
        ResultPath: '$.holder.execution',
        Retry: SFN_RETRY,
        Catch: [
          {
            ErrorEquals: ['Sfn.ExecutionDoesNotExistException', 'Sfn.InvalidArnException'],
            ResultPath: '$.holder.execution',
            Next: 'TakeStaleLock',
          },
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: '$.error',
            Next: 'LockHeld',
          },
        ],
        Next: 'IsLockHolderRunning',
      },
      IsLockHolderRunning: {
        Type: 'Choice',
        Choices: [
          {
            Variable: '$.holder.execution.status',
            StringEquals: 'RUNNING',
            Next: 'LockHeld',
          },
        ],
        Default: 'TakeStaleLock',
      },
      TakeStaleLock: {
        Type: 'Task',
        Comment: 'Compare-and-swap: only replaces the stale holder seen above.',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          UpdateExpression: 'SET #lock = :lock, updatedAt = :now',
          ConditionExpression: '#lock.executionArn = :stale',
          ExpressionAttributeNames: {
            '#lock': 'lock',
          },
          ExpressionAttributeValues: {
            ':lock': {
              M: {
                operation: {
                  S: 'pause',
                },
                executionArn: {
                  'S.$': '$$.Execution.Id',
                },
                startedAt: {
                  'S.$': '$$.Execution.StartTime',
                },
              },
            },
            ':stale': {
              'S.$': '$.holder.executionArn',
            },
            ':now': {
              'S.$': '$$.Execution.StartTime',
            },
          },
          ReturnValues: 'ALL_NEW',
        },
        ResultSelector: {
          'item.$': '$.Attributes',
        },
        ResultPath: '$.registry',
        Retry: DYNAMODB_RETRY,
        Catch: catchAll('LockHeld'),
        Next: 'GetEnvironment',
      },
      LockHeld: {
        Type: 'Pass',
        Comment: 'Refused: another operation holds the lock. We do not hold it, so nothing is released.',
        Parameters: {
          'cause.$':
            "States.Format('Another operation holds the lock of environment {}; nothing was changed. See the runbook in docs/pause-resume.md.', $.config.environment)",
        },
        ResultPath: '$.failure',
        Next: 'FailLockHeld',
      },
      FailLockHeld: {
        Type: 'Fail',
        Error: 'LockHeldError',
        CausePath: '$.failure.cause',
      },
      FailWithoutLock: {
        Type: 'Fail',
        Comment: 'The lock could not be taken (DynamoDB error): nothing was changed.',
        ErrorPath: '$.error.Error',
        Cause: 'The environment lock could not be taken; nothing was changed.',
      },
      GetEnvironment: {
        Type: 'Task',
        Comment: 'Only an AVAILABLE environment is paused.',
        Resource: 'arn:aws:states:::aws-sdk:mwaa:getEnvironment',
        Parameters: {
          'Name.$': '$.config.environment',
        },
        ResultSelector: {
          'status.$': '$.Environment.Status',
          'airflowVersion.$': '$.Environment.AirflowVersion',
        },
        ResultPath: '$.mwaa',
        Retry: MWAA_RETRY,
        Catch: [
          {
            ErrorEquals: ['Mwaa.ResourceNotFoundException'],
            ResultPath: '$.notFound',
            Next: 'EnvironmentNotFound',
          },
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: '$.error',
            Next: 'HasFailureCause',
          },
        ],
        Next: 'IsEnvironmentAvailable',
      },
      EnvironmentNotFound: {
        Type: 'Pass',
        Parameters: {
          Error: 'EnvironmentNotFoundError',
          'Cause.$':
            "States.Format('Environment {} does not exist (already paused or never created); nothing was changed.', $.config.environment)",
        },
        ResultPath: '$.error',
        Next: 'HasFailureCause',
      },
      IsEnvironmentAvailable: {
        Type: 'Choice',
        Choices: [
          {
            Variable: '$.mwaa.status',
            StringEquals: 'AVAILABLE',
            Next: 'TookOverStaleLock',
          },
        ],
        Default: 'EnvironmentNotAvailable',
      },
      EnvironmentNotAvailable: {
        Type: 'Pass',
        Parameters: {
          Error: 'EnvironmentNotAvailableError',
          'Cause.$':
            "States.Format('Environment {} is {}, not AVAILABLE; nothing was changed.', $.config.environment, $.mwaa.status)",
        },
        ResultPath: '$.error',
        Next: 'HasFailureCause',
      },
      TookOverStaleLock: {
        Type: 'Choice',
        Comment:
          'Did this execution take the lock over from a stopped or timed-out operation (TakeStaleLock)?',
        Choices: [
          {
            Variable: '$.holder',
            IsPresent: true,
            Next: 'HasStaleBackupAttempt',
          },
        ],
        Default: 'DrainRequested',
      },
      HasStaleBackupAttempt: {
        Type: 'Choice',
        Comment: 'The backup child records its attempt (backupAttempt) before it pauses anything.',
        Choices: [
          {
            Variable: '$.registry.item.backupAttempt.M.lockOwner.S',
            IsPresent: true,
            Next: 'IsStaleHoldersBackupAttempt',
          },
        ],
        Default: 'DrainRequested',
      },
      IsStaleHoldersBackupAttempt: {
        Type: 'Choice',
        Comment:
          "Only the stopped holder's own attempt matters: an older record belongs to an operation that ended and cleaned up.",
        Choices: [
          {
            Variable: '$.registry.item.backupAttempt.M.lockOwner.S',
            StringEqualsPath: '$.holder.executionArn',
            Next: 'ReadStaleBackupAttempt',
          },
        ],
        Default: 'DrainRequested',
      },
      ReadStaleBackupAttempt: {
        Type: 'Pass',
        Parameters: {
          'childArn.$': '$.registry.item.backupAttempt.M.childArn.S',
          'bucket.$': '$.registry.item.backupAttempt.M.bucket.S',
          'prefix.$': '$.registry.item.backupAttempt.M.prefix.S',
          'backupId.$': '$.registry.item.backupAttempt.M.backupId.S',
        },
        ResultPath: '$.stale',
        Next: 'StopStaleBackup',
      },
      StopStaleBackup: {
        Type: 'Task',
        Comment:
          "Stop the stopped holder's backup child if it still runs (AWS stops a .sync child with its parent, best effort; this makes sure). A child that has ended already is fine.",
        Resource: 'arn:aws:states:::aws-sdk:sfn:stopExecution',
        Parameters: {
          'ExecutionArn.$': '$.stale.childArn',
          Error: 'MwaaOps.LockTakenOver',
          Cause: 'The operation that started this backup was stopped; another operation took over its lock.',
        },
        ResultPath: null,
        Retry: SFN_RETRY,
        Catch: catchAll('StartStaleExportWait', '$.stale.stopError'),
        Next: 'StartStaleExportWait',
      },
      StartStaleExportWait: {
        Type: 'Pass',
        Comment:
          'The first look comes one poll interval after the child was stopped, so an export it was triggering as it stopped is visible by then.',
        Parameters: {
          waitedSeconds: 0,
        },
        ResultPath: '$.staleWait',
        Next: 'WaitForStaleExports',
      },
      CheckStaleExports: {
        Type: 'Task',
        Comment:
          "The stopped attempt's export DAG run may still be running (and pausing DAGs): nothing is read or backed up until no export run is queued or running.",
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('MetadataTransferFunctionArn'),
          Payload: {
            action: 'runningExports',
            'environment.$': '$.config.environment',
          },
        },
        ResultSelector: {
          'running.$': '$.Payload.running',
          'runIds.$': '$.Payload.runIds',
        },
        ResultPath: '$.staleWait.exports',
        Retry: lambdaRetry(METADATA_TRANSFER_ERRORS),
        Catch: catchAll('HasFailureCause'),
        Next: 'AreStaleExportsDone',
      },
      AreStaleExportsDone: {
        Type: 'Choice',
        Choices: [
          {
            Variable: '$.staleWait.exports.running',
            NumericEquals: 0,
            Next: 'RestoreStaleDags',
          },
          {
            Variable: '$.staleWait.waitedSeconds',
            NumericGreaterThanEqualsPath: '$.config.exportTimeoutSeconds',
            Next: 'StaleExportStillRunning',
          },
        ],
        Default: 'WaitForStaleExports',
      },
      WaitForStaleExports: {
        Type: 'Wait',
        SecondsPath: '$.config.pollSeconds',
        Next: 'CountStaleExportWait',
      },
      CountStaleExportWait: {
        Type: 'Pass',
        Parameters: {
          'waitedSeconds.$': 'States.MathAdd($.staleWait.waitedSeconds, $.config.pollSeconds)',
        },
        ResultPath: '$.staleWait',
        Next: 'CheckStaleExports',
      },
      StaleExportStillRunning: {
        Type: 'Pass',
        Comment:
          'Fail safe: nothing was backed up or deleted. The DAGs the stopped attempt paused are re-enabled on the way out.',
        Parameters: {
          Error: 'PreviousExportRunningError',
          'Cause.$':
            "States.Format('An export DAG run of an earlier, stopped operation on {} is still queued or running after {} seconds (mwaa_ops_export runs {}); nothing was backed up or deleted. Let it finish or mark it failed in the Airflow UI, then pause again.', $.config.environment, $.staleWait.waitedSeconds, States.JsonToString($.staleWait.exports.runIds))",
        },
        ResultPath: '$.error',
        Next: 'RestoreStaleDags',
      },
      RestoreStaleDags: {
        Type: 'Task',
        Comment:
          "Re-enable the DAGs the stopped attempt's export paused (its active-dags.json): the environment is left as it was before that attempt.",
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('MetadataTransferFunctionArn'),
          Payload: {
            action: 'unpauseActiveDags',
            'environment.$': '$.config.environment',
            'bucket.$': '$.stale.bucket',
            'prefix.$': '$.stale.prefix',
            'backupId.$': '$.stale.backupId',
          },
        },
        ResultSelector: {
          'unpaused.$': '$.Payload.unpaused',
        },
        ResultPath: '$.stale.restored',
        Retry: lambdaRetry(METADATA_TRANSFER_ERRORS),
        Catch: catchAll('AfterStaleRestore', '$.stale.restoreError'),
        Next: 'AfterStaleRestore',
      },
      AfterStaleRestore: {
        Type: 'Choice',
        Choices: [
          {
            Variable: '$.error',
            IsPresent: true,
            Next: 'HasFailureCause',
          },
        ],
        Default: 'InheritStaleAttempt',
      },
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
      DrainRequested: {
        Type: 'Choice',
        Comment: 'Optional: let running DAG runs finish first, for at most drainTimeoutSeconds.',
        Choices: [
          {
            Variable: '$.config.drain',
            BooleanEquals: true,
            Next: 'StartDrain',
          },
        ],
        Default: 'Backup',
      },
      StartDrain: {
        Type: 'Pass',
        Parameters: {
          waitedSeconds: 0,
        },
        ResultPath: '$.drain',
        Next: 'CountRunningRuns',
      },
      CountRunningRuns: {
        Type: 'Task',
        Comment: 'Running + queued DAG runs.',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('MetadataTransferFunctionArn'),
          Payload: {
            action: 'countRunning',
            'environment.$': '$.config.environment',
          },
        },
        ResultSelector: {
          'running.$': '$.Payload.running',
        },
        ResultPath: '$.drain.count',
        Retry: lambdaRetry(METADATA_TRANSFER_ERRORS),
        Catch: catchAll('HasFailureCause'),
        Next: 'AreRunsFinished',
      },
      AreRunsFinished: {
        Type: 'Choice',
        Choices: [
          {
            Variable: '$.drain.count.running',
            NumericEquals: 0,
            Next: 'Backup',
          },
          {
            Variable: '$.drain.waitedSeconds',
            NumericGreaterThanEqualsPath: '$.config.drainTimeoutSeconds',
            Next: 'Backup',
          },
        ],
        Default: 'WaitForRunsToFinish',
      },
      WaitForRunsToFinish: {
        Type: 'Wait',
        SecondsPath: '$.config.drainPollSeconds',
        Next: 'CountDrainWait',
      },
      CountDrainWait: {
        Type: 'Pass',
        Parameters: {
          'waitedSeconds.$': 'States.MathAdd($.drain.waitedSeconds, $.config.drainPollSeconds)',
        },
        ResultPath: '$.drain',
        Next: 'CountRunningRuns',
      },
      Backup: {
        Type: 'Task',
        Comment:
          'plan → snapshot → export (task token) → verify → record lastVerifiedBackup, in BackupEnvironmentStateMachine exactly as the upgrade takes it. Named after this execution so the backup id still names the pause (invariant 3, docs/architecture.md §6.1). Its own failures re-enable the DAGs before it fails.',
        Resource: 'arn:aws:states:::states:startExecution.sync:2',
        Parameters: {
          StateMachineArn: substitution('BackupEnvironmentStateMachineArn'),
          'Name.$': '$$.Execution.Name',
          Input: {
            'environment.$': '$.config.environment',
            'lockOwner.$': '$$.Execution.Id',
            'inheritActiveDags.$': '$.inherit',
            'heartbeatSeconds.$': '$.config.heartbeatSeconds',
            'exportTimeoutSeconds.$': '$.config.exportTimeoutSeconds',
            'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id',
          },
        },
        TimeoutSecondsPath: '$.limits.backupTimeoutSeconds',
        ResultSelector: {
          'backupId.$': '$.Output.backupId',
          'bucket.$': '$.Output.bucket',
          'prefix.$': '$.Output.prefix',
          'manifestKey.$': '$.Output.manifestKey',
          'snapshotKey.$': '$.Output.snapshotKey',
          'airflowVersion.$': '$.Output.airflowVersion',
          'tables.$': '$.Output.tables',
        },
        ResultPath: '$.backup',
        Retry: [
          {
            ErrorEquals: [
              'StepFunctions.ExecutionLimitExceededException',
              'StepFunctions.SdkClientException',
            ],
            IntervalSeconds: 2,
            MaxAttempts: 5,
            BackoffRate: 2,
            MaxDelaySeconds: 60,
            JitterStrategy: 'FULL',
          },
        ],
        Catch: catchAll('IsChildFailure'),
        Next: 'AbortIfBusyRequested',
      },
      AbortIfBusyRequested: {
        Type: 'Choice',
        Comment:
          'abortIfBusy (idle pauses, docs/pause-resume.md#idle-aware-pausing): the export has paused the DAGs, so no new run starts; a run that began since the idle check would be killed by the delete, so look once more and keep the environment if one is there.',
        Choices: [
          {
            Variable: '$.config.abortIfBusy',
            BooleanEquals: true,
            Next: 'RecheckRuns',
          },
        ],
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
        ResultSelector: {
          'running.$': '$.Payload.running',
        },
        ResultPath: '$.recheck',
        Retry: lambdaRetry(METADATA_TRANSFER_ERRORS),
        Catch: catchAll('ReenableDags'),
        Next: 'IsBusyAfterBackup',
      },
      IsBusyAfterBackup: {
        Type: 'Choice',
        Choices: [
          {
            Variable: '$.recheck.running',
            NumericGreaterThan: 0,
            Next: 'BusyAfterBackup',
          },
        ],
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
              {
                Variable: '$.error.Error',
                StringEquals: 'States.TaskFailed',
              },
              {
                Variable: '$.error.Cause',
                IsPresent: true,
              },
              {
                Variable: '$.error.Cause',
                IsString: true,
              },
              {
                Variable: '$.error.Cause',
                StringMatches: '{*',
              },
            ],
            Next: 'ReadChildFailure',
          },
        ],
        Default: 'HasFailureCause',
      },
      ReadChildFailure: {
        Type: 'Pass',
        Parameters: {
          'child.$': 'States.StringToJson($.error.Cause)',
        },
        ResultPath: '$.backupFailure',
        Next: 'HasChildCause',
      },
      HasChildCause: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              {
                Variable: '$.backupFailure.child.Error',
                IsString: true,
              },
              {
                Variable: '$.backupFailure.child.Cause',
                IsString: true,
              },
            ],
            Next: 'BackupFailed',
          },
        ],
        Default: 'BackupFailedPlain',
      },
      BackupFailed: {
        Type: 'Pass',
        Comment:
          "Report the child's own error (ExportFailedError, States.Timeout, BackupVerificationError, ...): the environment was not deleted, and the child re-enabled the DAGs.",
        Parameters: {
          'Error.$': '$.backupFailure.child.Error',
          'Cause.$': '$.backupFailure.child.Cause',
        },
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
      RecordPausing: {
        Type: 'Task',
        Comment: 'The child recorded the verified backup; state PAUSING from here on.',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          UpdateExpression: 'SET #state = :pausing, updatedAt = :now',
          ConditionExpression: '#lock.executionArn = :exec',
          ExpressionAttributeNames: {
            '#lock': 'lock',
            '#state': 'state',
          },
          ExpressionAttributeValues: {
            ':pausing': {
              S: 'PAUSING',
            },
            ':exec': {
              'S.$': '$$.Execution.Id',
            },
            ':now': {
              'S.$': '$$.Execution.StartTime',
            },
          },
        },
        ResultPath: null,
        Retry: DYNAMODB_RETRY,
        Catch: catchAll('ReenableDags'),
        Next: 'DeleteEnvironment',
      },
      DeleteEnvironment: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:mwaa:deleteEnvironment',
        Parameters: {
          'Name.$': '$.config.environment',
        },
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
      AwaitDeletion: {
        Type: 'Task',
        Comment:
          'Until MWAA stops DELETING: an MWAA Environment Status Change event answers the token (StatusEventsFunction); with no event it times out after pollSeconds and waits again, its registration re-checking GetEnvironment (the poll). If the waiter cannot be registered, WaitForDeletion/CheckDeletion poll as before. docs/pause-resume.md#waiting-for-mwaa',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: substitution('StatusEventsFunctionArn'),
          Payload: {
            action: 'awaitStatus',
            'taskToken.$': '$$.Task.Token',
            'executionArn.$': '$$.Execution.Id',
            'environment.$': '$.config.environment',
            waitWhile: ['DELETING'],
          },
        },
        TimeoutSecondsPath: '$.config.pollSeconds',
        ResultPath: '$.mwaa',
        Retry: [LAMBDA_SERVICE_RETRY],
        Catch: [
          {
            ErrorEquals: ['States.Timeout'],
            ResultPath: null,
            Next: 'AwaitDeletion',
          },
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: null,
            Next: 'WaitForDeletion',
          },
        ],
        Next: 'IsDeleted',
      },
      WaitForDeletion: {
        Type: 'Wait',
        SecondsPath: '$.config.pollSeconds',
        Next: 'CheckDeletion',
      },
      CheckDeletion: {
        Type: 'Task',
        Comment: 'ResourceNotFound means the environment is gone.',
        Resource: 'arn:aws:states:::aws-sdk:mwaa:getEnvironment',
        Parameters: {
          'Name.$': '$.config.environment',
        },
        ResultSelector: {
          'status.$': '$.Environment.Status',
          'airflowVersion.$': '$.Environment.AirflowVersion',
        },
        ResultPath: '$.mwaa',
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
        Next: 'IsDeleted',
      },
      IsDeleted: {
        Type: 'Choice',
        Choices: [
          {
            Variable: '$.mwaa.status',
            StringEquals: 'DELETING',
            Next: 'AwaitDeletion',
          },
          {
            Variable: '$.mwaa.status',
            StringEquals: 'DELETED',
            Next: 'RecordPaused',
          },
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
      RecordPaused: {
        Type: 'Task',
        Comment: 'Record PAUSED and release the lock in one conditional write.',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          UpdateExpression: 'SET #state = :paused, updatedAt = :now REMOVE #lock, lastFailure',
          ConditionExpression: '#lock.executionArn = :exec',
          ExpressionAttributeNames: {
            '#lock': 'lock',
            '#state': 'state',
          },
          ExpressionAttributeValues: {
            ':paused': {
              S: 'PAUSED',
            },
            ':exec': {
              'S.$': '$$.Execution.Id',
            },
            ':now': {
              'S.$': '$$.Execution.StartTime',
            },
          },
        },
        ResultPath: null,
        Retry: DYNAMODB_RETRY,
        Catch: catchAll('HasFailureCause'),
        Next: 'StampPausedHistory',
      },
      StampPausedHistory: {
        Type: 'Pass',
        Comment:
          "The time the environment was seen PAUSED (this state's entry) and its month: the history item's key. Kept in $.history so a retried write stores the same values.",
        Parameters: {
          'at.$': '$$.State.EnteredTime',
          'month.$':
            "States.Format('{}-{}', States.ArrayGetItem(States.StringSplit($$.State.EnteredTime, '-'), 0), States.ArrayGetItem(States.StringSplit($$.State.EnteredTime, '-'), 1))",
        },
        ResultPath: '$.history',
        Next: 'RecordPausedHistory',
      },
      RecordPausedHistory: {
        Type: 'Task',
        Comment:
          "Append PAUSED to the environment's pause history for the month (item '<environment>#history#<yyyy-mm>', read by mwaa-ops report savings). Once per execution: the execution name is added to a set, and a write for a name already in it fails its condition, so a retry or re-run adds nothing. Best effort: a failure never fails the workflow, whose work is done.",
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: {
            environment: {
              'S.$': "States.Format('{}#history#{}', $.config.environment, $.history.month)",
            },
          },
          UpdateExpression:
            'SET #historyOf = :environment, #month = :month, #transitions = list_append(if_not_exists(#transitions, :none), :entry) ADD #executions :names',
          ConditionExpression: 'attribute_not_exists(#executions) OR NOT contains(#executions, :name)',
          ExpressionAttributeNames: {
            '#historyOf': 'historyOf',
            '#month': 'month',
            '#transitions': 'transitions',
            '#executions': 'executions',
          },
          ExpressionAttributeValues: {
            ':environment': {
              'S.$': '$.config.environment',
            },
            ':month': {
              'S.$': '$.history.month',
            },
            ':none': {
              L: [],
            },
            ':entry': {
              L: [
                {
                  M: {
                    state: {
                      S: 'PAUSED',
                    },
                    at: {
                      'S.$': '$.history.at',
                    },
                    execution: {
                      'S.$': '$$.Execution.Name',
                    },
                  },
                },
              ],
            },
            ':names': {
              'SS.$': 'States.Array($$.Execution.Name)',
            },
            ':name': {
              'S.$': '$$.Execution.Name',
            },
          },
        },
        ResultPath: null,
        Retry: DYNAMODB_RETRY,
        Catch: catchAll('ArchiveRunHistory', '$.historyError'),
        Next: 'ArchiveRunHistory',
      },
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
        ResultSelector: {
          'tables.$': '$.Payload.tables',
          'summary.$': '$.Payload.summary',
        },
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
            environment: {
              DataType: 'String',
              'StringValue.$': '$.config.environment',
            },
            event: {
              DataType: 'String',
              StringValue: 'RunHistoryArchiveFailed',
            },
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
      ReenableDags: {
        Type: 'Task',
        Comment:
          'The export paused the active DAGs: unpause them if the environment still exists (no-op otherwise).',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('MetadataTransferFunctionArn'),
          Payload: {
            action: 'unpauseActiveDags',
            'environment.$': '$.config.environment',
            'bucket.$': '$.backup.bucket',
            'prefix.$': '$.backup.prefix',
            'backupId.$': '$.backup.backupId',
          },
        },
        ResultSelector: {
          'unpaused.$': '$.Payload.unpaused',
        },
        ResultPath: '$.reenable',
        Retry: lambdaRetry(METADATA_TRANSFER_ERRORS),
        Catch: catchAll('HasFailureCause', '$.reenableError'),
        Next: 'HasFailureCause',
      },
      HasFailureCause: {
        Type: 'Choice',
        Comment: 'Timeouts may come without a Cause; the failure record needs one.',
        Choices: [
          {
            Variable: '$.error.Cause',
            IsPresent: false,
            Next: 'AddFailureCause',
          },
          {
            Variable: '$.error.Cause',
            IsString: true,
            Next: 'ReleaseLockAfterFailure',
          },
        ],
        Default: 'AddFailureCause',
      },
      AddFailureCause: {
        Type: 'Pass',
        Parameters: {
          'Error.$': '$.error.Error',
          Cause: '(no cause given)',
        },
        ResultPath: '$.error',
        Next: 'ReleaseLockAfterFailure',
      },
      ReleaseLockAfterFailure: {
        Type: 'Task',
        Comment: 'Every failure path releases the lock and records what went wrong.',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          UpdateExpression: 'SET lastFailure = :failure, updatedAt = :now REMOVE #lock',
          ConditionExpression: '#lock.executionArn = :exec',
          ExpressionAttributeNames: {
            '#lock': 'lock',
          },
          ExpressionAttributeValues: {
            ':failure': {
              M: {
                executionArn: {
                  'S.$': '$$.Execution.Id',
                },
                error: {
                  'S.$': '$.error.Error',
                },
                cause: {
                  'S.$': '$.error.Cause',
                },
                at: {
                  'S.$': '$$.Execution.StartTime',
                },
              },
            },
            ':exec': {
              'S.$': '$$.Execution.Id',
            },
            ':now': {
              'S.$': '$$.Execution.StartTime',
            },
          },
        },
        ResultPath: null,
        Retry: DYNAMODB_RETRY,
        Catch: catchAll('FailWorkflow', '$.releaseError'),
        Next: 'FailWorkflow',
      },
      FailWorkflow: {
        Type: 'Fail',
        Comment: 'The EventBridge rule on FAILED executions notifies NotificationTopic.',
        ErrorPath: '$.error.Error',
        CausePath: '$.error.Cause',
      },
    },
  };
}
