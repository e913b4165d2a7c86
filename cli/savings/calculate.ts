/**
 * The savings arithmetic, free of I/O: from the environment's state changes (PAUSED at t1,
 * RUNNING at t2, ...) to hours paused and running inside a report window, and from hours and
 * hourly prices to money.
 *
 *   window        |<------------------------------------------------>|
 *   changes   R ..... P(t1) ........ R(t2) ....... P(t3) .............
 *   state     running  | paused      | running     | paused          |
 *
 * The state before the first change inside the window is the state of the last change before
 * it; without one, the opposite of the first change (a PAUSED change means it was running).
 */
import { HOURS_PER_MONTH } from './prices.ts';

export type EnvironmentState = 'PAUSED' | 'RUNNING';

/** The environment became `state` at `at` (ms since the epoch). */
export interface Transition {
  readonly state: EnvironmentState;
  readonly at: number;
}

export interface Interval {
  readonly state: EnvironmentState;
  readonly start: number;
  readonly end: number;
}

const HOUR_MS = 3_600_000;

/**
 * The window cut into intervals of one state each. `transitions` may be in any order and may
 * reach outside the window; `initial` is the state before the first known transition, when
 * something else (the registry) knows it.
 */
export function intervalsInWindow(
  transitions: readonly Transition[],
  window: { readonly start: number; readonly end: number },
  initial?: EnvironmentState,
): Interval[] {
  if (!(window.end > window.start)) return [];
  const sorted = [...transitions].sort((a, b) => a.at - b.at);
  const before = sorted.filter((t) => t.at <= window.start).at(-1);
  const inside = sorted.filter((t) => t.at > window.start && t.at < window.end);
  const first = inside[0];
  let state: EnvironmentState | undefined =
    before?.state ?? initial ?? (first ? (first.state === 'PAUSED' ? 'RUNNING' : 'PAUSED') : undefined);
  if (state === undefined) return [];
  const intervals: Interval[] = [];
  let start = window.start;
  for (const change of inside) {
    // Two changes to the same state in a row (a retried record, a no-op resume) change nothing.
    if (change.state === state) continue;
    if (change.at > start) intervals.push({ state, start, end: change.at });
    state = change.state;
    start = change.at;
  }
  intervals.push({ state, start, end: window.end });
  return intervals;
}

export interface Hours {
  readonly paused: number;
  readonly running: number;
}

export function hoursByState(intervals: readonly Interval[]): Hours {
  let paused = 0;
  let running = 0;
  for (const interval of intervals) {
    const hours = (interval.end - interval.start) / HOUR_MS;
    if (interval.state === 'PAUSED') paused += hours;
    else running += hours;
  }
  return { paused, running };
}

/** Hours per UTC day (for the chart): each interval split at midnights. */
export function dailyHours(intervals: readonly Interval[]): Array<{ day: string } & Hours> {
  const days = new Map<string, { paused: number; running: number }>();
  for (const interval of intervals) {
    let start = interval.start;
    while (start < interval.end) {
      const midnight = new Date(start);
      midnight.setUTCHours(24, 0, 0, 0);
      const end = Math.min(interval.end, midnight.getTime());
      const day = new Date(start).toISOString().slice(0, 10);
      const entry = days.get(day) ?? { paused: 0, running: 0 };
      if (interval.state === 'PAUSED') entry.paused += (end - start) / HOUR_MS;
      else entry.running += (end - start) / HOUR_MS;
      days.set(day, entry);
      start = end;
    }
  }
  return [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, h]) => ({ day, ...h }));
}

/** What the environment costs per hour while it exists, and while it is paused. */
export interface PriceInputs {
  /** The environment class's hourly price. */
  readonly environmentHourly: number;
  readonly extraWorkers?: number;
  readonly workerHourly?: number;
  readonly extraSchedulers?: number;
  readonly schedulerHourly?: number;
  readonly extraWebservers?: number;
  readonly webserverHourly?: number;
  /** Metadata database size and its price per GB-month (billed while the environment exists). */
  readonly storageGb?: number;
  readonly storagePerGbMonth?: number;
  /** Anything still paid while paused (for example the backups' S3 storage), per hour. Default 0. */
  readonly pausedHourly?: number;
}

/** The hourly price of a running environment: the class plus extra capacity plus storage. */
export function runningHourly(prices: PriceInputs): number {
  return (
    prices.environmentHourly +
    (prices.extraWorkers ?? 0) * (prices.workerHourly ?? 0) +
    (prices.extraSchedulers ?? 0) * (prices.schedulerHourly ?? 0) +
    (prices.extraWebservers ?? 0) * (prices.webserverHourly ?? 0) +
    ((prices.storageGb ?? 0) * (prices.storagePerGbMonth ?? 0)) / HOURS_PER_MONTH
  );
}

export interface Savings extends Hours {
  readonly runningHourly: number;
  readonly pausedHourly: number;
  /** What the window would have cost running all the time. */
  readonly costAlwaysOn: number;
  /** What it cost with the pauses. */
  readonly costWithPauses: number;
  readonly saved: number;
  /** `saved / costAlwaysOn` as a percentage (0 when nothing was billed). */
  readonly savedPercent: number;
}

export function savings(hours: Hours, prices: PriceInputs): Savings {
  const running = runningHourly(prices);
  const paused = prices.pausedHourly ?? 0;
  const costAlwaysOn = (hours.paused + hours.running) * running;
  const costWithPauses = hours.running * running + hours.paused * paused;
  const saved = costAlwaysOn - costWithPauses;
  return {
    ...hours,
    runningHourly: running,
    pausedHourly: paused,
    costAlwaysOn,
    costWithPauses,
    saved,
    savedPercent: costAlwaysOn > 0 ? (saved / costAlwaysOn) * 100 : 0,
  };
}
