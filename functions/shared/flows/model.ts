/**
 * A flow: which trigger starts which DAG, in which environment, with which conf.
 * Flows are data (FlowsTable rows), validated when written (CLI) and when read (a bad row is
 * reported and skipped, never allowed to break a batch of other objects).
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { PLACEHOLDERS } from './conf.ts';

// zod/mini ships without messages; load the English ones for readable problems.
z.config(en());

/** Keys the trigger functions put into every conf; a template may not set them. */
export const RESERVED_CONF_KEYS = ['flow_id', 's3', 'schedule'] as const;

const placeholderPattern = /\{\{\s*([a-zA-Z_]+)\s*\}\}/g;

/** Every `{{name}}` in the template's strings must be a placeholder we know. */
function unknownPlaceholders(value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string') {
    for (const match of value.matchAll(placeholderPattern)) {
      const name = match[1] ?? '';
      if (!(PLACEHOLDERS as readonly string[]).includes(name)) found.push(name);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) unknownPlaceholders(item, found);
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) unknownPlaceholders(item, found);
  }
  return found;
}

const pattern = (regex: RegExp, message: string) => z.string().check(z.regex(regex, message));

export const s3TriggerSchema = z.strictObject({
  bucket: pattern(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'must be an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)',
  ),
  prefix: z.optional(z.string().check(z.maxLength(1024))),
  suffix: z.optional(z.string().check(z.maxLength(1024))),
});

const confSchema = z.record(z.string(), z.unknown());

export const scheduleSchema = z.strictObject({
  name: pattern(/^[0-9a-zA-Z-_.]{1,40}$/, 'must be 1-40 letters, digits, hyphens, underscores or dots'),
  expression: pattern(
    /^(cron\(.+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\))$/,
    'must be cron(...), rate(n minutes|hours|days) or at(yyyy-mm-ddThh:mm:ss)',
  ),
  timezone: z.optional(z.string().check(z.minLength(1), z.maxLength(50))),
  conf: z.optional(confSchema),
  enabled: z.optional(z.boolean()),
});

export const flowSchema = z
  .strictObject({
    flowId: pattern(
      /^[a-z0-9][a-z0-9-_]{0,63}$/,
      'must be 1-64 lower-case letters, digits, hyphens or underscores',
    ),
    environment: pattern(
      /^[a-zA-Z][0-9a-zA-Z-_]{0,79}$/,
      'must be an MWAA environment name (letter first, then letters, digits, - or _)',
    ),
    dagId: pattern(/^[a-zA-Z0-9_.-]{1,250}$/, 'must be an Airflow DAG id (letters, digits, _ . -)'),
    enabled: z._default(z.boolean(), true),
    description: z.optional(z.string().check(z.maxLength(500))),
    conf: z._default(confSchema, {}),
    onPaused: z._default(z.enum(['fail', 'unpause']), 'fail'),
    s3: z._default(z.array(s3TriggerSchema).check(z.maxLength(20)), []),
    schedules: z._default(z.array(scheduleSchema).check(z.maxLength(20)), []),
    updatedAt: z.optional(z.string()),
  })
  .check(
    z.superRefine((flow, ctx) => {
      for (const key of RESERVED_CONF_KEYS) {
        if (key in flow.conf) {
          ctx.addIssue({
            code: 'custom',
            path: ['conf', key],
            message: `"${key}" is reserved: mwaa-ops sets it`,
          });
        }
      }
      for (const name of unknownPlaceholders(flow.conf)) {
        ctx.addIssue({
          code: 'custom',
          path: ['conf'],
          message: `unknown placeholder {{${name}}}; known: ${PLACEHOLDERS.join(', ')}`,
        });
      }
      const names = new Set<string>();
      for (const schedule of flow.schedules) {
        if (names.has(schedule.name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['schedules'],
            message: `schedule name "${schedule.name}" is used twice`,
          });
        }
        names.add(schedule.name);
      }
      if (flow.s3.length === 0 && flow.schedules.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: 'a flow needs at least one S3 trigger or schedule',
        });
      }
    }),
  );

export type Flow = z.output<typeof flowSchema>;
export type FlowInput = z.input<typeof flowSchema>;
export type S3Trigger = z.output<typeof s3TriggerSchema>;

export type FlowValidation = { ok: true; flow: Flow } | { ok: false; problems: string[] };

/** Validate a flow (from a file, the CLI or a table row) into readable problems. */
export function validateFlow(value: unknown): FlowValidation {
  const result = flowSchema.safeParse(value);
  if (result.success) return { ok: true, flow: result.data };
  return {
    ok: false,
    problems: result.error.issues.map(
      (issue) => `${issue.path.length ? issue.path.join('.') : 'flow'}: ${issue.message}`,
    ),
  };
}
