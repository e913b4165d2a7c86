import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  ExpressionError,
  nextFireTime,
  nextFireTimes,
  parseScheduleExpression,
} from '../../../scheduler/expression.ts';
import { fromWallTime, toWallTime } from '../../../scheduler/time-zone.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** The next `count` occurrences after `from`, as ISO strings. */
function upcoming(expression: string, from: string, count: number, timeZone = 'UTC', extra: object = {}) {
  const parsed = parseScheduleExpression(expression);
  return nextFireTimes(parsed, at(from), { timeZone, anchor: at(from), ...extra }, count).map(iso);
}

describe('Function: parseScheduleExpression / nextFireTime', () => {
  describe('cron', () => {
    it('fires daily at a fixed UTC time', () => {
      expect(upcoming('cron(0 12 * * ? *)', '2026-11-26T12:00:00Z', 2)).toEqual([
        '2026-11-27T12:00:00.000Z',
        '2026-11-28T12:00:00.000Z',
      ]);
    });

    it('handles steps, ranges and lists', () => {
      expect(upcoming('cron(0/20 8-9 * * ? *)', '2026-01-01T00:00:00Z', 7)).toEqual([
        '2026-01-01T08:00:00.000Z',
        '2026-01-01T08:20:00.000Z',
        '2026-01-01T08:40:00.000Z',
        '2026-01-01T09:00:00.000Z',
        '2026-01-01T09:20:00.000Z',
        '2026-01-01T09:40:00.000Z',
        '2026-01-02T08:00:00.000Z',
      ]);
      expect(upcoming('cron(15,45 6 * * ? *)', '2026-01-01T06:20:00Z', 2)).toEqual([
        '2026-01-01T06:45:00.000Z',
        '2026-01-02T06:15:00.000Z',
      ]);
    });

    it('numbers weekdays 1-7 from Sunday and accepts names', () => {
      // 2026-11-26 is a Thursday.
      expect(upcoming('cron(0 9 ? * MON-FRI *)', '2026-11-26T10:00:00Z', 3)).toEqual([
        '2026-11-27T09:00:00.000Z',
        '2026-11-30T09:00:00.000Z',
        '2026-12-01T09:00:00.000Z',
      ]);
      expect(upcoming('cron(0 9 ? * 1 *)', '2026-11-26T10:00:00Z', 1)).toEqual(['2026-11-29T09:00:00.000Z']);
      expect(upcoming('cron(0 9 ? * sun *)', '2026-11-26T10:00:00Z', 1)).toEqual([
        '2026-11-29T09:00:00.000Z',
      ]);
    });

    it('accepts month names and a year field', () => {
      expect(upcoming('cron(0 0 1 JAN,JUL ? 2027-2028)', '2026-01-01T00:00:00Z', 5)).toEqual([
        '2027-01-01T00:00:00.000Z',
        '2027-07-01T00:00:00.000Z',
        '2028-01-01T00:00:00.000Z',
        '2028-07-01T00:00:00.000Z',
      ]);
    });

    it('L in day-of-month is the last day, including leap Februaries', () => {
      expect(upcoming('cron(0 12 L * ? *)', '2028-01-15T00:00:00Z', 3)).toEqual([
        '2028-01-31T12:00:00.000Z',
        '2028-02-29T12:00:00.000Z',
        '2028-03-31T12:00:00.000Z',
      ]);
    });

    it('W picks the nearest weekday without leaving the month', () => {
      // 2026-02-01 is a Sunday → Monday the 2nd; 2026-08-01 is a Saturday → Monday the 3rd.
      expect(upcoming('cron(0 12 1W * ? *)', '2026-02-01T00:00:00Z', 1)).toEqual([
        '2026-02-02T12:00:00.000Z',
      ]);
      expect(upcoming('cron(0 12 1W * ? *)', '2026-08-01T00:00:00Z', 1)).toEqual([
        '2026-08-03T12:00:00.000Z',
      ]);
      // 2026-05-15 is a Friday: itself.
      expect(upcoming('cron(0 12 15W * ? *)', '2026-05-01T00:00:00Z', 1)).toEqual([
        '2026-05-15T12:00:00.000Z',
      ]);
      // 2026-05-31 is a Sunday, the last day: back to Friday the 29th.
      expect(upcoming('cron(0 12 LW * ? *)', '2026-05-01T00:00:00Z', 1)).toEqual([
        '2026-05-29T12:00:00.000Z',
      ]);
    });

    it('# in day-of-week is the n-th weekday of the month; nL the last one', () => {
      expect(upcoming('cron(0 12 ? * 6#3 *)', '2026-01-01T00:00:00Z', 2)).toEqual([
        '2026-01-16T12:00:00.000Z',
        '2026-02-20T12:00:00.000Z',
      ]);
      expect(upcoming('cron(0 12 ? * 2L *)', '2026-01-01T00:00:00Z', 2)).toEqual([
        '2026-01-26T12:00:00.000Z',
        '2026-02-23T12:00:00.000Z',
      ]);
    });

    it('returns undefined when the years run out', () => {
      const parsed = parseScheduleExpression('cron(0 0 1 1 ? 2020)');
      expect(nextFireTime(parsed, at('2026-01-01T00:00:00Z'), { anchor: 0 })).toBeUndefined();
    });

    it.each([
      'cron(0 12 * * * *)', // both day fields given
      'cron(0 12 ? * ? *)', // neither
      'cron(0 12 * *)', // too few fields
      'cron(60 12 * * ? *)', // minute out of range
      'cron(0 24 * * ? *)',
      'cron(0 12 32 * ? *)',
      'cron(0 12 ? * 8 *)',
      'cron(0 12 ? 13 * *)',
      'cron(0 12 ? * MON#6 *)',
      'cron(0/0 12 * * ? *)',
      'cron(? 12 * * ? *)',
      'cron(0 12 * * ? 1969)',
      'every day',
      'cron(0 12 * * ? *',
    ])('rejects %s', (expression) => {
      expect(() => parseScheduleExpression(expression)).toThrow(ExpressionError);
    });
  });

  describe('time zones and daylight saving time', () => {
    it('reads cron in the schedule time zone', () => {
      // Berlin is UTC+1 in winter.
      expect(upcoming('cron(0 9 * * ? *)', '2026-01-10T00:00:00Z', 1, 'Europe/Berlin')).toEqual([
        '2026-01-10T08:00:00.000Z',
      ]);
    });

    it('skips a time that does not exist when Berlin springs forward (2026-03-29 02:00 → 03:00)', () => {
      expect(upcoming('cron(30 2 * * ? *)', '2026-03-27T00:00:00Z', 3, 'Europe/Berlin')).toEqual([
        '2026-03-27T01:30:00.000Z', // CET
        '2026-03-28T01:30:00.000Z',
        '2026-03-30T00:30:00.000Z', // CEST; the 29th has no 02:30
      ]);
    });

    it('runs once, not twice, in the repeated hour when New York falls back (2026-11-01)', () => {
      expect(upcoming('cron(30 1 * * ? *)', '2026-10-31T00:00:00Z', 3, 'America/New_York')).toEqual([
        '2026-10-31T05:30:00.000Z', // EDT
        '2026-11-01T05:30:00.000Z', // first 01:30 only
        '2026-11-02T06:30:00.000Z', // EST
      ]);
    });

    it('keeps a local wall time across the change (09:00 Berlin before and after)', () => {
      expect(upcoming('cron(0 9 * * ? *)', '2026-03-28T12:00:00Z', 2, 'Europe/Berlin')).toEqual([
        '2026-03-29T07:00:00.000Z',
        '2026-03-30T07:00:00.000Z',
      ]);
    });

    it('keeps rate(1 day) at 24 elapsed hours across the change, as AWS documents', () => {
      expect(upcoming('rate(1 day)', '2026-03-28T12:00:00Z', 2, 'Europe/Berlin')).toEqual([
        '2026-03-29T12:00:00.000Z',
        '2026-03-30T12:00:00.000Z',
      ]);
    });

    it('converts wall times both ways, reporting gaps and overlaps', () => {
      expect(
        fromWallTime({ year: 2026, month: 3, day: 29, hour: 2, minute: 30, second: 0 }, 'Europe/Berlin'),
      ).toEqual([]);
      expect(
        fromWallTime(
          { year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0 },
          'America/New_York',
        ).map(iso),
      ).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z']);
      fc.assert(
        fc.property(
          fc.integer({ min: at('2000-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z') }),
          (ms) => {
            const whole = Math.floor(ms / 1000) * 1000;
            for (const zone of ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata']) {
              expect(fromWallTime(toWallTime(whole, zone), zone)).toContain(whole);
            }
          },
        ),
        { numRuns: 200 },
      );
    });

    it('rejects an unknown time zone', () => {
      const parsed = parseScheduleExpression('rate(5 minutes)');
      expect(() => nextFireTime(parsed, 0, { anchor: 0, timeZone: 'Mars/Olympus' })).toThrow(ExpressionError);
    });
  });

  describe('rate', () => {
    it('fires at anchor + k·period', () => {
      const parsed = parseScheduleExpression('rate(15 minutes)');
      const anchor = at('2026-01-01T00:00:07Z');
      expect(nextFireTimes(parsed, anchor, { anchor }, 3).map(iso)).toEqual([
        '2026-01-01T00:15:07.000Z',
        '2026-01-01T00:30:07.000Z',
        '2026-01-01T00:45:07.000Z',
      ]);
      // From just before the anchor, the anchor itself is the first occurrence.
      expect(nextFireTime(parsed, anchor - 1, { anchor })).toBe(anchor);
    });

    it('accepts hours and days, singular or plural, in the Scheduler dialect', () => {
      expect(upcoming('rate(2 hours)', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-01T02:00:00.000Z']);
      expect(upcoming('rate(1 hours)', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-01T01:00:00.000Z']);
      expect(upcoming('rate(1 day)', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-02T00:00:00.000Z']);
    });

    it('insists on the matching singular/plural unit in the rule dialect', () => {
      expect(() => parseScheduleExpression('rate(1 minutes)', { dialect: 'rule' })).toThrow(ExpressionError);
      expect(() => parseScheduleExpression('rate(5 minute)', { dialect: 'rule' })).toThrow(ExpressionError);
      expect(parseScheduleExpression('rate(1 minute)', { dialect: 'rule' }).kind).toBe('rate');
    });

    it.each(['rate(0 minutes)', 'rate(5 seconds)', 'rate(minutes)', 'rate(-1 minutes)'])(
      'rejects %s',
      (expression) => {
        expect(() => parseScheduleExpression(expression)).toThrow(ExpressionError);
      },
    );
  });

  describe('at (one-time)', () => {
    it('fires once at the wall time in its zone', () => {
      expect(upcoming('at(2026-12-01T10:00:00)', '2026-11-01T00:00:00Z', 3, 'Europe/Berlin')).toEqual([
        '2026-12-01T09:00:00.000Z',
      ]);
    });

    it('is over once its time has passed', () => {
      expect(upcoming('at(2026-12-01T10:00:00)', '2026-12-02T00:00:00Z', 1)).toEqual([]);
    });

    it('is not part of the rule dialect, and needs a real date', () => {
      expect(() => parseScheduleExpression('at(2026-12-01T10:00:00)', { dialect: 'rule' })).toThrow(
        ExpressionError,
      );
      expect(() => parseScheduleExpression('at(2026-02-30T10:00:00)')).toThrow(ExpressionError);
      expect(() => parseScheduleExpression('at(2026-12-01 10:00)')).toThrow(ExpressionError);
    });
  });

  describe('start and end dates', () => {
    it('fires no earlier than StartDate and no later than EndDate', () => {
      expect(
        upcoming('cron(0 12 * * ? *)', '2026-01-01T00:00:00Z', 5, 'UTC', {
          startDate: at('2026-01-03T00:00:00Z'),
          endDate: at('2026-01-05T12:00:00Z'),
        }),
      ).toEqual(['2026-01-03T12:00:00.000Z', '2026-01-04T12:00:00.000Z', '2026-01-05T12:00:00.000Z']);
    });
  });

  describe('properties', () => {
    it('every cron occurrence is after the start, strictly increasing, and on the listed minute', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 59 }),
          fc.integer({ min: 0, max: 23 }),
          fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2040-01-01T00:00:00Z') }),
          fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Sydney'),
          (minute, hour, from, zone) => {
            const parsed = parseScheduleExpression(`cron(${minute} ${hour} * * ? *)`);
            const times = nextFireTimes(parsed, from, { anchor: from, timeZone: zone }, 3);
            expect(times).toHaveLength(3);
            let previous = from;
            for (const time of times) {
              expect(time).toBeGreaterThan(previous);
              previous = time;
              const wall = toWallTime(time, zone);
              expect(wall.minute).toBe(minute);
              expect(wall.hour).toBe(hour);
            }
          },
        ),
        { numRuns: 60 },
      );
    });
  });
});
