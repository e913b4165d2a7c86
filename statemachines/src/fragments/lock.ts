/**
 * The environment lock (invariant 2, docs/architecture.md §6.1): taken by pause, resume and
 * upgrade before they change anything, released on every way out.
 */
import type { State, States } from '../types.ts';
import { catchAll, DYNAMODB_RETRY, ENVIRONMENT_KEY, ENVIRONMENTS_TABLE, SFN_RETRY } from './retry.ts';

const EXECUTION_ID = { 'S.$': '$$.Execution.Id' };
const EXECUTION_START = { 'S.$': '$$.Execution.StartTime' };

const lockValue = (operation: string) => ({
  M: {
    operation: { S: operation },
    executionArn: EXECUTION_ID,
    startedAt: EXECUTION_START,
  },
});

export interface TakeLockOptions {
  /** The operation the lock records: pause, resume or upgrade. */
  operation: string;
  /** The state after the lock is taken. */
  next: string;
  /** The state after a stale lock was taken over (default: next). */
  nextAfterStaleLock?: string;
  /** The document whose runbook the LockHeldError cause points at. */
  runbook: string;
}

/**
 * TakeLock … FailWithoutLock: take the lock, re-entrant for this execution; a lock whose
 * execution has ended is stale and taken over by compare-and-swap; a live holder fails the
 * execution with LockHeldError without touching anything.
 */
export function takeLock({ operation, next, nextAfterStaleLock = next, runbook }: TakeLockOptions): States {
  return {
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
        ExpressionAttributeNames: { '#lock': 'lock' },
        ExpressionAttributeValues: {
          ':lock': lockValue(operation),
          ':exec': EXECUTION_ID,
          ':now': EXECUTION_START,
        },
        ReturnValues: 'ALL_NEW',
      },
      ResultSelector: { 'item.$': '$.Attributes' },
      ResultPath: '$.registry',
      Retry: DYNAMODB_RETRY,
      Catch: [
        {
          ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'],
          ResultPath: '$.lockConflict',
          Next: 'ReadLockHolder',
        },
        ...catchAll('FailWithoutLock'),
      ],
      Next: next,
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
        ExpressionAttributeNames: { '#lock': 'lock' },
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
      Parameters: { 'ExecutionArn.$': '$.holder.executionArn' },
      ResultSelector: { 'status.$': '$.Status' },
      ResultPath: '$.holder.execution',
      Retry: SFN_RETRY,
      Catch: [
        {
          ErrorEquals: ['Sfn.ExecutionDoesNotExistException', 'Sfn.InvalidArnException'],
          ResultPath: '$.holder.execution',
          Next: 'TakeStaleLock',
        },
        ...catchAll('LockHeld'),
      ],
      Next: 'IsLockHolderRunning',
    },
    IsLockHolderRunning: {
      Type: 'Choice',
      Choices: [{ Variable: '$.holder.execution.status', StringEquals: 'RUNNING', Next: 'LockHeld' }],
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
        ExpressionAttributeNames: { '#lock': 'lock' },
        ExpressionAttributeValues: {
          ':lock': lockValue(operation),
          ':stale': { 'S.$': '$.holder.executionArn' },
          ':now': EXECUTION_START,
        },
        ReturnValues: 'ALL_NEW',
      },
      ResultSelector: { 'item.$': '$.Attributes' },
      ResultPath: '$.registry',
      Retry: DYNAMODB_RETRY,
      Catch: catchAll('LockHeld'),
      Next: nextAfterStaleLock,
    },
    LockHeld: {
      Type: 'Pass',
      Comment: 'Refused: another operation holds the lock. We do not hold it, so nothing is released.',
      Parameters: {
        'cause.$': `States.Format('Another operation holds the lock of environment {}; nothing was changed. See the runbook in ${runbook}.', $.config.environment)`,
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
  };
}

/** What went wrong, as the failing release records it in lastFailure. */
export const FAILURE_RECORD = {
  M: {
    executionArn: EXECUTION_ID,
    error: { 'S.$': '$.error.Error' },
    cause: { 'S.$': '$.error.Cause' },
    at: EXECUTION_START,
  },
};

export interface ReleaseLockOptions {
  comment?: string;
  /** SET clauses before `updatedAt = :now`, e.g. `lastFailure = :failure`. */
  set?: string[];
  /** REMOVE clauses after `#lock`. */
  remove?: string[];
  /** Attribute names beside #lock. */
  names?: Record<string, string>;
  /** Attribute values before :exec and :now. */
  values?: Record<string, unknown>;
  next: string;
  /** The Catch of the release. */
  catch: unknown[];
}

/**
 * A Task that releases the lock this execution holds (only that one: the condition names this
 * execution) and records the outcome in the same write.
 */
export function releaseLock({
  comment,
  set = [],
  remove = [],
  names = {},
  values = {},
  next,
  ...rest
}: ReleaseLockOptions): State {
  return {
    Type: 'Task',
    ...(comment === undefined ? {} : { Comment: comment }),
    Resource: 'arn:aws:states:::dynamodb:updateItem',
    Parameters: {
      TableName: ENVIRONMENTS_TABLE,
      Key: ENVIRONMENT_KEY,
      UpdateExpression: `SET ${[...set, 'updatedAt = :now'].join(', ')} REMOVE ${['#lock', ...remove].join(', ')}`,
      ConditionExpression: '#lock.executionArn = :exec',
      ExpressionAttributeNames: { '#lock': 'lock', ...names },
      ExpressionAttributeValues: { ...values, ':exec': EXECUTION_ID, ':now': EXECUTION_START },
    },
    ResultPath: null,
    Retry: DYNAMODB_RETRY,
    Catch: rest.catch,
    Next: next,
  };
}

export interface UpdateHoldingLockOptions {
  comment?: string;
  /** The UpdateExpression; `#state`, `#lock` and `:now` are defined here. */
  update: string;
  /** The expression's own values, before `:exec` and `:now`. */
  values: Record<string, unknown>;
  catch: unknown[];
  next: string;
}

/**
 * An EnvironmentsTable update that holds only while this execution owns the lock
 * (`#lock.executionArn = :exec`): a workflow whose lock was taken over changes nothing.
 */
export function updateHoldingLock({
  comment,
  update,
  values,
  catch: onError,
  next,
}: UpdateHoldingLockOptions): State {
  return {
    Type: 'Task',
    ...(comment === undefined ? {} : { Comment: comment }),
    Resource: 'arn:aws:states:::dynamodb:updateItem',
    Parameters: {
      TableName: ENVIRONMENTS_TABLE,
      Key: ENVIRONMENT_KEY,
      UpdateExpression: update,
      ConditionExpression: '#lock.executionArn = :exec',
      ExpressionAttributeNames: { '#lock': 'lock', '#state': 'state' },
      ExpressionAttributeValues: {
        ...values,
        ':exec': { 'S.$': '$$.Execution.Id' },
        ':now': { 'S.$': '$$.Execution.StartTime' },
      },
    },
    ResultPath: null,
    Retry: DYNAMODB_RETRY,
    Catch: onError,
    Next: next,
  };
}
