/**
 * The `{ action, ... }` pattern shared by the workflow step functions (MetadataTransferFunction,
 * EnvironmentOpsFunction): one Lambda, several Step Functions tasks, chosen by `input.action`.
 */
import { ValidationError } from './errors.ts';
import { logger, withObservability } from './observability.ts';

/** A workflow step's input: the task's Parameters, always an object. */
export type ActionInput = Record<string, unknown>;

/** `input[field]` as a non-empty string; ValidationError naming the field otherwise. */
export function requiredString(input: ActionInput, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value.trim() === '')
    throw new ValidationError(`Input field "${field}" must be a non-empty string`, { context: { field } });
  return value;
}

/** The actions a function offers, by name. */
export type ActionTable<TDeps> = Readonly<Record<string, (input: ActionInput, deps: TDeps) => unknown>>;

/**
 * Run `actions[event.action]` with the event as input. Throws ValidationError when the event is
 * not an object or names no known action (the message lists the known ones).
 */
export async function dispatchAction<TDeps>(
  actions: ActionTable<TDeps>,
  event: unknown,
  deps: TDeps,
): Promise<unknown> {
  if (event === null || typeof event !== 'object' || Array.isArray(event))
    throw new ValidationError('The input must be an object with an "action"');
  const input = event as ActionInput;
  const action = input.action;
  if (typeof action !== 'string' || !Object.hasOwn(actions, action))
    throw new ValidationError(
      `Unknown action ${JSON.stringify(action)}; expected one of ${Object.keys(actions).join(', ')}`,
    );
  return (actions[action] as ActionTable<TDeps>[string])(input, deps);
}

/**
 * The Lambda handler for an action-dispatching function: correlation ids (action, environment,
 * execution ARN) on every log line, one line when the action is done or failed. Only those ids
 * are logged: the input may carry a task token, which never reaches a log.
 */
export function actionHandler(run: (event: unknown) => Promise<unknown>) {
  return withObservability(async (event: unknown) => {
    const input = (event ?? {}) as Record<string, unknown>;
    logger.appendKeys({
      action: typeof input.action === 'string' ? input.action : undefined,
      environment: typeof input.environment === 'string' ? input.environment : undefined,
      executionArn: typeof input.executionArn === 'string' ? input.executionArn : undefined,
    });
    // A failure is logged once, with its stack, by withObservability ('invocation failed').
    const result = await run(event);
    logger.info('action done');
    return result;
  });
}
