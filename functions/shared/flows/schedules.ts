/**
 * A flow's `schedules` become EventBridge Scheduler schedules in the flows' schedule group,
 * one per entry, named `<flowId>--<scheduleName>`, each invoking ScheduledDagTriggerFunction with
 * the flow id, the schedule's name and conf, and Scheduler's own `<aws.scheduler.scheduled-time>`
 * (which makes the run id, and so the trigger, idempotent). Pure: computes what should exist.
 */
import type { Flow } from './model.ts';

export const SCHEDULE_NAME_SEPARATOR = '--';

export interface DesiredSchedule {
  name: string;
  expression: string;
  timezone: string;
  enabled: boolean;
  /** The target Input, as Scheduler stores it (a JSON string). */
  input: string;
}

export function scheduleName(flowId: string, name: string): string {
  return `${flowId}${SCHEDULE_NAME_SEPARATOR}${name}`;
}

/**
 * The flow's own name for a schedule named in a tick: schedules created by `mwaa-ops flows` pass
 * the short name (`morning`), a hand-made Scheduler target may pass the full one
 * (`<flowId>--morning`); both mean the same schedule and so the same run id.
 */
export function flowScheduleName(flowId: string, name: string): string {
  const prefix = `${flowId}${SCHEDULE_NAME_SEPARATOR}`;
  return name.startsWith(prefix) && name.length > prefix.length ? name.slice(prefix.length) : name;
}

/** The schedules a flow needs; a disabled flow keeps its schedules, disabled. */
export function desiredSchedules(flow: Flow): DesiredSchedule[] {
  return flow.schedules.map((schedule) => ({
    name: scheduleName(flow.flowId, schedule.name),
    expression: schedule.expression,
    timezone: schedule.timezone ?? 'UTC',
    enabled: flow.enabled && schedule.enabled !== false,
    input: JSON.stringify({
      flowId: flow.flowId,
      scheduleName: schedule.name,
      scheduledTime: '<aws.scheduler.scheduled-time>',
      ...(schedule.conf === undefined ? {} : { conf: schedule.conf }),
    }),
  }));
}

/** Which existing schedules (by name) of this flow are no longer wanted. */
export function staleSchedules(
  flowId: string,
  existing: readonly string[],
  desired: readonly DesiredSchedule[],
): string[] {
  const prefix = `${flowId}${SCHEDULE_NAME_SEPARATOR}`;
  const wanted = new Set(desired.map((d) => d.name));
  return existing.filter((name) => name.startsWith(prefix) && !wanted.has(name));
}
