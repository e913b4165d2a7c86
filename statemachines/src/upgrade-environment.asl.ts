import {
  catchAll,
  DYNAMODB_RETRY,
  ENVIRONMENT_KEY,
  ENVIRONMENTS_TABLE,
  LAMBDA_SERVICE_RETRY,
  lambdaRetry,
  METADATA_TRANSFER_ERRORS,
  MWAA_RETRY,
  SFN_RETRY,
} from './fragments/retry.ts';
import type { StateMachine } from './types.ts';
import { substitution } from './types.ts';

export function upgradeEnvironment(): StateMachine {
  return {
    Comment:
      'Upgrade (or downgrade) an MWAA environment in place: validate the change against the version matrix, take a verified backup, UpdateEnvironment(AirflowVersion), follow it, report the outcome. docs/upgrades.md',
    StartAt: 'ApplyDefaults',
    TimeoutSeconds: 43200,
    States: {
      ApplyDefaults: {
        Type: 'Pass',
        Comment: 'Defaults for optional settings; tests shorten the waits through the input.',
        Parameters: {
          defaults: {
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
            And: [
              {
                Variable: '$.config.environment',
                IsPresent: true,
              },
              {
                Variable: '$.config.environment',
                IsString: true,
              },
              {
                Variable: '$.config.targetVersion',
                IsPresent: true,
              },
              {
                Variable: '$.config.targetVersion',
                IsString: true,
              },
              {
                Variable: '$.config.canaryDag',
                IsString: true,
              },
              {
                Variable: '$.config.pollSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.updateTimeoutSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.drainTimeoutSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.drainPollSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.backupTimeoutSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.canaryTimeoutSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.canaryPollSeconds',
                IsNumeric: true,
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
          'The input must name the environment and the target version: {"environment": "<name>", "targetVersion": "2.11.0"}; canaryDag must be a string and the *Seconds settings numbers.',
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
                Variable: '$.config.updateTimeoutSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.updateTimeoutSeconds',
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
                Variable: '$.config.backupTimeoutSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.backupTimeoutSeconds',
                NumericGreaterThanEquals: 1,
              },
              {
                Variable: '$.config.canaryTimeoutSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.canaryTimeoutSeconds',
                NumericGreaterThanEquals: 1,
              },
              {
                Variable: '$.config.canaryPollSeconds',
                IsNumeric: true,
              },
              {
                Variable: '$.config.canaryPollSeconds',
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
            "States.Format('{},{},{},{},{},{},{},{},{}', $.config.pollSeconds, $.config.updateTimeoutSeconds, $.config.drainTimeoutSeconds, $.config.drainPollSeconds, $.config.heartbeatSeconds, $.config.exportTimeoutSeconds, $.config.backupTimeoutSeconds, $.config.canaryTimeoutSeconds, $.config.canaryPollSeconds)",
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
          'pollSeconds, updateTimeoutSeconds, drainTimeoutSeconds, drainPollSeconds, heartbeatSeconds, exportTimeoutSeconds, backupTimeoutSeconds, canaryTimeoutSeconds and canaryPollSeconds must be whole numbers of seconds, at least 1; the lock was not taken and nothing was changed.',
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
                  S: 'upgrade',
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
                  S: 'upgrade',
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
            "States.Format('Another operation holds the lock of environment {}; nothing was changed. See the runbook in docs/upgrades.md.', $.config.environment)",
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
        Comment: 'Only an AVAILABLE environment is upgraded.',
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
            "States.Format('Environment {} does not exist (paused or never created); nothing was changed.', $.config.environment)",
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
            Next: 'ValidateVersionChange',
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
          {
            Variable: '$.validation.noop',
            BooleanEquals: true,
            Next: 'ReleaseLockNoop',
          },
          {
            Variable: '$.validation.allowed',
            BooleanEquals: true,
            Next: 'DrainRequested',
          },
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
      ReleaseLockNoop: {
        Type: 'Task',
        Comment: 'Already at the target version: nothing to do but release the lock.',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          UpdateExpression: 'SET updatedAt = :now REMOVE #lock',
          ConditionExpression: '#lock.executionArn = :exec',
          ExpressionAttributeNames: {
            '#lock': 'lock',
          },
          ExpressionAttributeValues: {
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
        Next: 'AlreadyAtTarget',
      },
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
          'The verified backup exactly as pause takes it, in BackupEnvironmentStateMachine; nothing is updated unless it succeeds.',
        Resource: 'arn:aws:states:::states:startExecution.sync:2',
        Parameters: {
          StateMachineArn: substitution('BackupEnvironmentStateMachineArn'),
          Input: {
            'environment.$': '$.config.environment',
            'lockOwner.$': '$$.Execution.Id',
            'heartbeatSeconds.$': '$.config.heartbeatSeconds',
            'exportTimeoutSeconds.$': '$.config.exportTimeoutSeconds',
            'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id',
          },
        },
        TimeoutSecondsPath: '$.config.backupTimeoutSeconds',
        ResultSelector: {
          'backupId.$': '$.Output.backupId',
          'bucket.$': '$.Output.bucket',
          'prefix.$': '$.Output.prefix',
          'manifestKey.$': '$.Output.manifestKey',
          'airflowVersion.$': '$.Output.airflowVersion',
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
        Next: 'RecordUpgradeStarted',
      },
      IsChildFailure: {
        Type: 'Choice',
        Comment:
          'A failed child execution comes back as States.TaskFailed with its description as the cause.',
        Choices: [
          {
            Variable: '$.error.Error',
            StringEquals: 'States.TaskFailed',
            Next: 'ReadChildFailure',
          },
        ],
        Default: 'BackupFailedPlain',
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
      RecordUpgradeStarted: {
        Type: 'Task',
        Comment: 'State UPGRADING from here on, with the backup to recover from.',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          UpdateExpression: 'SET #state = :upgrading, upgrade = :upgrade, updatedAt = :now',
          ConditionExpression: '#lock.executionArn = :exec',
          ExpressionAttributeNames: {
            '#lock': 'lock',
            '#state': 'state',
          },
          ExpressionAttributeValues: {
            ':upgrading': {
              S: 'UPGRADING',
            },
            ':upgrade': {
              M: {
                executionArn: {
                  'S.$': '$$.Execution.Id',
                },
                from: {
                  'S.$': '$.validation.currentVersion',
                },
                to: {
                  'S.$': '$.config.targetVersion',
                },
                backupId: {
                  'S.$': '$.backup.backupId',
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
        },
        ResultPath: null,
        Retry: DYNAMODB_RETRY,
        Catch: catchAll('ReenableDagsAfterFailure'),
        Next: 'UpdateEnvironment',
      },
      UpdateEnvironment: {
        Type: 'Task',
        Comment:
          'The request (Name, AirflowVersion and the optional requirements/plugins/startup script object versions) was built and checked by validateUpgrade.',
        Resource: 'arn:aws:states:::aws-sdk:mwaa:updateEnvironment',
        InputPath: '$.validation.updateRequest',
        ResultSelector: {
          'arn.$': '$.Arn',
        },
        ResultPath: '$.update',
        Retry: MWAA_RETRY,
        Catch: catchAll('ReenableDagsAfterFailure'),
        Next: 'StartFollowing',
      },
      StartFollowing: {
        Type: 'Pass',
        Parameters: {
          waitedSeconds: 0,
        },
        ResultPath: '$.follow',
        Next: 'AwaitUpdate',
      },
      AwaitUpdate: {
        Type: 'Task',
        Comment:
          'Until the status ends the upgrade (anything but UPDATING, CREATING_SNAPSHOT, ROLLING_BACK, MAINTENANCE, PENDING, or AVAILABLE on the old version): an MWAA Environment Status Change event answers the token (StatusEventsFunction). With no event it times out after pollSeconds, which CountUpdateWait adds to the time followed before CheckUpdate polls. If the waiter cannot be registered, WaitForUpdate/CheckUpdate poll as before. docs/upgrades.md (Follow), docs/pause-resume.md#waiting-for-mwaa',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: substitution('StatusEventsFunctionArn'),
          Payload: {
            action: 'awaitStatus',
            'taskToken.$': '$$.Task.Token',
            'executionArn.$': '$$.Execution.Id',
            'environment.$': '$.config.environment',
            waitWhile: [
              'UPDATING',
              'CREATING_SNAPSHOT',
              'ROLLING_BACK',
              'MAINTENANCE',
              'PENDING',
              'AVAILABLE',
            ],
            'targetVersion.$': '$.config.targetVersion',
          },
        },
        TimeoutSecondsPath: '$.config.pollSeconds',
        ResultPath: '$.mwaa',
        Retry: [LAMBDA_SERVICE_RETRY],
        Catch: [
          {
            ErrorEquals: ['States.Timeout'],
            ResultPath: null,
            Next: 'CountUpdateWait',
          },
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: null,
            Next: 'WaitForUpdate',
          },
        ],
        Next: 'IsUpdateDone',
      },
      WaitForUpdate: {
        Type: 'Wait',
        SecondsPath: '$.config.pollSeconds',
        Next: 'CountUpdateWait',
      },
      CountUpdateWait: {
        Type: 'Pass',
        Parameters: {
          'waitedSeconds.$': 'States.MathAdd($.follow.waitedSeconds, $.config.pollSeconds)',
        },
        ResultPath: '$.follow',
        Next: 'CheckUpdate',
      },
      CheckUpdate: {
        Type: 'Task',
        Comment:
          'UPDATING → CREATING_SNAPSHOT → UPDATING → AVAILABLE; on failure ROLLING_BACK → UPDATE_FAILED or UNAVAILABLE.',
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
        Catch: catchAll('FollowFailed'),
        Next: 'IsUpdateDone',
      },
      IsUpdateDone: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              {
                Variable: '$.mwaa.status',
                StringEquals: 'AVAILABLE',
              },
              {
                Variable: '$.mwaa.airflowVersion',
                StringEqualsPath: '$.config.targetVersion',
              },
            ],
            Next: 'ReenableDags',
          },
          {
            Variable: '$.mwaa.status',
            StringEquals: 'UPDATE_FAILED',
            Next: 'RolledBack',
          },
          {
            Variable: '$.mwaa.status',
            StringEquals: 'UNAVAILABLE',
            Next: 'Unavailable',
          },
          {
            Variable: '$.follow.waitedSeconds',
            NumericGreaterThanEqualsPath: '$.config.updateTimeoutSeconds',
            Next: 'UpdateTimedOut',
          },
          {
            Or: [
              {
                Variable: '$.mwaa.status',
                StringEquals: 'UPDATING',
              },
              {
                Variable: '$.mwaa.status',
                StringEquals: 'CREATING_SNAPSHOT',
              },
              {
                Variable: '$.mwaa.status',
                StringEquals: 'ROLLING_BACK',
              },
              {
                Variable: '$.mwaa.status',
                StringEquals: 'MAINTENANCE',
              },
              {
                Variable: '$.mwaa.status',
                StringEquals: 'PENDING',
              },
              {
                Variable: '$.mwaa.status',
                StringEquals: 'AVAILABLE',
              },
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
      ReenableDagsAfterRollback: {
        Type: 'Task',
        Comment: 'Rolled back to the old version: the DAGs the backup paused run again there.',
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
        Catch: catchAll('RolledBackOutcome', '$.reenableError'),
        Next: 'RolledBackOutcome',
      },
      RolledBackOutcome: {
        Type: 'Pass',
        Parameters: {
          state: 'RUNNING',
          result: 'ROLLED_BACK',
        },
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
        Parameters: {
          state: 'UPGRADING',
          result: 'UNAVAILABLE',
        },
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
        Parameters: {
          state: 'UPGRADING',
          result: 'UNKNOWN',
        },
        ResultPath: '$.outcome',
        Next: 'ReleaseLockAfterUpgradeFailure',
      },
      ReenableDags: {
        Type: 'Task',
        Comment: 'The backup paused the active DAGs: on the upgraded environment they run again.',
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
        Catch: catchAll('DagsNotReenabled'),
        Next: 'CanaryRequested',
      },
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
        Choices: [
          {
            Variable: '$.config.canaryDag',
            StringEquals: '',
            Next: 'RecordUpgraded',
          },
        ],
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
        ResultSelector: {
          'dagId.$': '$.Payload.dagId',
          'runId.$': '$.Payload.runId',
          waitedSeconds: 0,
        },
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
      WaitForCanary: {
        Type: 'Wait',
        SecondsPath: '$.config.canaryPollSeconds',
        Next: 'CheckCanary',
      },
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
          {
            Variable: '$.canaryStatus.succeeded',
            BooleanEquals: true,
            Next: 'RecordUpgraded',
          },
          {
            Variable: '$.canaryStatus.finished',
            BooleanEquals: true,
            Next: 'CanaryFailed',
          },
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
        Parameters: {
          state: 'RUNNING',
          result: 'UPGRADED_CHECK_FAILED',
        },
        ResultPath: '$.outcome',
        Next: 'ReleaseLockAfterUpgradeFailure',
      },
      RecordUpgraded: {
        Type: 'Task',
        Comment: 'Record the outcome and release the lock in one conditional write.',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          UpdateExpression:
            'SET #state = :running, lastUpgrade = :upgrade, updatedAt = :now REMOVE #lock, upgrade, lastFailure',
          ConditionExpression: '#lock.executionArn = :exec',
          ExpressionAttributeNames: {
            '#lock': 'lock',
            '#state': 'state',
          },
          ExpressionAttributeValues: {
            ':running': {
              S: 'RUNNING',
            },
            ':upgrade': {
              M: {
                executionArn: {
                  'S.$': '$$.Execution.Id',
                },
                from: {
                  'S.$': '$.validation.currentVersion',
                },
                to: {
                  'S.$': '$.config.targetVersion',
                },
                outcome: {
                  S: 'SUCCEEDED',
                },
                backupId: {
                  'S.$': '$.backup.backupId',
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
        Catch: catchAll('HasFailureCause'),
        Next: 'Upgraded',
      },
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
      ReenableDagsAfterFailure: {
        Type: 'Task',
        Comment: 'The backup paused the active DAGs and the update was not started: unpause them.',
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
      ReleaseLockAfterUpgradeFailure: {
        Type: 'Task',
        Comment:
          'After UpdateEnvironment: record the outcome with the lifecycle state it left, release the lock.',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          UpdateExpression:
            'SET #state = :state, lastFailure = :failure, lastUpgrade = :upgrade, updatedAt = :now REMOVE #lock, upgrade',
          ConditionExpression: '#lock.executionArn = :exec',
          ExpressionAttributeNames: {
            '#lock': 'lock',
            '#state': 'state',
          },
          ExpressionAttributeValues: {
            ':state': {
              'S.$': '$.outcome.state',
            },
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
            ':upgrade': {
              M: {
                executionArn: {
                  'S.$': '$$.Execution.Id',
                },
                from: {
                  'S.$': '$.validation.currentVersion',
                },
                to: {
                  'S.$': '$.config.targetVersion',
                },
                outcome: {
                  'S.$': '$.outcome.result',
                },
                backupId: {
                  'S.$': '$.backup.backupId',
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
        Comment:
          'Before UpdateEnvironment: the environment is as it was; record what went wrong and release the lock.',
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
