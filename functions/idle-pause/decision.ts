/**
 * Is an environment idle enough to pause, and when must it be back? Pure: the Airflow data is
 * read elsewhere (airflow-state.ts) and "now" is a parameter. docs/pause-resume.md#idle-aware-pausing
 *
 *   now ──────────── window ────────────┤
 *   │  no run running/queued             │  earliest next run of an unpaused DAG must lie beyond
 *   │                                    │
 *   ├── pause (export, delete ≈ 30 min) ─┼──── paused ────┤ resume (create ≈ 20–30 min, import) ┤ due
 *                                                          └──────────── lead ───────────────────┘
 */
import { ValidationError } from '../shared/errors.ts';

/** One DAG as the decision needs it (Airflow 2 and 3 names are mapped in airflow-state.ts). */
export interface DagSchedule {
  dagId: string;
  paused: boolean;
  /** false for a DAG whose file is gone (Airflow 2 `is_active: false`, Airflow 3 `is_stale`). */
  active: boolean;
  /**
   * When the scheduler will create the DAG's next run (Airflow 2 `next_dagrun_create_after`,
   * Airflow 3 `next_dagrun_run_after`), ISO 8601; null when Airflow cannot say (no schedule,
   * dataset/asset-triggered, past its end_date).
   */
  nextRunAfter: string | null;
}

/** What to do with DAGs whose next run Airflow cannot predict. */
export type UnpredictablePolicy = 'ignore' | 'block';

export interface IdleSettings {
  /** Pause only if no unpaused DAG is due within this many minutes. */
  windowMinutes: number;
  /** Start the resume this many minutes before the earliest due run. */
  leadMinutes: number;
  unpredictable: UnpredictablePolicy;
}

/**
 * Defaults. The lead covers MWAA's CreateEnvironment (20–30 minutes, longer with large
 * requirements) plus the import, with margin; the window must leave room for the pause itself.
 */
export const DEFAULT_IDLE_SETTINGS: IdleSettings = {
  windowMinutes: 120,
  leadMinutes: 45,
  unpredictable: 'ignore',
};

/**
 * The resume may not start before the pause has finished (export + DeleteEnvironment ≈ 30 min):
 * a resume that finds the pause still holding the lock fails, and the environment would then
 * stay paused past its due run. So the resume time must be at least this far ahead of the check,
 * which is what `windowMinutes ≥ leadMinutes + MIN_PAUSE_MINUTES` guarantees.
 */
export const MIN_PAUSE_MINUTES = 60;

const MAX_MINUTES = 7 * 24 * 60;

export type StayReason = 'runs-active' | 'no-dags' | 'unpredictable-dag' | 'due-within-window';

export type IdleDecision =
  | {
      pause: false;
      reason: StayReason;
      /** The DAG that decided it (due soon, or unpredictable), when there is one. */
      dagId: string | null;
      nextDueAt: string | null;
    }
  | {
      pause: true;
      /** Earliest next run of an unpaused DAG; null when none is scheduled (nothing to resume for). */
      nextDueAt: string | null;
      dagId: string | null;
      /** When the resume must start (nextDueAt − lead), rounded down to the minute; null with nextDueAt. */
      resumeAt: string | null;
    };

const MINUTE = 60_000;

function wholeMinutes(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_MINUTES)
    throw new ValidationError(`${field} must be a whole number of minutes from ${min} to ${MAX_MINUTES}`, {
      context: { field },
    });
  return value;
}

/** Settings from an input object (absent fields take the defaults); ValidationError when wrong. */
export function idleSettings(input: Record<string, unknown>): IdleSettings {
  const windowMinutes = wholeMinutes(
    input.windowMinutes ?? DEFAULT_IDLE_SETTINGS.windowMinutes,
    'windowMinutes',
    1,
  );
  const leadMinutes = wholeMinutes(input.leadMinutes ?? DEFAULT_IDLE_SETTINGS.leadMinutes, 'leadMinutes', 1);
  const unpredictable = input.unpredictable ?? DEFAULT_IDLE_SETTINGS.unpredictable;
  if (unpredictable !== 'ignore' && unpredictable !== 'block')
    throw new ValidationError('unpredictable must be "ignore" or "block"', {
      context: { field: 'unpredictable' },
    });
  if (windowMinutes < leadMinutes + MIN_PAUSE_MINUTES)
    throw new ValidationError(
      `windowMinutes (${windowMinutes}) must be at least leadMinutes (${leadMinutes}) + ${MIN_PAUSE_MINUTES}: the resume may not start before the pause has finished`,
      { context: { field: 'windowMinutes' } },
    );
  return { windowMinutes, leadMinutes, unpredictable };
}

/**
 * Pause or stay? Fails safe: anything it cannot read as a time counts as due now.
 *
 * - a running or queued run (any DAG, the transfer DAGs included) → stay;
 * - no active DAG at all → stay: right after a resume the scheduler has not parsed the DAG files
 *   yet, and an empty list must not read as "idle" and pause the environment again at once;
 * - paused and inactive DAGs are ignored: they create no runs;
 * - an unpaused DAG without a next run time (no schedule, dataset/asset-triggered) is ignored,
 *   or, with `unpredictable: 'block'`, keeps the environment running;
 * - an unpaused DAG due within the window (or overdue: a catch-up backlog, a scheduler behind)
 *   → stay.
 */
export function decideIdle(
  now: Date,
  dags: readonly DagSchedule[],
  activeRuns: number,
  settings: IdleSettings,
): IdleDecision {
  if (activeRuns > 0) return { pause: false, reason: 'runs-active', dagId: null, nextDueAt: null };
  const active = dags.filter((d) => d.active);
  if (active.length === 0) return { pause: false, reason: 'no-dags', dagId: null, nextDueAt: null };
  let earliest: { dagId: string; at: number } | undefined;
  for (const dag of active) {
    if (dag.paused) continue;
    if (dag.nextRunAfter === null) {
      if (settings.unpredictable === 'block')
        return { pause: false, reason: 'unpredictable-dag', dagId: dag.dagId, nextDueAt: null };
      continue;
    }
    const parsed = Date.parse(dag.nextRunAfter);
    const at = Number.isNaN(parsed) ? now.getTime() : parsed;
    if (earliest === undefined || at < earliest.at) earliest = { dagId: dag.dagId, at };
  }
  if (earliest === undefined) return { pause: true, nextDueAt: null, dagId: null, resumeAt: null };
  const nextDueAt = new Date(earliest.at).toISOString();
  if (earliest.at - now.getTime() < settings.windowMinutes * MINUTE)
    return { pause: false, reason: 'due-within-window', dagId: earliest.dagId, nextDueAt };
  const resume = Math.floor((earliest.at - settings.leadMinutes * MINUTE) / MINUTE) * MINUTE;
  return { pause: true, nextDueAt, dagId: earliest.dagId, resumeAt: new Date(resume).toISOString() };
}

/** EventBridge Scheduler's one-time expression for an instant, in UTC: `at(yyyy-mm-ddThh:mm:ss)`. */
export function atExpression(iso: string): string {
  return `at(${new Date(iso).toISOString().slice(0, 19)})`;
}
