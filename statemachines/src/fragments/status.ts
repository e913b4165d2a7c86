/**
 * Waiting for MWAA (pause, resume, upgrade): an MWAA Environment Status Change event answers the
 * task token through StatusEventsFunction; with no event the wait times out after pollSeconds
 * and goes round again, and the workflow falls back to polling when no waiter can be registered
 * (docs/pause-resume.md#waiting-for-mwaa).
 */
import { type State, substitution } from '../types.ts';
import { LAMBDA_SERVICE_RETRY } from './retry.ts';

export interface AwaitStatusOptions {
  comment: string;
  /** The statuses that keep the waiter waiting. */
  waitWhile: string[];
  /** Payload fields after waitWhile, e.g. the target version. */
  payload?: Record<string, unknown>;
  /** Where a timeout (no event within pollSeconds) goes. */
  onTimeout: string;
  /** Where any other failure goes: the polling fallback. */
  fallback: string;
  next: string;
}

/** A StatusEventsFunction awaitStatus task; the status it ends on lands at $.mwaa. */
export function awaitStatus({
  comment,
  waitWhile,
  payload = {},
  onTimeout,
  fallback,
  next,
}: AwaitStatusOptions): State {
  return {
    Type: 'Task',
    Comment: comment,
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Parameters: {
      FunctionName: substitution('StatusEventsFunctionArn'),
      Payload: {
        action: 'awaitStatus',
        'taskToken.$': '$$.Task.Token',
        'executionArn.$': '$$.Execution.Id',
        'environment.$': '$.config.environment',
        waitWhile,
        ...payload,
      },
    },
    TimeoutSecondsPath: '$.config.pollSeconds',
    ResultPath: '$.mwaa',
    Retry: [LAMBDA_SERVICE_RETRY],
    Catch: [
      { ErrorEquals: ['States.Timeout'], ResultPath: null, Next: onTimeout },
      { ErrorEquals: ['States.ALL'], ResultPath: null, Next: fallback },
    ],
    Next: next,
  };
}
