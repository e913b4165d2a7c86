/** PutEvents entries → EventBridge event envelopes, with the per-entry checks AWS applies. */

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  EventBusName?: string;
  /** Epoch seconds (awsJson), a Date, or an ISO string. */
  Time?: number | string | Date;
}

export type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export type CheckedEntry =
  | { ok: true; event: Record<string, unknown>; eventBusName: string | undefined }
  | { ok: false; error: { ErrorCode: string; ErrorMessage: string } };

/** ISO 8601 to the second, as EventBridge writes `time`. */
export const eventTime = (ms: number) =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

const required = (name: string) => ({
  ErrorCode: 'InvalidArgument',
  ErrorMessage: `Parameter ${name} is not valid. Reason: ${name} is a required argument.`,
});

function entryTime(time: PutEventsEntry['Time'], now: number): number {
  if (time === undefined) return now;
  if (time instanceof Date) return time.getTime();
  if (typeof time === 'number') return time * 1000;
  const parsed = Date.parse(time);
  return Number.isNaN(parsed) ? now : parsed;
}

/**
 * Validate one entry and build its event. `trusted` callers (other emulators emitting
 * `aws.*` events, such as Step Functions status changes) may use AWS sources.
 */
export function checkEntry(
  entry: PutEventsEntry,
  context: { account: string; region: string; now: number; trusted: boolean },
): CheckedEntry {
  if (!entry.Source) return { ok: false, error: required('Source') };
  if (!entry.DetailType) return { ok: false, error: required('DetailType') };
  if (entry.Detail === undefined || entry.Detail === '') return { ok: false, error: required('Detail') };
  if (!context.trusted && entry.Source.startsWith('aws.')) {
    return {
      ok: false,
      error: { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
    };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail);
  } catch {
    detail = undefined;
  }
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
    return { ok: false, error: { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' } };
  }
  return {
    ok: true,
    eventBusName: entry.EventBusName,
    event: {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: context.account,
      time: eventTime(entryTime(entry.Time, context.now)),
      region: context.region,
      resources: entry.Resources ?? [],
      detail,
    },
  };
}
