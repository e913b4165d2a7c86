/**
 * The failure tail: every failure path of a workflow ends here with $.error set. It makes sure
 * the error has a Cause, releases the lock recording what went wrong, and fails the execution,
 * which the EventBridge rule on FAILED executions notifies (docs/architecture.md §6).
 */
import type { States } from '../types.ts';
import { FAILURE_RECORD, releaseLock } from './lock.ts';
import { catchAll } from './retry.ts';

/** HasFailureCause, AddFailureCause: timeouts may come without a Cause; add one, then next. */
export function ensureFailureCause(next: string): States {
  return {
    HasFailureCause: {
      Type: 'Choice',
      Comment: 'Timeouts may come without a Cause; the failure record needs one.',
      Choices: [
        { Variable: '$.error.Cause', IsPresent: false, Next: 'AddFailureCause' },
        { Variable: '$.error.Cause', IsString: true, Next: next },
      ],
      Default: 'AddFailureCause',
    },
    AddFailureCause: {
      Type: 'Pass',
      Parameters: { 'Error.$': '$.error.Error', Cause: '(no cause given)' },
      ResultPath: '$.error',
      Next: next,
    },
  };
}

/** The last state of every failure path. */
export const FAIL_WORKFLOW = 'FailWorkflow';

/** Release the lock after the failure at $.error, recorded in lastFailure; no matter what, fail. */
export function releaseLockAfterFailure(
  comment = 'Every failure path releases the lock and records what went wrong.',
): States {
  return {
    ReleaseLockAfterFailure: releaseLock({
      comment,
      set: ['lastFailure = :failure'],
      values: { ':failure': FAILURE_RECORD },
      catch: catchAll(FAIL_WORKFLOW, '$.releaseError'),
      next: FAIL_WORKFLOW,
    }),
  };
}

/** Fail with the error at $.error. */
export function failWorkflow(): States {
  return {
    [FAIL_WORKFLOW]: {
      Type: 'Fail',
      Comment: 'The EventBridge rule on FAILED executions notifies NotificationTopic.',
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    },
  };
}

/**
 * HasFailureCause → AddFailureCause → ReleaseLockAfterFailure → FailWorkflow: the tail of the
 * workflows that hold the lock. The entry state is HasFailureCause.
 */
export function failureTail(releaseComment?: string): States {
  return {
    ...ensureFailureCause('ReleaseLockAfterFailure'),
    ...releaseLockAfterFailure(releaseComment),
    ...failWorkflow(),
  };
}
