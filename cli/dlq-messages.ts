/**
 * What a message in the trigger dead-letter queue says, and how to re-drive it. Pure: the
 * command and its tests share it.
 *
 * Two kinds of message arrive there:
 * - written by a trigger function (functions/shared/dead-letter.ts): `source` names the function
 *   (its template logical id) and `replayEvent` the event that tries the input again;
 * - written by Lambda's on-failure destination when an invocation ran out of retries:
 *   `requestContext.functionArn` and the original event in `requestPayload`.
 * Anything else is reported as not replayable and left in the queue.
 */

export interface DeadLetterSummary {
  messageId: string;
  /** Which kind of message this is. */
  kind: 'trigger' | 'lambda-destination' | 'unknown';
  reason: string;
  errorName?: string;
  source?: string;
  flowId?: string;
  failedAt?: string;
  /** Whether `dlq replay` can re-drive it. */
  replayable: boolean;
}

/** A re-drive: invoke `function` (a stack output name or a function ARN) with `event`. */
export type ReplayPlan =
  | { replayable: true; function: { output: string } | { arn: string }; event: unknown }
  | { replayable: false; why: string };

/** The trigger functions whose dead letters can be replayed, by `source`. */
const FUNCTION_OUTPUTS: Readonly<Record<string, string>> = {
  S3DagTriggerFunction: 'S3DagTriggerFunctionArn',
  ScheduledDagTriggerFunction: 'ScheduledDagTriggerFunctionArn',
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

function parse(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function replayPlan(body: string): ReplayPlan {
  const message = parse(body);
  if (!message) return { replayable: false, why: 'the message is not a JSON object' };
  const context = isObject(message.requestContext) ? message.requestContext : undefined;
  if (context && 'requestPayload' in message) {
    const arn = text(context.functionArn);
    if (!arn) return { replayable: false, why: 'the destination record names no function' };
    return { replayable: true, function: { arn }, event: message.requestPayload };
  }
  const source = text(message.source);
  if (source === undefined) return { replayable: false, why: 'the message names no source function' };
  const output = FUNCTION_OUTPUTS[source];
  if (!output) return { replayable: false, why: `${source} is not a trigger function` };
  if (!('replayEvent' in message) || message.replayEvent === undefined) {
    return {
      replayable: false,
      why: 'the message holds no replayEvent (nothing of the input could be read)',
    };
  }
  return { replayable: true, function: { output }, event: message.replayEvent };
}

export function summarize(messageId: string, body: string): DeadLetterSummary {
  const message = parse(body);
  const plan = replayPlan(body);
  if (!message) return { messageId, kind: 'unknown', reason: body.slice(0, 200), replayable: false };
  const context = isObject(message.requestContext) ? message.requestContext : undefined;
  if (context && 'requestPayload' in message) {
    const response = isObject(message.responsePayload) ? message.responsePayload : {};
    const arn = text(context.functionArn) ?? '';
    return {
      messageId,
      kind: 'lambda-destination',
      reason: `${text(context.condition) ?? 'failed'}: ${text(response.errorMessage) ?? 'no error message'}`,
      ...(text(response.errorType) ? { errorName: text(response.errorType) } : {}),
      source: arn.split(':function:')[1]?.split(':')[0] ?? arn,
      ...(text(message.timestamp) ? { failedAt: text(message.timestamp) } : {}),
      replayable: plan.replayable,
    };
  }
  return {
    messageId,
    kind: text(message.source) ? 'trigger' : 'unknown',
    reason: text(message.reason) ?? '(no reason)',
    ...(text(message.errorName) ? { errorName: text(message.errorName) } : {}),
    ...(text(message.source) ? { source: text(message.source) } : {}),
    ...(text(message.flowId) ? { flowId: text(message.flowId) } : {}),
    ...(text(message.failedAt) ? { failedAt: text(message.failedAt) } : {}),
    replayable: plan.replayable,
  };
}

/** What a replayed invocation answered, in one phrase (the functions return their summary). */
export function describeOutcome(payload: unknown): string {
  if (!isObject(payload)) return 'done';
  if (typeof payload.outcome === 'string') {
    return typeof payload.runId === 'string' ? `${payload.outcome} ${payload.runId}` : payload.outcome;
  }
  const counts = ['triggered', 'alreadyTriggered', 'deadLettered', 'unmatched', 'disabled']
    .filter((key) => typeof payload[key] === 'number' && (payload[key] as number) > 0)
    .map((key) => `${key} ${payload[key]}`);
  return counts.length > 0 ? counts.join(', ') : 'nothing to do';
}

/** Whether the replay itself ended in the dead-letter queue again (the function wrote a new message). */
export function deadLetteredAgain(payload: unknown): boolean {
  if (!isObject(payload)) return false;
  return (
    payload.outcome === 'dead-lettered' ||
    (typeof payload.deadLettered === 'number' && payload.deadLettered > 0)
  );
}
