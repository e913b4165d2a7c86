import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  atExpression,
  type DagSchedule,
  DEFAULT_IDLE_SETTINGS,
  decideIdle,
  idleSettings,
  MIN_PAUSE_MINUTES,
} from '../../../../functions/idle-pause/decision.ts';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const MIN = 60_000;
const at = (minutes: number) => new Date(NOW.getTime() + minutes * MIN).toISOString();
const dag = (dagId: string, next: string | null, extra: Partial<DagSchedule> = {}): DagSchedule => ({
  dagId,
  paused: false,
  active: true,
  nextRunAfter: next,
  ...extra,
});
const S = DEFAULT_IDLE_SETTINGS;

describe('Function: decideIdle', () => {
  it('stays when a run is running or queued, however far the next due run is', () => {
    expect(decideIdle(NOW, [dag('etl', at(600))], 1, S)).toMatchObject({
      pause: false,
      reason: 'runs-active',
    });
  });

  it('stays when an unpaused DAG is due within the window', () => {
    expect(decideIdle(NOW, [dag('a', at(600)), dag('b', at(S.windowMinutes - 1))], 0, S)).toEqual({
      pause: false,
      reason: 'due-within-window',
      dagId: 'b',
      nextDueAt: at(S.windowMinutes - 1),
    });
  });

  it('stays when a DAG is overdue (catch-up backlog, scheduler behind)', () => {
    expect(decideIdle(NOW, [dag('late', at(-300))], 0, S)).toMatchObject({ pause: false, dagId: 'late' });
  });

  it('stays when a next run time cannot be read (fails safe: due now)', () => {
    expect(decideIdle(NOW, [dag('odd', 'not a date')], 0, S)).toMatchObject({
      pause: false,
      reason: 'due-within-window',
    });
  });

  it('stays when no active DAG is listed (DAG files not parsed yet after a resume)', () => {
    expect(decideIdle(NOW, [], 0, S)).toMatchObject({ pause: false, reason: 'no-dags' });
    expect(decideIdle(NOW, [dag('gone', at(5), { active: false })], 0, S)).toMatchObject({
      reason: 'no-dags',
    });
  });

  it('pauses when idle and resumes lead minutes before the earliest due run, rounded down to the minute', () => {
    const due = new Date(NOW.getTime() + 300 * MIN + 42_500).toISOString();
    expect(decideIdle(NOW, [dag('a', at(900)), dag('b', due)], 0, S)).toEqual({
      pause: true,
      dagId: 'b',
      nextDueAt: due,
      resumeAt: at(300 - S.leadMinutes),
    });
  });

  it('ignores paused and inactive DAGs, however soon they are due', () => {
    const decision = decideIdle(
      NOW,
      [dag('off', at(1), { paused: true }), dag('gone', at(2), { active: false }), dag('on', at(500))],
      0,
      S,
    );
    expect(decision).toMatchObject({ pause: true, dagId: 'on', resumeAt: at(500 - S.leadMinutes) });
  });

  it('ignores DAGs without a next run by default and pauses without a resume when none is scheduled', () => {
    expect(decideIdle(NOW, [dag('manual', null)], 0, S)).toEqual({
      pause: true,
      dagId: null,
      nextDueAt: null,
      resumeAt: null,
    });
  });

  it('keeps the environment running for an unpredictable DAG with unpredictable: block', () => {
    expect(
      decideIdle(NOW, [dag('dataset', null), dag('b', at(900))], 0, { ...S, unpredictable: 'block' }),
    ).toEqual({
      pause: false,
      reason: 'unpredictable-dag',
      dagId: 'dataset',
      nextDueAt: null,
    });
  });

  it('property: a pause is decided only with no active run and every unpaused next run beyond the window, and its resume lies between the pause time and the due run', () => {
    const dagArb = fc.record({
      dagId: fc.string({ minLength: 1, maxLength: 8 }),
      paused: fc.boolean(),
      active: fc.boolean(),
      nextRunAfter: fc.option(
        fc.integer({ min: -1_000, max: 10_000 }).map((m) => at(m)),
        { nil: null },
      ),
    });
    const settingsArb = fc
      .record({
        leadMinutes: fc.integer({ min: 1, max: 300 }),
        extra: fc.integer({ min: 0, max: 600 }),
        unpredictable: fc.constantFrom('ignore' as const, 'block' as const),
      })
      .map(({ leadMinutes, extra, unpredictable }) => ({
        leadMinutes,
        windowMinutes: leadMinutes + MIN_PAUSE_MINUTES + extra,
        unpredictable,
      }));
    fc.assert(
      fc.property(fc.array(dagArb, { maxLength: 6 }), fc.nat(2), settingsArb, (dags, runs, settings) => {
        const decision = decideIdle(NOW, dags, runs, settings);
        if (!decision.pause) return;
        expect(runs).toBe(0);
        const live = dags.filter((d) => d.active && !d.paused);
        for (const d of live) {
          if (d.nextRunAfter === null) expect(settings.unpredictable).toBe('ignore');
          else
            expect(Date.parse(d.nextRunAfter) - NOW.getTime()).toBeGreaterThanOrEqual(
              settings.windowMinutes * MIN,
            );
        }
        if (decision.resumeAt !== null && decision.nextDueAt !== null) {
          const resume = Date.parse(decision.resumeAt);
          expect(resume - NOW.getTime()).toBeGreaterThanOrEqual(MIN_PAUSE_MINUTES * MIN - MIN);
          expect(Date.parse(decision.nextDueAt) - resume).toBeGreaterThanOrEqual(settings.leadMinutes * MIN);
        }
      }),
    );
  });
});

describe('Function: idleSettings', () => {
  it('takes the defaults for absent fields', () => {
    expect(idleSettings({})).toEqual(DEFAULT_IDLE_SETTINGS);
    expect(DEFAULT_IDLE_SETTINGS.windowMinutes).toBeGreaterThanOrEqual(
      DEFAULT_IDLE_SETTINGS.leadMinutes + MIN_PAUSE_MINUTES,
    );
  });

  it('refuses a window that leaves the pause no time to finish before the resume', () => {
    expect(() => idleSettings({ windowMinutes: 90, leadMinutes: 45 })).toThrow(/at least leadMinutes/);
  });

  it.each([
    [{ windowMinutes: '120' }, /windowMinutes/],
    [{ leadMinutes: 1.5 }, /leadMinutes/],
    [{ leadMinutes: 0 }, /leadMinutes/],
    [{ unpredictable: 'maybe' }, /unpredictable/],
  ])('refuses %j', (input, message) => {
    expect(() => idleSettings(input)).toThrow(message);
  });
});

describe('Function: atExpression', () => {
  it('renders a UTC instant as Scheduler at() without fractions or zone', () => {
    expect(atExpression('2026-12-03T19:15:00.000Z')).toBe('at(2026-12-03T19:15:00)');
  });
});
