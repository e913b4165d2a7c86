/**
 * Waking the pause / resume / upgrade workflows when MWAA changes an environment's status.
 *
 * A workflow's wait is a `.waitForTaskToken` task that calls `awaitStatus`, which
 *
 *   1. checks that the environment's lock (EnvironmentsTable) is this execution's and registers
 *      the task token in StatusWaitersTable (one waiter per environment: the lock allows one
 *      workflow at a time), then
 *   2. reads the status once with GetEnvironment and answers at once when it is no longer one
 *      of the statuses being waited through (`waitWhile`).
 *
 * An `MWAA Environment Status Change` event (`handleStatusEvent`) reads the waiter and the
 * status and answers the token the same way. Registering before checking is what makes it
 * race-free: a change before step 1 is seen by step 2, a change after it reaches the waiter.
 *
 *   workflow:  register ─── check ─────────────── wait (TimeoutSeconds = pollSeconds) ──▶
 *   MWAA:            change?──┘ (seen by check)      change ─▶ event ─▶ SendTaskSuccess
 *
 * Events are best effort: when none comes, the task times out after `pollSeconds` and the
 * workflow polls (calls `awaitStatus` again). Both paths decide on GetEnvironment, never on the
 * event's detail, so a late, duplicate or out-of-order event cannot mislead a workflow; a token
 * whose task already ended (TaskTimedOut, TaskDoesNotExist, InvalidToken) is ignored.
 *
 * The task token never reaches a log or the workflow's payload; it lives only in
 * StatusWaitersTable (encrypted at rest) until the next waiter replaces it or it expires.
 *
 * The lock check and the registration are two calls, not one conditional write, because only the
 * workflows write EnvironmentsTable. The gap is harmless: a lock is taken over only from an
 * execution that is no longer running, whose token no event can complete; if such a late
 * registration replaced the new holder's waiter, the new holder polls after `pollSeconds` and
 * registers again.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import { GetEnvironmentCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type ActionInput, requiredString as str } from '../shared/action-dispatch.ts';
import type { DeadLetterSink } from '../shared/dead-letter.ts';
import { describeError, ValidationError } from '../shared/errors.ts';

export interface StatusEventsDeps {
  ddb: Pick<DynamoDBDocumentClient, 'send'>;
  mwaa: Pick<MWAAClient, 'send'>;
  sfn: Pick<SFNClient, 'send'>;
  deadLetters: DeadLetterSink;
  environmentsTable: string;
  waitersTable: string;
  log: Pick<Logger, 'info' | 'warn'>;
  now?: () => Date;
}

/** MWAA's statuses a workflow may wait through (NOTES.md, MWAA). */
export const WAITABLE_STATUSES = new Set([
  'CREATING',
  'PENDING',
  'UPDATING',
  'CREATING_SNAPSHOT',
  'ROLLING_BACK',
  'MAINTENANCE',
  'DELETING',
  'AVAILABLE',
]);

/** What is registered on the environment's item, and what decides whether a status wakes it. */
export interface Waiter {
  taskToken: string;
  executionArn: string;
  /** Keep waiting while the status is one of these. */
  waitWhile: string[];
  /** Upgrade only: AVAILABLE counts as "still waiting" until it reports this Airflow version. */
  targetVersion?: string;
}

export interface ObservedStatus {
  /** MWAA's status; DELETED when GetEnvironment says the environment does not exist. */
  status: string;
  airflowVersion: string;
}

/** How long an unanswered waiter is kept (StatusWaitersTable TTL). */
export const WAITER_TTL_SECONDS = 24 * 3600;

/** MWAA environment names (CreateEnvironment's Name pattern, 1–80 characters). */
const ENVIRONMENT_NAME = /^[a-zA-Z][0-9a-zA-Z_-]{0,79}$/;

/** Does `observed` end the wait of `waiter`? */
export function wakes(
  waiter: Pick<Waiter, 'waitWhile' | 'targetVersion'>,
  observed: ObservedStatus,
): boolean {
  if (!waiter.waitWhile.includes(observed.status)) return true;
  // An upgrade waits through AVAILABLE on the old version (before UPDATING shows), not on the new.
  return (
    observed.status === 'AVAILABLE' &&
    waiter.targetVersion !== undefined &&
    observed.airflowVersion === waiter.targetVersion
  );
}

/** `awaitStatus`'s input → the waiter to register (ValidationError naming the bad field). */
export function parseAwaitInput(input: ActionInput): Waiter & { environment: string } {
  const environment = str(input, 'environment');
  if (!ENVIRONMENT_NAME.test(environment))
    throw new ValidationError(`"${environment}" is not an MWAA environment name`);
  const waitWhile = input.waitWhile;
  if (
    !Array.isArray(waitWhile) ||
    waitWhile.length === 0 ||
    !waitWhile.every((s) => typeof s === 'string' && WAITABLE_STATUSES.has(s))
  )
    throw new ValidationError(
      `Input field "waitWhile" must be a non-empty list of ${[...WAITABLE_STATUSES].join(', ')}`,
    );
  const target = input.targetVersion;
  if (target !== undefined && target !== null && (typeof target !== 'string' || target === ''))
    throw new ValidationError('Input field "targetVersion" must be a non-empty string when given');
  return {
    environment,
    taskToken: str(input, 'taskToken'),
    executionArn: str(input, 'executionArn'),
    waitWhile: waitWhile as string[],
    ...(typeof target === 'string' ? { targetVersion: target } : {}),
  };
}

/**
 * The environment named by a status change event: `detail.Name`, else the environment ARN in
 * `resources` (arn:…:airflow:<region>:<account>:environment/<name>). ValidationError when the
 * event is not an MWAA status change or names no environment.
 */
export function environmentOfEvent(event: unknown): string {
  if (event === null || typeof event !== 'object' || Array.isArray(event))
    throw new ValidationError('The event must be an object');
  const e = event as Record<string, unknown>;
  if (e.source !== 'aws.airflow' || e['detail-type'] !== 'MWAA Environment Status Change')
    throw new ValidationError(
      `Not an MWAA status change event (source ${JSON.stringify(e.source)}, detail-type ${JSON.stringify(e['detail-type'])})`,
    );
  const detail = e.detail;
  const fromDetail =
    detail !== null && typeof detail === 'object' ? (detail as Record<string, unknown>).Name : undefined;
  const fromArn = Array.isArray(e.resources)
    ? e.resources
        .map((r) =>
          typeof r === 'string' ? /^arn:aws[\w-]*:airflow:[^:]*:\d{12}:environment\/(.+)$/.exec(r) : null,
        )
        .find((m) => m)?.[1]
    : undefined;
  const name = typeof fromDetail === 'string' && fromDetail !== '' ? fromDetail : fromArn;
  if (name === undefined || !ENVIRONMENT_NAME.test(name))
    throw new ValidationError(
      'The event names no MWAA environment (detail.Name or an environment ARN in resources)',
    );
  return name;
}

/** GetEnvironment's status; DELETED when the environment is gone. */
export async function observeStatus(
  mwaa: StatusEventsDeps['mwaa'],
  environment: string,
): Promise<ObservedStatus> {
  try {
    const out = await mwaa.send(new GetEnvironmentCommand({ Name: environment }));
    return {
      status: out.Environment?.Status ?? 'UNKNOWN',
      airflowVersion: out.Environment?.AirflowVersion ?? '',
    };
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException')
      return { status: 'DELETED', airflowVersion: '' };
    throw error;
  }
}

/** Errors of SendTaskSuccess that mean "this task is no longer waiting": nothing to do. */
const STALE_TOKEN = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** Answer the token with `observed`; false when the task had already ended. */
async function answer(deps: StatusEventsDeps, waiter: Waiter, observed: ObservedStatus): Promise<boolean> {
  try {
    await deps.sfn.send(
      new SendTaskSuccessCommand({ taskToken: waiter.taskToken, output: JSON.stringify(observed) }),
    );
    return true;
  } catch (error) {
    if (STALE_TOKEN.has((error as Error).name)) {
      deps.log.info('waiter already ended', {
        executionArn: waiter.executionArn,
        error: (error as Error).name,
      });
      return false;
    }
    throw error;
  }
}

/**
 * `awaitStatus`: register the waiter (only while this execution holds the lock), then check once.
 */
export async function awaitStatus(input: ActionInput, deps: StatusEventsDeps) {
  const { environment, ...waiter } = parseAwaitInput(input);
  const registry = await deps.ddb.send(
    new GetCommand({
      TableName: deps.environmentsTable,
      Key: { environment },
      ConsistentRead: true,
      ProjectionExpression: '#lock.executionArn',
      ExpressionAttributeNames: { '#lock': 'lock' },
    }),
  );
  const holder = (registry.Item?.lock as { executionArn?: unknown } | undefined)?.executionArn;
  // Not the lock holder: an invocation of an earlier round that ran late (its task already timed
  // out and the workflow moved on), or a lock taken over. Registering would replace the holder's
  // waiter, so only check: the workflow still sees the status, as a poll.
  const holdsLock = holder === waiter.executionArn;
  const now = (deps.now ?? (() => new Date()))();
  if (holdsLock)
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.waitersTable,
        Item: {
          environment,
          ...waiter,
          registeredAt: now.toISOString(),
          // TTL (epoch seconds): a waiter nobody answered is gone a day later.
          expiresAt: Math.floor(now.getTime() / 1000) + WAITER_TTL_SECONDS,
        },
      }),
    );
  const observed = await observeStatus(deps.mwaa, environment);
  const woke = wakes(waiter, observed) && (await answer(deps, waiter, observed));
  deps.log.info(holdsLock ? 'waiter registered' : 'lock not held: checked without registering', {
    status: observed.status,
    answered: woke,
  });
  return { registered: holdsLock, status: observed.status, answered: woke };
}

function readWaiter(item: Record<string, unknown> | undefined): Waiter | undefined {
  const w = item as Partial<Waiter> | undefined;
  if (
    !w ||
    typeof w.taskToken !== 'string' ||
    typeof w.executionArn !== 'string' ||
    !Array.isArray(w.waitWhile)
  )
    return undefined;
  return {
    taskToken: w.taskToken,
    executionArn: w.executionArn,
    waitWhile: w.waitWhile.map(String),
    ...(typeof w.targetVersion === 'string' ? { targetVersion: w.targetVersion } : {}),
  };
}

/**
 * An `MWAA Environment Status Change` event: wake the environment's waiter if the status (read
 * again from MWAA) ends its wait. A malformed event is logged and sent to the dead-letter queue,
 * and the invocation succeeds (retrying it cannot help); AWS errors throw, so Lambda retries the
 * event and, when the retries run out, its on-failure destination keeps it.
 */
export async function handleStatusEvent(event: unknown, deps: StatusEventsDeps) {
  let environment: string;
  try {
    environment = environmentOfEvent(event);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const e = (event ?? {}) as Record<string, unknown>;
    const input = {
      id: typeof e.id === 'string' ? e.id : undefined,
      source: typeof e.source === 'string' ? e.source : undefined,
      detailType: typeof e['detail-type'] === 'string' ? e['detail-type'] : undefined,
    };
    deps.log.warn('malformed status event', { ...input, error: describeError(error).message });
    await deps.deadLetters.send({
      reason: error.message,
      errorName: error.name,
      source: 'StatusEventsFunction',
      input,
      ...(typeof event === 'object' && event !== null ? { replayEvent: event } : {}),
    });
    return { woke: false, deadLettered: true };
  }
  const item = await deps.ddb.send(
    new GetCommand({ TableName: deps.waitersTable, Key: { environment }, ConsistentRead: true }),
  );
  const waiter = readWaiter(item.Item);
  if (!waiter) {
    deps.log.info('no workflow waits on this environment', { environment });
    return { woke: false };
  }
  const observed = await observeStatus(deps.mwaa, environment);
  if (!wakes(waiter, observed)) {
    deps.log.info('status does not end the wait', { environment, status: observed.status });
    return { woke: false, status: observed.status };
  }
  const woke = await answer(deps, waiter, observed);
  deps.log.info('status event handled', {
    environment,
    status: observed.status,
    woke,
    executionArn: waiter.executionArn,
  });
  return { woke, status: observed.status };
}

/** Is this invocation a workflow step (`{ action, ... }`) rather than an EventBridge event? */
export function isActionInput(event: unknown): event is ActionInput {
  return event !== null && typeof event === 'object' && !Array.isArray(event) && 'action' in event;
}
