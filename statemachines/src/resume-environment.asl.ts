import {
  BACKUP_READ_ERRORS,
  catchAll,
  DYNAMODB_RETRY,
  ENVIRONMENT_KEY,
  ENVIRONMENTS_TABLE,
  FUNCTION_THROTTLING_RETRY,
  LAMBDA_SERVICE_RETRY,
  lambdaRetry,
  MWAA_RETRY,
  SFN_RETRY,
} from './fragments/retry.ts';
import type { StateMachine } from './types.ts';
import { substitution } from './types.ts';

export function resumeEnvironment(): StateMachine {
  return {
    Comment:
      'Resume a paused MWAA environment: recreate it from its snapshot and restore the verified backup. docs/pause-resume.md',
    StartAt: 'ApplyDefaults',
    TimeoutSeconds: 43200,
    States: {
      ApplyDefaults: {
        Type: 'Pass',
        Comment: 'Defaults for optional settings; tests shorten the waits through the input.',
        Parameters: {
          defaults: {
            pollSeconds: 60,
            importTimeoutSeconds: 3600,
            exportTimeoutSeconds: 3600,
            heartbeatSeconds: 300,
            reloadPlugins: false,
            trustUnrecordedBackup: false,
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
                Variable: '$.config.trustUnrecordedBackup',
                IsBoolean: true,
              },
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
                Variable: '$.config.importTimeoutSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.importTimeoutSeconds',
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
            "States.Format('{},{},{},{}', $.config.pollSeconds, $.config.heartbeatSeconds, $.config.importTimeoutSeconds, $.config.exportTimeoutSeconds)",
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
          'pollSeconds, heartbeatSeconds, importTimeoutSeconds and exportTimeoutSeconds must be whole numbers of seconds, at least 1; the lock was not taken and nothing was changed.',
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
                  S: 'resume',
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
        Next: 'ReadRegistryState',
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
                  S: 'resume',
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
        Next: 'HasStaleBackupAttempt',
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
      HasStaleBackupAttempt: {
        Type: 'Choice',
        Comment:
          "A stale holder's backup child records its attempt (backupAttempt) before it pauses anything; kept here because the registry item is read only once.",
        Choices: [
          {
            Variable: '$.registry.item.backupAttempt.M.lockOwner.S',
            IsPresent: true,
            Next: 'IsStaleHoldersBackupAttempt',
          },
        ],
        Default: 'ReadRegistryState',
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
        Default: 'ReadRegistryState',
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
        Next: 'ReadRegistryState',
      },
      ReadRegistryState: {
        Type: 'Choice',
        Comment: 'RESUMING means an earlier resume created the environment but did not finish the restore.',
        Choices: [
          {
            Variable: '$.registry.item.state.S',
            IsPresent: true,
            Next: 'KnownRegistryState',
          },
        ],
        Default: 'UnknownRegistryState',
      },
      KnownRegistryState: {
        Type: 'Pass',
        Parameters: {
          'state.$': '$.registry.item.state.S',
        },
        ResultPath: '$.registry',
        Next: 'GetEnvironment',
      },
      UnknownRegistryState: {
        Type: 'Pass',
        Parameters: {
          state: 'UNKNOWN',
        },
        ResultPath: '$.registry',
        Next: 'GetEnvironment',
      },
      GetEnvironment: {
        Type: 'Task',
        Comment: 'An environment that exists and is AVAILABLE is already running: nothing to do.',
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
            Next: 'FindBackup',
          },
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: '$.error',
            Next: 'HasFailureCause',
          },
        ],
        Next: 'IsAlreadyRunning',
      },
      IsAlreadyRunning: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              {
                Variable: '$.registry.state',
                StringEquals: 'RESUMING',
              },
              {
                Or: [
                  {
                    Variable: '$.mwaa.status',
                    StringEquals: 'AVAILABLE',
                  },
                  {
                    Variable: '$.mwaa.status',
                    StringEquals: 'CREATING',
                  },
                ],
              },
            ],
            Next: 'FindBackup',
          },
          {
            Variable: '$.mwaa.status',
            StringEquals: 'AVAILABLE',
            Next: 'TookOverStaleAttempt',
          },
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
        Choices: [
          {
            Variable: '$.stale',
            IsPresent: true,
            Next: 'StopStaleBackup',
          },
        ],
        Default: 'ReleaseLockNoop',
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
        Retry: lambdaRetry(BACKUP_READ_ERRORS),
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
          'Fail: the environment is left running; the DAGs the stopped attempt paused are re-enabled on the way out.',
        Parameters: {
          Error: 'PreviousExportRunningError',
          'Cause.$':
            "States.Format('An export DAG run of an earlier, stopped operation on {} is still queued or running after {} seconds (mwaa_ops_export runs {}); the environment runs, and the DAGs that operation paused were re-enabled. Let the run finish or mark it failed in the Airflow UI.', $.config.environment, $.staleWait.waitedSeconds, States.JsonToString($.staleWait.exports.runIds))",
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
        Retry: lambdaRetry(BACKUP_READ_ERRORS),
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
        Default: 'ReleaseLockNoop',
      },
      ReleaseLockNoop: {
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          UpdateExpression: 'SET #state = :running, updatedAt = :now REMOVE #lock',
          ConditionExpression: '#lock.executionArn = :exec',
          ExpressionAttributeNames: {
            '#lock': 'lock',
            '#state': 'state',
          },
          ExpressionAttributeValues: {
            ':running': {
              S: 'RUNNING',
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
        Next: 'AlreadyRunning',
      },
      AlreadyRunning: {
        Type: 'Pass',
        Parameters: {
          'environment.$': '$.config.environment',
          state: 'RUNNING',
          noop: true,
        },
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
        ResultSelector: {
          'verified.$': '$.Payload.verified',
          'manifestKey.$': '$.Payload.manifestKey',
        },
        ResultPath: '$.verification',
        Retry: lambdaRetry(BACKUP_READ_ERRORS),
        Catch: catchAll('HasFailureCause'),
        Next: 'IsBackupVerified',
      },
      IsBackupVerified: {
        Type: 'Choice',
        Choices: [
          {
            Variable: '$.verification.verified',
            BooleanEquals: true,
            Next: 'MarkResuming',
          },
        ],
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
      MarkResuming: {
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          UpdateExpression: 'SET #state = :resuming, updatedAt = :now',
          ConditionExpression: '#lock.executionArn = :exec',
          ExpressionAttributeNames: {
            '#lock': 'lock',
            '#state': 'state',
          },
          ExpressionAttributeValues: {
            ':resuming': {
              S: 'RESUMING',
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
        Next: 'NoteRecreationTime',
      },
      NoteRecreationTime: {
        Type: 'Pass',
        Comment:
          'The time CreateEnvironment is about to be called, kept for the pause history: MWAA bills the environment from CreateEnvironment, so RUNNING is dated from here and the creation and the restore count as running hours (mwaa-ops report savings never overstates).',
        Parameters: {
          'at.$': '$$.State.EnteredTime',
        },
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
        ResultSelector: {
          'created.$': '$.Payload.created',
        },
        ResultPath: '$.recreate',
        Retry: lambdaRetry(BACKUP_READ_ERRORS),
        Catch: catchAll('HasFailureCause'),
        Next: 'AwaitCreation',
      },
      AwaitCreation: {
        Type: 'Task',
        Comment:
          'Until MWAA stops CREATING/PENDING: an MWAA Environment Status Change event answers the token (StatusEventsFunction); with no event it times out after pollSeconds and waits again, its registration re-checking GetEnvironment (the poll). If the waiter cannot be registered, WaitForCreation/CheckCreation poll as before. docs/pause-resume.md#waiting-for-mwaa',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: substitution('StatusEventsFunctionArn'),
          Payload: {
            action: 'awaitStatus',
            'taskToken.$': '$$.Task.Token',
            'executionArn.$': '$$.Execution.Id',
            'environment.$': '$.config.environment',
            waitWhile: ['CREATING', 'PENDING'],
          },
        },
        TimeoutSecondsPath: '$.config.pollSeconds',
        ResultPath: '$.mwaa',
        Retry: [LAMBDA_SERVICE_RETRY],
        Catch: [
          {
            ErrorEquals: ['States.Timeout'],
            ResultPath: null,
            Next: 'AwaitCreation',
          },
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: null,
            Next: 'WaitForCreation',
          },
        ],
        Next: 'IsCreated',
      },
      WaitForCreation: {
        Type: 'Wait',
        SecondsPath: '$.config.pollSeconds',
        Next: 'CheckCreation',
      },
      CheckCreation: {
        Type: 'Task',
        Comment: 'Follow CREATING until AVAILABLE.',
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
        Catch: catchAll('HasFailureCause'),
        Next: 'IsCreated',
      },
      IsCreated: {
        Type: 'Choice',
        Choices: [
          {
            Variable: '$.mwaa.status',
            StringEquals: 'AVAILABLE',
            Next: 'Import',
          },
          {
            Or: [
              {
                Variable: '$.mwaa.status',
                StringEquals: 'CREATING',
              },
              {
                Variable: '$.mwaa.status',
                StringEquals: 'PENDING',
              },
            ],
            Next: 'AwaitCreation',
          },
          {
            Variable: '$.mwaa.status',
            StringEquals: 'CREATE_FAILED',
            Next: 'CreateFailed',
          },
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
        Choices: [
          {
            Variable: '$.config.reloadPlugins',
            BooleanEquals: true,
            Next: 'ReadWorkerSettings',
          },
        ],
        Default: 'RecordRunning',
      },
      ReadWorkerSettings: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:mwaa:getEnvironment',
        Parameters: {
          'Name.$': '$.config.environment',
        },
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
      WaitForReload: {
        Type: 'Wait',
        SecondsPath: '$.config.pollSeconds',
        Next: 'CheckReload',
      },
      CheckReload: {
        Type: 'Task',
        Comment: 'Follow UPDATING until AVAILABLE.',
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
        Catch: catchAll('HasFailureCause'),
        Next: 'IsReloaded',
      },
      IsReloaded: {
        Type: 'Choice',
        Choices: [
          {
            Variable: '$.mwaa.status',
            StringEquals: 'AVAILABLE',
            Next: 'RecordRunning',
          },
          {
            Variable: '$.mwaa.status',
            StringEquals: 'UPDATING',
            Next: 'WaitForReload',
          },
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
      RecordRunning: {
        Type: 'Task',
        Comment: 'Record RUNNING and release the lock in one conditional write.',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          UpdateExpression:
            'SET #state = :running, lastRestoredBackup = :backupId, updatedAt = :now REMOVE #lock, lastFailure',
          ConditionExpression: '#lock.executionArn = :exec',
          ExpressionAttributeNames: {
            '#lock': 'lock',
            '#state': 'state',
          },
          ExpressionAttributeValues: {
            ':running': {
              S: 'RUNNING',
            },
            ':backupId': {
              'S.$': '$.backup.backupId',
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
        Next: 'StampRunningHistory',
      },
      StampRunningHistory: {
        Type: 'Pass',
        Comment:
          "The pause history's RUNNING entry, dated when CreateEnvironment was called (NoteRecreationTime), and its month: the history item's key. Kept in $.history so a retried write stores the same values.",
        Parameters: {
          'at.$': '$.runningSince.at',
          'month.$':
            "States.Format('{}-{}', States.ArrayGetItem(States.StringSplit($.runningSince.at, '-'), 0), States.ArrayGetItem(States.StringSplit($.runningSince.at, '-'), 1))",
        },
        ResultPath: '$.history',
        Next: 'RecordRunningHistory',
      },
      RecordRunningHistory: {
        Type: 'Task',
        Comment:
          "Append RUNNING to the environment's pause history for the month (item '<environment>#history#<yyyy-mm>', read by mwaa-ops report savings). Once per execution: the execution name is added to a set, and a write for a name already in it fails its condition, so a retry or re-run adds nothing. Best effort: a failure never fails the workflow, whose work is done.",
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
                      S: 'RUNNING',
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
        Catch: catchAll('Resumed', '$.historyError'),
        Next: 'Resumed',
      },
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
