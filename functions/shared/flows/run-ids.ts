/**
 * Deterministic DAG run ids. The same trigger always yields the same run id, so a duplicate
 * delivery (S3 delivers at least once; Lambda and Scheduler retry) is a 409 from Airflow
 * instead of a second run. They are short on purpose: InvokeRestApi paths, which contain the run
 * id when a run is read back, are limited to 64 characters; a 64-bit hash keeps collisions between
 * objects of one flow out of reach (about 1 in 10^7 after a million objects). Ids match Airflow's default run id pattern `^[A-Za-z0-9_.~:+-]+$`
 * and avoid the `scheduled__`/`manual__` prefixes Airflow reserves for its own run types.
 */
import { createHash } from 'node:crypto';
import type { S3ObjectRef } from './conf.ts';

const digest = (...parts: string[]) =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);

/**
 * One upload = one run. The object's identity is its version id when the bucket is versioned,
 * else the event's sequencer (unique and increasing per key for each PUT/DELETE), else its ETag
 * and event time.
 */
export function s3RunId(flowId: string, object: S3ObjectRef): string {
  const identity = object.versionId ?? object.sequencer ?? `${object.etag ?? ''}@${object.eventTime ?? ''}`;
  return `s3__${flowId}__${digest(object.bucket, object.key, identity)}`;
}

/**
 * One scheduled time of one schedule = one run, however often Scheduler or Lambda retries the
 * invocation. The schedule's name is part of the id: two schedules of a flow that fire at the same
 * instant are two runs, each with its own conf (without the name the second would look like a
 * repeated tick of the first and be dropped). Input without a schedule name (an EventBridge rule
 * passing `time`) keeps the short form.
 */
export function scheduleRunId(flowId: string, scheduledTime: string, scheduleName?: string): string {
  const parsed = new Date(scheduledTime);
  if (Number.isNaN(parsed.getTime()))
    throw new TypeError(`scheduledTime is not a timestamp: "${scheduledTime}"`);
  const stamp = parsed
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  // Airflow's default run id pattern is ^[A-Za-z0-9_.~:+-]+$: a name outside it would be refused.
  if (scheduleName !== undefined && !/^[0-9a-zA-Z_.-]{1,128}$/.test(scheduleName)) {
    throw new TypeError(`scheduleName must be letters, digits, -, _ or . (got "${scheduleName}")`);
  }
  return scheduleName === undefined
    ? `sched__${flowId}__${stamp}`
    : `sched__${flowId}__${scheduleName}__${stamp}`;
}
