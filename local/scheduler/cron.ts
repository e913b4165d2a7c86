/**
 * AWS's six-field cron (`cron(minutes hours day-of-month month day-of-week year)`), as
 * EventBridge rules and EventBridge Scheduler read it: `,` `-` `*` `/` everywhere, `?` in exactly
 * one of day-of-month / day-of-week, `L` and `W` in day-of-month, `L` and `#` in day-of-week,
 * day-of-week 1–7 with 1 = Sunday, month and weekday names. Evaluated in a time zone: wall times
 * inside a spring-forward gap are skipped, wall times inside a fall-back overlap fire once.
 */
import { ExpressionError } from './expression-error.ts';
import { fromWallTime, toWallTime } from './time-zone.ts';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MAX_YEAR = 2199;

/** A day-of-month or day-of-week test for one calendar day. */
type DayTest = (year: number, month: number, day: number) => boolean;

export interface CronSpec {
  minutes: number[];
  hours: number[];
  months: Set<number>;
  years: Set<number>;
  /** Matches the day-of-month and day-of-week fields (one of them is `?`). */
  dayMatches: DayTest;
}

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** 1 = Sunday … 7 = Saturday, AWS numbering. */
const weekday = (year: number, month: number, day: number) =>
  new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

function fail(field: string, text: string, why: string): never {
  throw new ExpressionError(`Invalid cron ${field} field '${text}': ${why}`);
}

function parseValue(field: string, text: string, names: string[] | undefined, min: number, max: number) {
  const upper = text.toUpperCase();
  const named = names?.indexOf(upper) ?? -1;
  const value = named >= 0 ? named + min : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) fail(field, text, `expected ${min}-${max}`);
  return value;
}

/** Values of a plain numeric field: `*`, `a`, `a-b` (wrapping), `a/s`, `a-b/s`, `*∕s`, lists. */
function parseNumericField(
  field: string,
  text: string,
  min: number,
  max: number,
  names?: string[],
): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') fail(field, text, 'empty list item');
    const [range = '', stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) fail(field, text, 'bad step');
    let start: number;
    let end: number;
    if (range === '*') {
      start = min;
      end = max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      start = parseValue(field, a, names, min, max);
      end = parseValue(field, b, names, min, max);
    } else {
      start = parseValue(field, range, names, min, max);
      // `5/15` means "from 5, every 15"; a bare value is just itself.
      end = stepText === undefined ? start : max;
    }
    const span = end >= start ? end - start : max - start + 1 + (end - min);
    for (let offset = 0; offset <= span; offset += step) {
      values.add(start + offset <= max ? start + offset : min + (start + offset - max - 1));
    }
  }
  return values;
}

function parseDayOfMonth(text: string): DayTest {
  const tests: DayTest[] = [];
  for (const item of text.split(',')) {
    const upper = item.toUpperCase();
    if (upper === 'L') {
      tests.push((y, m, d) => d === daysInMonth(y, m));
    } else if (/^L-\d+$/.test(upper)) {
      const back = Number(upper.slice(2));
      if (back > 30) fail('day-of-month', text, 'offset too large');
      tests.push((y, m, d) => d === daysInMonth(y, m) - back);
    } else if (upper === 'LW') {
      tests.push((y, m, d) => d === nearestWeekday(y, m, daysInMonth(y, m)));
    } else if (/^\d+W$/.test(upper)) {
      const target = parseValue('day-of-month', upper.slice(0, -1), undefined, 1, 31);
      tests.push((y, m, d) => target <= daysInMonth(y, m) && d === nearestWeekday(y, m, target));
    } else {
      const days = parseNumericField('day-of-month', item, 1, 31);
      tests.push((_y, _m, d) => days.has(d));
    }
  }
  return (y, m, d) => tests.some((test) => test(y, m, d));
}

/** The weekday nearest to `target` without leaving the month (the `W` rule). */
function nearestWeekday(year: number, month: number, target: number): number {
  const dow = weekday(year, month, target);
  if (dow === 7) return target === 1 ? 3 : target - 1; // Saturday → Friday, or Monday the 3rd
  if (dow === 1) return target === daysInMonth(year, month) ? target - 2 : target + 1; // Sunday → Monday
  return target;
}

function parseDayOfWeek(text: string): DayTest {
  const tests: DayTest[] = [];
  for (const item of text.split(',')) {
    const upper = item.toUpperCase();
    if (upper === 'L') {
      tests.push((y, m, d) => weekday(y, m, d) === 7);
    } else if (/^[A-Z0-9]+L$/.test(upper)) {
      const dow = parseValue('day-of-week', upper.slice(0, -1), WEEKDAYS, 1, 7);
      tests.push((y, m, d) => weekday(y, m, d) === dow && d + 7 > daysInMonth(y, m));
    } else if (upper.includes('#')) {
      const [dowText = '', nthText = ''] = upper.split('#');
      const dow = parseValue('day-of-week', dowText, WEEKDAYS, 1, 7);
      const nth = parseValue('day-of-week', nthText, undefined, 1, 5);
      tests.push((y, m, d) => weekday(y, m, d) === dow && Math.ceil(d / 7) === nth);
    } else {
      const days = parseNumericField('day-of-week', item, 1, 7, WEEKDAYS);
      tests.push((y, m, d) => days.has(weekday(y, m, d)));
    }
  }
  return (y, m, d) => tests.some((test) => test(y, m, d));
}

/** Parse the inside of `cron(...)`. Throws {@link ExpressionError} on anything AWS would reject. */
export function parseCron(body: string): CronSpec {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new ExpressionError(`Invalid cron expression '${body}': expected 6 fields, got ${fields.length}`);
  }
  const [minutes = '', hours = '', dom = '', month = '', dow = '', year = ''] = fields;
  if ((dom === '?') === (dow === '?')) {
    throw new ExpressionError(
      `Invalid cron expression '${body}': exactly one of day-of-month and day-of-week must be '?'`,
    );
  }
  for (const [name, text] of [
    ['minutes', minutes],
    ['hours', hours],
    ['month', month],
    ['year', year],
  ] as const) {
    if (text === '?') fail(name, text, "'?' is only allowed in day-of-month or day-of-week");
  }
  const dayMatches = dom === '?' ? parseDayOfWeek(dow) : parseDayOfMonth(dom);
  return {
    minutes: [...parseNumericField('minutes', minutes, 0, 59)].sort((a, b) => a - b),
    hours: [...parseNumericField('hours', hours, 0, 23)].sort((a, b) => a - b),
    months: parseNumericField('month', month, 1, 12, MONTHS),
    years: parseNumericField('year', year, 1970, MAX_YEAR),
    dayMatches,
  };
}

/**
 * The first instant strictly after `after` (epoch ms) that `spec` names in `timeZone`, or
 * undefined when there is none before the year 2200.
 */
export function nextCronTime(spec: CronSpec, after: number, timeZone: string): number | undefined {
  const start = toWallTime(after, timeZone);
  let year = start.year;
  let month = start.month;
  let day = start.day;
  const lastYear = Math.min(MAX_YEAR, Math.max(...spec.years));
  while (year <= lastYear) {
    if (!spec.years.has(year)) {
      year += 1;
      month = 1;
      day = 1;
      continue;
    }
    if (!spec.months.has(month)) {
      [year, month, day] = month === 12 ? [year + 1, 1, 1] : [year, month + 1, 1];
      continue;
    }
    if (spec.dayMatches(year, month, day)) {
      const firstDay = year === start.year && month === start.month && day === start.day;
      for (const hour of spec.hours) {
        // Hours well before the start cannot come after it (overlaps repeat at most an hour).
        if (firstDay && hour < start.hour - 1) continue;
        for (const minute of spec.minutes) {
          // Gap: no instant, skipped. Overlap: the earlier instant only, so it fires once.
          const instant = fromWallTime({ year, month, day, hour, minute, second: 0 }, timeZone)[0];
          if (instant !== undefined && instant > after) return instant;
        }
      }
    }
    if (day >= daysInMonth(year, month)) {
      [year, month, day] = month === 12 ? [year + 1, 1, 1] : [year, month + 1, 1];
    } else {
      day += 1;
    }
  }
  return undefined;
}
