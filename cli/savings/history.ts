/**
 * The pause history in EnvironmentsTable, as the pause and resume workflows write it
 * (RecordPausedHistory / RecordRunningHistory in statemachines/):
 *
 *   environment  "<environment>#history#<yyyy-mm>"   (one item per environment and month)
 *   historyOf    "<environment>"
 *   month        "<yyyy-mm>"
 *   transitions  [{ state: "PAUSED" | "RUNNING", at: "<ISO 8601>", execution: "<name>" }, ...]
 *   executions   string set of the execution names already recorded (makes the write idempotent)
 *
 * MWAA environment names cannot contain `#`, so these keys never collide with an environment's
 * own registry item. One item per month keeps each far below DynamoDB's 400 KB item limit
 * (an entry is about 150 bytes: two thousand pauses and resumes a month would still fit).
 */
import type { EnvironmentState, Transition } from './calculate.ts';

export const historyKey = (environment: string, month: string) => `${environment}#history#${month}`;

/** `yyyy-mm` of every UTC month from `start`'s to `end`'s, oldest first. */
export function monthsBetween(start: number, end: number): string[] {
  const months: string[] = [];
  const cursor = new Date(start);
  cursor.setUTCDate(1);
  cursor.setUTCHours(0, 0, 0, 0);
  while (cursor.getTime() <= end) {
    months.push(cursor.toISOString().slice(0, 7));
    cursor.setUTCMonth(cursor.getUTCMonth() + 1);
  }
  return months;
}

export interface ParsedHistory {
  transitions: Transition[];
  /** Entries that could not be read (unknown state, unparseable time): counted, not guessed. */
  skipped: number;
}

const STATES: readonly EnvironmentState[] = ['PAUSED', 'RUNNING'];

/** The transitions of history items (unmarshalled), in time order. */
export function transitionsFromItems(items: ReadonlyArray<Record<string, unknown>>): ParsedHistory {
  const transitions: Transition[] = [];
  let skipped = 0;
  for (const item of items) {
    const entries = Array.isArray(item.transitions) ? item.transitions : [];
    for (const entry of entries as Array<Record<string, unknown>>) {
      const state = entry?.state;
      const at = typeof entry?.at === 'string' ? Date.parse(entry.at) : Number.NaN;
      if (!STATES.includes(state as EnvironmentState) || Number.isNaN(at)) {
        skipped += 1;
        continue;
      }
      transitions.push({ state: state as EnvironmentState, at });
    }
  }
  transitions.sort((a, b) => a.at - b.at);
  return { transitions, skipped };
}
