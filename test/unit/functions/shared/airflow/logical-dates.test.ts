import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { logicalDateFor, microsecondSlot } from '../../../../../functions/shared/airflow/logical-dates.ts';

describe('Airflow 2 logical dates', () => {
  it('stay in the second the trigger names, with microseconds from the run id', () => {
    const date = logicalDateFor('s3__sales__0123456789abcdef', 1, '2026-11-26T10:15:30.987Z');
    expect(date).toMatch(/^2026-11-26T10:15:30\.\d{6}\+00:00$/);
    expect(date).toBe(logicalDateFor('s3__sales__0123456789abcdef', 1, '2026-11-26T10:15:30.001Z'));
    // A midnight schedule keeps its day.
    expect(logicalDateFor('sched__x__night__20261126T000000Z', 3, '2026-11-26T00:00:00Z')).toMatch(
      /^2026-11-26T00:00:00\./,
    );
  });

  it('differ between run ids and between attempts of one run id', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a !== b);
        const slots = [microsecondSlot(a, 1), microsecondSlot(b, 1), microsecondSlot(a, 2)];
        return slots.every((slot) => Number.isInteger(slot) && slot >= 0 && slot < 1_000_000);
      }),
    );
    const many = new Set(
      Array.from({ length: 50 }, (_, i) => logicalDateFor(`run-${i}`, 1, '2026-11-26T10:15:30Z')),
    );
    expect(many.size).toBe(50);
    expect(logicalDateFor('r', 1, '2026-11-26T10:15:30Z')).not.toBe(
      logicalDateFor('r', 2, '2026-11-26T10:15:30Z'),
    );
  });

  it('fall back to now without a usable anchor', () => {
    const now = Date.parse('2026-01-02T03:04:05.678Z');
    expect(logicalDateFor('r', 1, undefined, now)).toMatch(/^2026-01-02T03:04:05\.\d{6}\+00:00$/);
    expect(logicalDateFor('r', 1, 'not a date', now)).toMatch(/^2026-01-02T03:04:05\./);
  });
});
