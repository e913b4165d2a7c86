/**
 * Errors StatusEventsFunction throws. Their names are the contract with the pause, resume and
 * upgrade state machines (their Catch on the wait task matches on them) — never rename one
 * without the ASL.
 */
import { type ErrorContext, MwaaOpsError } from '../shared/errors.ts';

type Options = { cause?: unknown; context?: ErrorContext };

/**
 * The waiter could not be registered because the lock is not this execution's: another
 * execution took it over (a stale-lock takeover) and must not be woken by our token, nor ours
 * overwrite its waiter.
 */
export class WaiterLockLostError extends MwaaOpsError {
  constructor(message: string, options: Options = {}) {
    super(message, options);
    this.name = 'WaiterLockLostError';
  }
}
