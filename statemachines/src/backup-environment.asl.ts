import { unpauseActiveDags } from './fragments/dags.ts';
import { ensureFailureCause } from './fragments/failure.ts';
import { applyDefaults, validateWholeSeconds } from './fragments/input.ts';
import {
  BACKUP_READ_ERRORS,
  catchAll,
  DYNAMODB_RETRY,
  ENVIRONMENT_KEY,
  ENVIRONMENTS_TABLE,
  FUNCTION_THROTTLING_RETRY,
  LAMBDA_SERVICE_RETRY,
  lambdaRetry,
} from './fragments/retry.ts';
import type { StateMachine } from './types.ts';
import { substitution } from './types.ts';

export function backupEnvironment(): StateMachine {
  return {
    Comment:
      'Take a verified backup of an MWAA environment exactly as pause does (plan, snapshot, export, verify) and record it as the last verified backup. Started by the pause and upgrade workflows, which hold the lock (input lockOwner). docs/pause-resume.md, docs/upgrades.md',
    StartAt: 'ApplyDefaults',
    TimeoutSeconds: 43200,
    States: {
      ...applyDefaults({ exportTimeoutSeconds: 3600, heartbeatSeconds: 300 }),
      ValidateInput: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.config.environment', IsPresent: true },
              { Variable: '$.config.environment', IsString: true },
              { Variable: '$.config.lockOwner', IsPresent: true },
              { Variable: '$.config.lockOwner', IsString: true },
              { Variable: '$.config.heartbeatSeconds', IsNumeric: true },
              { Variable: '$.config.exportTimeoutSeconds', IsNumeric: true },
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
          'The input must name the environment and the execution holding its lock: {"environment": "<name>", "lockOwner": "<execution ARN>"}; heartbeatSeconds and exportTimeoutSeconds must be numbers.',
      },
      ...validateWholeSeconds({
        paths: ['$.config.heartbeatSeconds', '$.config.exportTimeoutSeconds'],
        next: 'Plan',
        outcome: 'nothing was exported; the calling workflow releases its lock.',
      }),
      Plan: {
        Type: 'Task',
        Comment:
          'Backup id and location, derived from this execution: a retried step writes the same backup (invariant 3, docs/architecture.md §6.1).',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('MetadataTransferFunctionArn'),
          Payload: {
            action: 'plan',
            'environment.$': '$.config.environment',
            'executionArn.$': '$$.Execution.Id',
            'startTime.$': '$$.Execution.StartTime',
          },
        },
        ResultSelector: {
          'backupId.$': '$.Payload.backupId',
          'bucket.$': '$.Payload.bucket',
          'prefix.$': '$.Payload.prefix',
        },
        ResultPath: '$.backup',
        Retry: lambdaRetry(BACKUP_READ_ERRORS),
        Catch: catchAll('HasFailureCause'),
        Next: 'RecordBackupAttempt',
      },
      RecordBackupAttempt: {
        Type: 'Task',
        Comment:
          'Before anything is paused: which backup this attempt writes, for the operation that may take over the lock if the caller is stopped (it stops this child, waits for its export and re-enables the DAGs it paused). Only while the caller holds the lock.',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          UpdateExpression: 'SET backupAttempt = :attempt',
          ConditionExpression: '#lock.executionArn = :owner',
          ExpressionAttributeNames: { '#lock': 'lock' },
          ExpressionAttributeValues: {
            ':attempt': {
              M: {
                lockOwner: { 'S.$': '$.config.lockOwner' },
                childArn: { 'S.$': '$$.Execution.Id' },
                bucket: { 'S.$': '$.backup.bucket' },
                prefix: { 'S.$': '$.backup.prefix' },
                backupId: { 'S.$': '$.backup.backupId' },
              },
            },
            ':owner': { 'S.$': '$.config.lockOwner' },
          },
        },
        ResultPath: null,
        Retry: DYNAMODB_RETRY,
        Catch: catchAll('HasFailureCause'),
        Next: 'InheritRequested',
      },
      InheritRequested: {
        Type: 'Choice',
        Comment:
          "A pause that took over a stopped attempt's lock passes that attempt's backup (inheritActiveDags): its record of the active DAGs predates any pausing.",
        Choices: [{ Variable: '$.config.inheritActiveDags', IsPresent: true, Next: 'IsInheritNull' }],
        Default: 'Snapshot',
      },
      IsInheritNull: {
        Type: 'Choice',
        Choices: [{ Variable: '$.config.inheritActiveDags', IsNull: true, Next: 'Snapshot' }],
        Default: 'InheritActiveDags',
      },
      InheritActiveDags: {
        Type: 'Task',
        Comment:
          "Seed this backup's active-dags.json with the stopped attempt's; the export merges it with what is active now.",
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('MetadataTransferFunctionArn'),
          Payload: {
            action: 'inheritActiveDags',
            'environment.$': '$.config.environment',
            'bucket.$': '$.backup.bucket',
            'prefix.$': '$.backup.prefix',
            'backupId.$': '$.backup.backupId',
            'from.$': '$.config.inheritActiveDags',
          },
        },
        ResultSelector: { 'inherited.$': '$.Payload.inherited' },
        ResultPath: '$.inherited',
        Retry: lambdaRetry(BACKUP_READ_ERRORS),
        Catch: catchAll('HasFailureCause'),
        Next: 'Snapshot',
      },
      Snapshot: {
        Type: 'Task',
        Comment:
          'Sanitized CreateEnvironment input, written to the backup. The function also answers the SHA-256 of the bytes it wrote and the recreation-critical settings it read from MWAA: recorded below, they are what resume trusts, never the S3 objects alone.',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('MetadataTransferFunctionArn'),
          Payload: {
            action: 'snapshot',
            'environment.$': '$.config.environment',
            'bucket.$': '$.backup.bucket',
            'prefix.$': '$.backup.prefix',
          },
        },
        ResultSelector: {
          'snapshotKey.$': '$.Payload.snapshotKey',
          'airflowVersion.$': '$.Payload.airflowVersion',
          'snapshotSha256.$': '$.Payload.snapshotSha256',
          'recreation.$': '$.Payload.recreation',
        },
        ResultPath: '$.snapshot',
        Retry: lambdaRetry(BACKUP_READ_ERRORS),
        Catch: catchAll('ReenableDags'),
        Next: 'Export',
      },
      Export: {
        Type: 'Task',
        Comment:
          'The export DAG (2.x) or the function (3.x) answers the token; heartbeats prove it is alive.',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: substitution('MetadataTransferFunctionArn'),
          Payload: {
            action: 'export',
            'taskToken.$': '$$.Task.Token',
            'heartbeatSeconds.$': '$.config.heartbeatSeconds',
            'executionArn.$': '$$.Execution.Id',
            'environment.$': '$.config.environment',
            'bucket.$': '$.backup.bucket',
            'prefix.$': '$.backup.prefix',
            'backupId.$': '$.backup.backupId',
          },
        },
        TimeoutSecondsPath: '$.config.exportTimeoutSeconds',
        HeartbeatSecondsPath: '$.config.heartbeatSeconds',
        ResultPath: '$.export',
        Retry: [LAMBDA_SERVICE_RETRY, FUNCTION_THROTTLING_RETRY],
        Catch: catchAll('ReenableDags'),
        Next: 'Verify',
      },
      Verify: {
        Type: 'Task',
        Comment:
          "Invariant 1 (docs/architecture.md §6.1): nothing is deleted unless this backup's manifest verifies. environment.json must still be the bytes the snapshot step wrote (the export runs as the environment's execution role, which may write this prefix); the function answers the SHA-256 of the manifest bytes it verified.",
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: substitution('MetadataTransferFunctionArn'),
          Payload: {
            action: 'verify',
            'environment.$': '$.config.environment',
            'bucket.$': '$.backup.bucket',
            'prefix.$': '$.backup.prefix',
            'backupId.$': '$.backup.backupId',
            'expectedSnapshotSha256.$': '$.snapshot.snapshotSha256',
          },
        },
        ResultSelector: {
          'verified.$': '$.Payload.verified',
          'manifestKey.$': '$.Payload.manifestKey',
          'airflowVersion.$': '$.Payload.airflowVersion',
          'tables.$': '$.Payload.tables',
          'manifestSha256.$': '$.Payload.manifestSha256',
        },
        ResultPath: '$.verification',
        Retry: lambdaRetry(BACKUP_READ_ERRORS),
        Catch: catchAll('ReenableDags'),
        Next: 'IsVerified',
      },
      IsVerified: {
        Type: 'Choice',
        Choices: [{ Variable: '$.verification.verified', BooleanEquals: true, Next: 'RecordVerifiedBackup' }],
        Default: 'NotVerified',
      },
      NotVerified: {
        Type: 'Pass',
        Parameters: {
          Error: 'BackupVerificationError',
          'Cause.$': "States.Format('Backup {} did not verify.', $.backup.backupId)",
        },
        ResultPath: '$.error',
        Next: 'ReenableDags',
      },
      RecordVerifiedBackup: {
        Type: 'Task',
        Comment:
          'Recorded only while the calling execution still holds the lock; the lifecycle state is the caller’s to set. The digests and recreation settings go where the execution role cannot write (its policy has no DynamoDB access): resume verifies the backup against them (docs/pause-resume.md, Isolation).',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: ENVIRONMENTS_TABLE,
          Key: ENVIRONMENT_KEY,
          UpdateExpression: 'SET lastVerifiedBackup = :backup, snapshotKey = :snapshot, updatedAt = :now',
          ConditionExpression: '#lock.executionArn = :owner',
          ExpressionAttributeNames: { '#lock': 'lock' },
          ExpressionAttributeValues: {
            ':backup': {
              M: {
                bucket: { 'S.$': '$.backup.bucket' },
                prefix: { 'S.$': '$.backup.prefix' },
                backupId: { 'S.$': '$.backup.backupId' },
                verifiedAt: { 'S.$': '$$.Execution.StartTime' },
                verifiedBy: { 'S.$': '$$.Execution.Id' },
                airflowVersion: { 'S.$': '$.verification.airflowVersion' },
                manifestKey: { 'S.$': '$.verification.manifestKey' },
                manifestSha256: { 'S.$': '$.verification.manifestSha256' },
                snapshotSha256: { 'S.$': '$.snapshot.snapshotSha256' },
                recreation: { 'S.$': 'States.JsonToString($.snapshot.recreation)' },
              },
            },
            ':snapshot': { 'S.$': '$.snapshot.snapshotKey' },
            ':owner': { 'S.$': '$.config.lockOwner' },
            ':now': { 'S.$': '$$.Execution.StartTime' },
          },
        },
        ResultPath: null,
        Retry: DYNAMODB_RETRY,
        Catch: catchAll('ReenableDags'),
        Next: 'BackedUp',
      },
      BackedUp: {
        Type: 'Pass',
        Comment:
          'The export left the active DAGs paused: the caller unpauses them (unpauseActiveDags) when it is done.',
        Parameters: {
          'environment.$': '$.config.environment',
          'backupId.$': '$.backup.backupId',
          'bucket.$': '$.backup.bucket',
          'prefix.$': '$.backup.prefix',
          'manifestKey.$': '$.verification.manifestKey',
          'snapshotKey.$': '$.snapshot.snapshotKey',
          'airflowVersion.$': '$.verification.airflowVersion',
          'tables.$': '$.verification.tables',
          'activeDags.$': '$.export.activeDags',
        },
        End: true,
      },
      ReenableDags: unpauseActiveDags({
        comment: 'The export paused the active DAGs: unpause them again (no-op when it paused none).',
        errors: BACKUP_READ_ERRORS,
        catch: catchAll('HasFailureCause', '$.reenableError'),
        next: 'HasFailureCause',
      }),
      ...ensureFailureCause('FailBackup'),
      FailBackup: {
        Type: 'Fail',
        Comment: 'The calling workflow reports the failure and releases its lock.',
        ErrorPath: '$.error.Error',
        CausePath: '$.error.Cause',
      },
    },
  };
}
