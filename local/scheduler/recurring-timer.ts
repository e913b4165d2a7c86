/**
 * Run a callback at each occurrence of a schedule on the emulated clock. Shared by Scheduler
 * schedules and EventBridge scheduled rules.
 */
import type { Clock } from '../core/clock.ts';

/** Node timers overflow past ~24.8 days; longer waits are taken in hops and re-checked. */
const MAX_REAL_DELAY_MS = 2 ** 30;

/**
 * Fire `fire(scheduledTime)` at every time `next` names, starting after `from`. `next(after)`
 * returns the first occurrence strictly after `after`, or undefined when the schedule is over.
 * Returns a stop function.
 */
export function runRecurring(
  clock: Clock,
  from: number,
  next: (after: number) => number | undefined,
  fire: (scheduledTime: number) => void,
): () => void {
  let stopped = false;
  let cancel: () => void = () => {};
  const arm = (after: number) => {
    const at = next(after);
    if (stopped || at === undefined) return;
    const wait = () => {
      if (stopped) return;
      const remaining = at - clock.now();
      if (remaining > 0) {
        cancel = clock.after(Math.min(remaining, MAX_REAL_DELAY_MS * clock.speed), wait);
        return;
      }
      fire(at);
      arm(at);
    };
    // Always fire from a timer, never synchronously from the caller (e.g. during start-up).
    cancel = clock.after(Math.max(0, Math.min(at - clock.now(), MAX_REAL_DELAY_MS * clock.speed)), wait);
  };
  arm(from);
  return () => {
    stopped = true;
    cancel();
  };
}
