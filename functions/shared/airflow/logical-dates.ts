/**
 * Logical dates for runs on Airflow 2.x.
 *
 * Airflow 2 keeps a unique key on (dag_id, execution_date) besides (dag_id, run_id). A trigger
 * without a logical date gets "now" (the REST API at microsecond precision, the CLI rounded to the
 * second), so a burst of triggers of one DAG collides and Airflow answers 409 — the same answer it
 * gives a duplicate run id. We therefore send an explicit logical date that is
 *
 * - meaningful: the second the trigger happened (S3 event time, Scheduler's scheduled time), so
 *   `{{ ds }}` and the data interval are what a DAG author expects;
 * - distinct: a microsecond offset within that second taken from a hash of the run id, so two
 *   triggers of one DAG in the same second land on different keys (1 in 10^6 per pair collide);
 * - deterministic: a retried trigger sends the same date, and `attempt` moves a trigger that did
 *   collide with someone else's run to another slot of the same second.
 *
 * The offset is always forward (at most 999 999 µs), so the date never falls before the second the
 * trigger names: a midnight schedule keeps its day.
 */
import { createHash } from 'node:crypto';

const MICROS_PER_SECOND = 1_000_000;

/** Microseconds into the second for this run id and attempt (attempt 1 is the first try). */
export function microsecondSlot(runId: string, attempt: number): number {
  const hex = createHash('sha256').update(`${runId}\u0000${attempt}`).digest('hex').slice(0, 12);
  return Number.parseInt(hex, 16) % MICROS_PER_SECOND;
}

/**
 * The logical date to send for `runId` on its `attempt`-th try, as Airflow's REST API and CLI
 * accept it (`2026-11-26T10:15:30.123456+00:00`). `anchor` is when the trigger happened (ISO
 * 8601); without a usable one, `now` is used (then only the run id read-back keeps retries safe).
 */
export function logicalDateFor(runId: string, attempt: number, anchor?: string, now = Date.now()): string {
  const parsed = anchor === undefined ? Number.NaN : Date.parse(anchor);
  const ms = Number.isNaN(parsed) ? now : parsed;
  const second = Math.floor(ms / 1000) * 1000;
  const stamp = new Date(second).toISOString().slice(0, 19);
  return `${stamp}.${String(microsecondSlot(runId, attempt)).padStart(6, '0')}+00:00`;
}
