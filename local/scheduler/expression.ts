/**
 * Schedule expressions shared by EventBridge Scheduler and EventBridge scheduled rules:
 * `cron(...)`, `rate(n unit)` and `at(yyyy-mm-ddThh:mm:ss)`, each evaluated in a time zone
 * (rules always use UTC). `nextFireTime` is the only question the emulators ask.
 */
import { type CronSpec, nextCronTime, parseCron } from './cron.ts';
import { ExpressionError } from './expression-error.ts';
import { fromWallTime, isValidTimeZone } from './time-zone.ts';

export { ExpressionError } from './expression-error.ts';

export type ScheduleExpression =
  | { kind: 'cron'; text: string; cron: CronSpec }
  | { kind: 'rate'; text: string; periodMs: number }
  | {
      kind: 'at';
      text: string;
      wall: { year: number; month: number; day: number; hour: number; minute: number; second: number };
    };

export interface ParseOptions {
  /**
   * EventBridge rules insist on `rate(1 minute)` but `rate(5 minutes)`; Scheduler accepts either
   * form, and has no `at(...)`. Default: Scheduler rules.
   */
  dialect?: 'scheduler' | 'rule';
}

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** Parse a schedule expression; throws {@link ExpressionError} with an AWS-like reason. */
export function parseScheduleExpression(text: string, options: ParseOptions = {}): ScheduleExpression {
  const dialect = options.dialect ?? 'scheduler';
  const match = /^(cron|rate|at)\((.*)\)$/.exec(text.trim());
  if (!match) throw new ExpressionError(`Invalid Schedule Expression ${text}.`);
  const [, kind, body = ''] = match;
  if (kind === 'cron') return { kind, text, cron: parseCron(body) };
  if (kind === 'rate') {
    const rate = /^(\d+)\s+(minute|minutes|hour|hours|day|days)$/.exec(body.trim());
    if (!rate) throw new ExpressionError(`Invalid Schedule Expression ${text}.`);
    const value = Number(rate[1]);
    const unitText = rate[2] ?? 'minutes';
    const singular = !unitText.endsWith('s');
    if (value < 1) throw new ExpressionError(`Invalid Schedule Expression ${text}: rate must be positive.`);
    if (dialect === 'rule' && singular !== (value === 1)) {
      throw new ExpressionError(
        `Parameter ScheduleExpression is not valid: use the singular unit for 1 and the plural otherwise (${text}).`,
      );
    }
    const unit = (singular ? unitText : unitText.slice(0, -1)) as keyof typeof UNIT_MS;
    return { kind, text, periodMs: value * UNIT_MS[unit] };
  }
  if (dialect === 'rule') throw new ExpressionError(`Parameter ScheduleExpression is not valid (${text}).`);
  const at = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body.trim());
  if (!at) throw new ExpressionError(`Invalid Schedule Expression ${text}.`);
  const [year, month, day, hour, minute, second] = at.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59) {
    throw new ExpressionError(`Invalid Schedule Expression ${text}.`);
  }
  return { kind: 'at', text, wall: { year, month, day, hour, minute, second } };
}

export interface FireWindow {
  /** IANA zone the expression is read in; default UTC. */
  timeZone?: string;
  /** Rate schedules count from here (the schedule's StartDate, or when it was created). */
  anchor: number;
  /** No occurrence before this instant (StartDate). */
  startDate?: number;
  /** No occurrence after this instant (EndDate). */
  endDate?: number;
}

/**
 * The first occurrence strictly after `after` (epoch ms), or undefined when the schedule is
 * over. Rate schedules fire at `anchor + k·period` (k ≥ 0), in elapsed time, so a `rate(1 day)`
 * stays 24 hours apart across a daylight saving change, as AWS documents.
 */
export function nextFireTime(
  expression: ScheduleExpression,
  after: number,
  window: FireWindow,
): number | undefined {
  const timeZone = window.timeZone || 'UTC';
  if (!isValidTimeZone(timeZone)) throw new ExpressionError(`Invalid time zone ${timeZone}.`);
  const from = Math.max(after, (window.startDate ?? Number.NEGATIVE_INFINITY) - 1);
  let next: number | undefined;
  if (expression.kind === 'cron') {
    next = nextCronTime(expression.cron, from, timeZone);
  } else if (expression.kind === 'rate') {
    const k = Math.max(0, Math.floor((from - window.anchor) / expression.periodMs) + 1);
    next = window.anchor + k * expression.periodMs;
  } else {
    // A one-time schedule inside a spring-forward gap still runs: at the shifted instant.
    const instants = fromWallTime(expression.wall, timeZone);
    const instant =
      instants[0] ?? fromWallTime({ ...expression.wall, hour: expression.wall.hour + 1 }, timeZone)[0];
    next = instant !== undefined && instant > from ? instant : undefined;
  }
  if (next === undefined || (window.endDate !== undefined && next > window.endDate)) return undefined;
  return next;
}

/** The next `count` occurrences after `after`. */
export function nextFireTimes(
  expression: ScheduleExpression,
  after: number,
  window: FireWindow,
  count: number,
): number[] {
  const times: number[] = [];
  let cursor = after;
  while (times.length < count) {
    const next = nextFireTime(expression, cursor, window);
    if (next === undefined) break;
    times.push(next);
    cursor = next;
  }
  return times;
}
