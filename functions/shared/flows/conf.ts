/**
 * The conf a triggered DAG run receives: the flow's template with `{{placeholders}}` filled in,
 * plus what triggered it under reserved keys (`flow_id`, and `s3` or `schedule`).
 */

/** What an S3 trigger knows about the object (keys decoded, as the DAG will use them). */
export interface S3ObjectRef {
  bucket: string;
  key: string;
  size?: number;
  etag?: string;
  versionId?: string;
  sequencer?: string;
  eventTime?: string;
  eventName?: string;
}

export interface ScheduleRef {
  scheduledTime: string;
  scheduleName?: string;
}

export const PLACEHOLDERS = [
  'bucket',
  'key',
  'uri',
  'size',
  'etag',
  'version_id',
  'event_time',
  'scheduled_time',
  'flow_id',
] as const;

type Values = Partial<Record<(typeof PLACEHOLDERS)[number], string>>;

function fill(value: unknown, values: Values): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\{\{\s*([a-zA-Z_]+)\s*\}\}/g,
      (_whole, name: string) => values[name as keyof Values] ?? '',
    );
  }
  if (Array.isArray(value)) return value.map((item) => fill(item, values));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, values)]));
  }
  return value;
}

export function s3Conf(
  flowId: string,
  template: Record<string, unknown>,
  object: S3ObjectRef,
): Record<string, unknown> {
  const values: Values = {
    bucket: object.bucket,
    key: object.key,
    uri: `s3://${object.bucket}/${object.key}`,
    size: object.size === undefined ? '' : String(object.size),
    etag: object.etag ?? '',
    version_id: object.versionId ?? '',
    event_time: object.eventTime ?? '',
    flow_id: flowId,
  };
  return {
    ...(fill(template, values) as Record<string, unknown>),
    flow_id: flowId,
    s3: {
      bucket: object.bucket,
      key: object.key,
      uri: values.uri,
      size: object.size ?? null,
      etag: object.etag ?? null,
      version_id: object.versionId ?? null,
      sequencer: object.sequencer ?? null,
      event_time: object.eventTime ?? null,
      event_name: object.eventName ?? null,
    },
  };
}

export function scheduleConf(
  flowId: string,
  template: Record<string, unknown>,
  schedule: ScheduleRef,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const values: Values = { scheduled_time: schedule.scheduledTime, flow_id: flowId };
  return {
    ...(fill(template, values) as Record<string, unknown>),
    ...(fill(extra, values) as Record<string, unknown>),
    flow_id: flowId,
    schedule: { scheduled_time: schedule.scheduledTime, name: schedule.scheduleName ?? null },
  };
}
