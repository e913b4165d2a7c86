import { describe, expect, it } from '@jest/globals';
import {
  dailyHours,
  hoursByState,
  intervalsInWindow,
  runningHourly,
  savings,
  type Transition,
} from '../../../../cli/savings/calculate.ts';
import { historyKey, monthsBetween, transitionsFromItems } from '../../../../cli/savings/history.ts';
import { DEFAULT_PRICES } from '../../../../cli/savings/prices.ts';

const t = (iso: string) => Date.parse(iso);
const H = 3_600_000;

/** Resume at 08:00 and pause at 20:00 UTC on every weekday between two dates. */
function weekdaySchedule(from: string, to: string): Transition[] {
  const out: Transition[] = [];
  for (let day = t(from); day < t(to); day += 24 * H) {
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    out.push({ state: 'RUNNING', at: day + 8 * H }, { state: 'PAUSED', at: day + 20 * H });
  }
  return out;
}

describe('savings: the reference figure', () => {
  // The seed's reference: an mw1.small environment running 12 hours on weekdays saves 65.46%.
  // Assumptions that reproduce it exactly (docs/savings.md): a month of 30.4 days (729.6 h),
  // 21 weekdays of 12 running hours (252 h), one hourly price for the whole environment (it
  // cancels out of the percentage; $0.49 for mw1.small), nothing billed while paused.
  it('reproduces 65.46% for 12 h on weekdays, small environment, from real transitions', () => {
    // Saturday 12:00 + 30.4 days = Monday 21:36: 21 whole weekdays (Dec 7 .. Jan 1, Jan 4).
    const window = { start: t('2026-12-05T12:00:00Z'), end: t('2026-12-05T12:00:00Z') + 30.4 * 24 * H };
    expect(new Date(window.end).toISOString()).toBe('2027-01-04T21:36:00.000Z');
    const intervals = intervalsInWindow(
      weekdaySchedule('2026-11-30T00:00:00Z', '2027-01-10T00:00:00Z'),
      window,
    );
    const hours = hoursByState(intervals);
    expect(hours.running).toBeCloseTo(252, 9);
    expect(hours.paused).toBeCloseTo(477.6, 9);
    const result = savings(hours, { environmentHourly: DEFAULT_PRICES['mw1.small']!.environment });
    expect(result.savedPercent.toFixed(2)).toBe('65.46');
    expect(result.costAlwaysOn).toBeCloseTo(357.504, 9);
    expect(result.costWithPauses).toBeCloseTo(123.48, 9);
    expect(result.saved).toBeCloseTo(234.024, 9);
  });
});

describe('savings: intervals in a window', () => {
  const window = { start: t('2026-12-01T00:00:00Z'), end: t('2026-12-02T00:00:00Z') };

  it('takes the state at the window start from the last change before it and clips at both ends', () => {
    const intervals = intervalsInWindow(
      [
        { state: 'PAUSED', at: t('2026-11-30T20:00:00Z') },
        { state: 'RUNNING', at: t('2026-12-01T08:00:00Z') },
        { state: 'PAUSED', at: t('2026-12-01T20:00:00Z') },
        { state: 'RUNNING', at: t('2026-12-02T08:00:00Z') },
      ],
      window,
    );
    expect(intervals.map((i) => [i.state, (i.end - i.start) / H])).toEqual([
      ['PAUSED', 8],
      ['RUNNING', 12],
      ['PAUSED', 4],
    ]);
  });

  it('infers the state before the first change from that change, or takes the given one', () => {
    const changes: Transition[] = [{ state: 'PAUSED', at: t('2026-12-01T06:00:00Z') }];
    expect(hoursByState(intervalsInWindow(changes, window))).toEqual({ running: 6, paused: 18 });
    expect(hoursByState(intervalsInWindow([], window, 'PAUSED'))).toEqual({ running: 0, paused: 24 });
    expect(intervalsInWindow([], window)).toEqual([]);
    expect(intervalsInWindow(changes, { start: window.end, end: window.start })).toEqual([]);
  });

  it('ignores a repeated change to the same state', () => {
    const intervals = intervalsInWindow(
      [
        { state: 'PAUSED', at: t('2026-12-01T06:00:00Z') },
        { state: 'PAUSED', at: t('2026-12-01T07:00:00Z') },
      ],
      window,
    );
    expect(intervals).toHaveLength(2);
    expect(hoursByState(intervals)).toEqual({ running: 6, paused: 18 });
  });

  it('splits hours per UTC day for the chart', () => {
    const intervals = intervalsInWindow(
      [{ state: 'PAUSED', at: t('2026-12-01T20:00:00Z') }],
      { start: t('2026-12-01T12:00:00Z'), end: t('2026-12-02T06:00:00Z') },
      'RUNNING',
    );
    expect(dailyHours(intervals)).toEqual([
      { day: '2026-12-01', running: 8, paused: 4 },
      { day: '2026-12-02', running: 0, paused: 6 },
    ]);
  });
});

describe('savings: prices', () => {
  it('adds extra workers, schedulers, web servers and storage to the hourly price', () => {
    const hourly = runningHourly({
      environmentHourly: 0.49,
      extraWorkers: 2,
      workerHourly: 0.055,
      extraSchedulers: 1,
      schedulerHourly: 0.055,
      extraWebservers: 1,
      webserverHourly: 0.028,
      storageGb: 73,
      storagePerGbMonth: 0.1,
    });
    expect(hourly).toBeCloseTo(0.49 + 0.11 + 0.055 + 0.028 + 0.01, 12);
  });

  it('subtracts what a paused environment still costs, and reports 0% when nothing was billed', () => {
    const result = savings({ paused: 10, running: 10 }, { environmentHourly: 1, pausedHourly: 0.1 });
    expect(result.saved).toBeCloseTo(9, 12);
    expect(result.savedPercent).toBeCloseTo(45, 12);
    expect(savings({ paused: 0, running: 0 }, { environmentHourly: 1 }).savedPercent).toBe(0);
  });
});

describe('savings: the history items', () => {
  it('names one item per environment and month, and lists the months of a window', () => {
    expect(historyKey('data-dev', '2026-12')).toBe('data-dev#history#2026-12');
    expect(monthsBetween(t('2026-11-15T00:00:00Z'), t('2027-01-02T00:00:00Z'))).toEqual([
      '2026-11',
      '2026-12',
      '2027-01',
    ]);
  });

  it('reads transitions in time order and counts entries it cannot read', () => {
    const parsed = transitionsFromItems([
      {
        transitions: [
          { state: 'RUNNING', at: '2026-12-02T08:00:00.000Z', execution: 'b' },
          { state: 'SLEEPING', at: '2026-12-02T09:00:00.000Z' },
          { state: 'PAUSED', at: 'yesterday' },
        ],
      },
      { transitions: [{ state: 'PAUSED', at: '2026-12-01T20:00:00.000Z', execution: 'a' }] },
      { notTransitions: true },
    ]);
    expect(parsed.transitions).toEqual([
      { state: 'PAUSED', at: t('2026-12-01T20:00:00Z') },
      { state: 'RUNNING', at: t('2026-12-02T08:00:00Z') },
    ]);
    expect(parsed.skipped).toBe(2);
  });
});
