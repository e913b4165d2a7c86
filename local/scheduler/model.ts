/**
 * Scheduler state: schedule groups and schedules (from the template model and the API), their
 * validation, and firing on the emulated clock. On each occurrence the target's `Input` goes to
 * the target ARN through `Targets.deliver`, with Scheduler's context attributes substituted.
 */
import type { LocalSchedule, Targets } from '../core/model.ts';
import type { ServiceContext } from '../core/service.ts';
import { conflict, notFound, validation } from './errors.ts';
import {
  ExpressionError,
  nextFireTime,
  nextFireTimes,
  parseScheduleExpression,
  type ScheduleExpression,
} from './expression.ts';
import { runRecurring } from './recurring-timer.ts';
import { isValidTimeZone } from './time-zone.ts';

export interface ScheduleTarget {
  Arn: string;
  RoleArn: string;
  Input?: string;
  /** Any other target fields (RetryPolicy, DeadLetterConfig, SqsParameters, …), kept as given. */
  [field: string]: unknown;
}

export interface Schedule {
  name: string;
  groupName: string;
  arn: string;
  scheduleExpression: string;
  expression: ScheduleExpression;
  timezone: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  startDate?: number;
  endDate?: number;
  flexibleTimeWindow: { Mode: string; MaximumWindowInMinutes?: number };
  actionAfterCompletion: 'NONE' | 'DELETE';
  kmsKeyArn?: string;
  target: ScheduleTarget;
  creationDate: number;
  lastModificationDate: number;
  /** Rate schedules count from here. */
  anchor: number;
}

export interface ScheduleGroup {
  name: string;
  arn: string;
  creationDate: number;
  lastModificationDate: number;
}

export interface ScheduleInput {
  ScheduleExpression?: unknown;
  ScheduleExpressionTimezone?: unknown;
  Target?: unknown;
  FlexibleTimeWindow?: unknown;
  GroupName?: unknown;
  StartDate?: unknown;
  EndDate?: unknown;
  Description?: unknown;
  State?: unknown;
  ActionAfterCompletion?: unknown;
  KmsKeyArn?: unknown;
}

const NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;

/** Scheduler's timestamp form for `<aws.scheduler.scheduled-time>`: ISO 8601, seconds, `Z`. */
const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

function toMillis(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms =
    typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw validation(`Invalid ${field}.`);
  return ms;
}

function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at '${what}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$`,
    );
  }
  return value;
}

/** Replace Scheduler's context attributes in a target input. */
export function substituteContext(
  input: string,
  context: { scheduledTime: number; executionId: string; scheduleArn: string; attemptNumber: number },
): string {
  return input
    .replaceAll('<aws.scheduler.scheduled-time>', isoSeconds(context.scheduledTime))
    .replaceAll('<aws.scheduler.execution-id>', context.executionId)
    .replaceAll('<aws.scheduler.schedule-arn>', context.scheduleArn)
    .replaceAll('<aws.scheduler.attempt-number>', String(context.attemptNumber));
}

export class ScheduleStore {
  readonly groups = new Map<string, ScheduleGroup>();
  readonly schedules = new Map<string, Schedule>();
  private readonly timers = new Map<string, () => void>();
  private readonly ctx: ServiceContext;
  private readonly targets: Targets;

  constructor(ctx: ServiceContext, targets: Targets) {
    this.ctx = ctx;
    this.targets = targets;
    this.ensureGroup('default');
  }

  private key = (group: string, name: string) => `${group}/${name}`;

  ensureGroup(name: string): ScheduleGroup {
    let group = this.groups.get(name);
    if (!group) {
      const now = this.ctx.clock.now();
      group = {
        name,
        arn: `arn:aws:scheduler:${this.ctx.region}:${this.ctx.accountId}:schedule-group/${name}`,
        creationDate: now,
        lastModificationDate: now,
      };
      this.groups.set(name, group);
    }
    return group;
  }

  createGroup(name: unknown): ScheduleGroup {
    const groupName = checkName(name, 'name');
    if (this.groups.has(groupName)) throw conflict(`Schedule group ${groupName} already exists.`);
    return this.ensureGroup(groupName);
  }

  requireGroup(name: string): ScheduleGroup {
    const group = this.groups.get(name);
    if (!group) throw notFound(`Schedule group ${name} does not exist.`);
    return group;
  }

  deleteGroup(name: string): void {
    if (name === 'default') throw validation('You cannot delete the default group.');
    this.requireGroup(name);
    for (const schedule of [...this.schedules.values()]) {
      if (schedule.groupName === name) this.remove(schedule);
    }
    this.groups.delete(name);
  }

  get(name: string, groupName = 'default'): Schedule {
    const schedule = this.schedules.get(this.key(groupName, name));
    if (!schedule) throw notFound(`Schedule ${name} does not exist.`);
    return schedule;
  }

  /** Create (or, with `replace`, update) a schedule from API input. */
  put(nameValue: unknown, input: ScheduleInput, replace: boolean): Schedule {
    const name = checkName(nameValue, 'name');
    const groupName = input.GroupName === undefined ? 'default' : checkName(input.GroupName, 'groupName');
    this.requireGroup(groupName);
    const existing = this.schedules.get(this.key(groupName, name));
    if (replace && !existing) throw notFound(`Schedule ${name} does not exist.`);
    if (!replace && existing) throw conflict(`Schedule ${name} already exists.`);
    const schedule = this.build(name, groupName, input, existing);
    this.install(schedule);
    return schedule;
  }

  /** Schedules from the template model; they are created as if by CreateSchedule at start-up. */
  putFromModel(local: LocalSchedule): Schedule {
    this.ensureGroup(local.groupName || 'default');
    const schedule = this.build(local.name, local.groupName || 'default', {
      ScheduleExpression: local.expression,
      ScheduleExpressionTimezone: local.timezone || 'UTC',
      State: local.enabled ? 'ENABLED' : 'DISABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: local.target.arn,
        RoleArn: local.target.roleArn ?? `arn:aws:iam::${this.ctx.accountId}:role/local-scheduler`,
        ...(local.target.input === undefined ? {} : { Input: local.target.input }),
      },
    });
    this.install(schedule);
    return schedule;
  }

  delete(name: string, groupName = 'default'): void {
    this.remove(this.get(name, groupName));
  }

  nextFireTimes(name: string, count: number, groupName = 'default'): Date[] {
    const schedule = this.get(name, groupName);
    if (schedule.state !== 'ENABLED') return [];
    const window = this.window(schedule);
    return nextFireTimes(schedule.expression, this.firstAfter(schedule), window, count).map(
      (time) => new Date(time),
    );
  }

  stopAll(): void {
    for (const stop of this.timers.values()) stop();
    this.timers.clear();
  }

  /**
   * Where to look for the next occurrence from. A rate schedule's anchor is itself an occurrence
   * (AWS: without a StartDate it "starts invoking the target immediately"), but past ones are
   * never replayed.
   */
  private firstAfter(schedule: Schedule): number {
    const now = this.ctx.clock.now();
    return schedule.expression.kind === 'rate' ? Math.max(schedule.anchor, now) - 1 : now;
  }

  private window(schedule: Schedule) {
    return {
      timeZone: schedule.timezone,
      anchor: schedule.anchor,
      ...(schedule.startDate === undefined ? {} : { startDate: schedule.startDate }),
      ...(schedule.endDate === undefined ? {} : { endDate: schedule.endDate }),
    };
  }

  private build(name: string, groupName: string, input: ScheduleInput, existing?: Schedule): Schedule {
    const now = this.ctx.clock.now();
    const text = input.ScheduleExpression;
    if (typeof text !== 'string' || text.length === 0 || text.length > 256) {
      throw validation('1 validation error detected: ScheduleExpression must not be null.');
    }
    let expression: ScheduleExpression;
    try {
      expression = parseScheduleExpression(text);
    } catch (error) {
      if (error instanceof ExpressionError) throw validation(error.message);
      throw error;
    }
    const timezone =
      input.ScheduleExpressionTimezone === undefined ? 'UTC' : String(input.ScheduleExpressionTimezone);
    if (!isValidTimeZone(timezone)) throw validation(`Invalid ScheduleExpressionTimezone ${timezone}.`);
    const state = input.State ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED') throw validation(`Invalid State ${String(state)}.`);
    const action = input.ActionAfterCompletion ?? 'NONE';
    if (action !== 'NONE' && action !== 'DELETE')
      throw validation(`Invalid ActionAfterCompletion ${String(action)}.`);
    const window = input.FlexibleTimeWindow as
      | { Mode?: unknown; MaximumWindowInMinutes?: unknown }
      | undefined;
    if (!window || (window.Mode !== 'OFF' && window.Mode !== 'FLEXIBLE')) {
      throw validation('1 validation error detected: FlexibleTimeWindow.Mode must be OFF or FLEXIBLE.');
    }
    const maxWindow = window.MaximumWindowInMinutes;
    if (
      window.Mode === 'FLEXIBLE' &&
      !(typeof maxWindow === 'number' && maxWindow >= 1 && maxWindow <= 1440)
    ) {
      throw validation('MaximumWindowInMinutes must be between 1 and 1440 when Mode is FLEXIBLE.');
    }
    const target = input.Target as Partial<ScheduleTarget> | undefined;
    if (!target || typeof target.Arn !== 'string' || !target.Arn)
      throw validation('Target.Arn must not be null.');
    if (typeof target.RoleArn !== 'string' || !target.RoleArn)
      throw validation('Target.RoleArn must not be null.');
    const startDate = toMillis(input.StartDate, 'StartDate');
    const endDate = toMillis(input.EndDate, 'EndDate');
    if (endDate !== undefined && endDate <= now)
      throw validation('The EndDate you specify must be in the future.');
    if (startDate !== undefined && endDate !== undefined && endDate <= startDate) {
      throw validation('The StartDate must come before the EndDate.');
    }
    return {
      name,
      groupName,
      arn: `arn:aws:scheduler:${this.ctx.region}:${this.ctx.accountId}:schedule/${groupName}/${name}`,
      scheduleExpression: text,
      expression,
      timezone,
      state,
      ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
      ...(startDate === undefined ? {} : { startDate }),
      ...(endDate === undefined ? {} : { endDate }),
      flexibleTimeWindow: {
        Mode: window.Mode,
        ...(typeof maxWindow === 'number' ? { MaximumWindowInMinutes: maxWindow } : {}),
      },
      actionAfterCompletion: action,
      ...(typeof input.KmsKeyArn === 'string' ? { kmsKeyArn: input.KmsKeyArn } : {}),
      target: target as ScheduleTarget,
      creationDate: existing?.creationDate ?? now,
      lastModificationDate: now,
      anchor: startDate ?? now,
    };
  }

  private install(schedule: Schedule): void {
    const key = this.key(schedule.groupName, schedule.name);
    this.timers.get(key)?.();
    this.timers.delete(key);
    this.schedules.set(key, schedule);
    if (schedule.state !== 'ENABLED') return;
    const window = this.window(schedule);
    const stop = runRecurring(
      this.ctx.clock,
      this.firstAfter(schedule),
      (after) => nextFireTime(schedule.expression, after, window),
      (scheduledTime) => this.fire(schedule, scheduledTime),
    );
    this.timers.set(key, stop);
  }

  private remove(schedule: Schedule): void {
    const key = this.key(schedule.groupName, schedule.name);
    this.timers.get(key)?.();
    this.timers.delete(key);
    this.schedules.delete(key);
  }

  private fire(schedule: Schedule, scheduledTime: number): void {
    const executionId = crypto.randomUUID();
    const payload = substituteContext(schedule.target.Input ?? '{}', {
      scheduledTime,
      executionId,
      scheduleArn: schedule.arn,
      attemptNumber: 1,
    });
    this.ctx.log('scheduler', 'schedule fired', {
      schedule: schedule.arn,
      scheduledTime: isoSeconds(scheduledTime),
      executionId,
    });
    this.targets.deliver(schedule.target.Arn, payload).catch((error: unknown) =>
      this.ctx.log('scheduler', 'target invocation failed', {
        schedule: schedule.arn,
        error: String(error),
      }),
    );
    if (schedule.expression.kind === 'at' && schedule.actionAfterCompletion === 'DELETE')
      this.remove(schedule);
  }
}
