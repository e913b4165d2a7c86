/**
 * EventBridge emulator (awsJson 1.1, `X-Amz-Target: AWSEvents.<Operation>`): PutEvents with
 * per-entry validation, rules with event patterns and schedules (from the template model, or
 * PutRule/PutTargets), delivery of matching events to each target through `Targets.deliver`.
 * Every accepted event is recorded for tests.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFault } from '../core/fault-response.ts';
import { sendJson, sendJsonError, startServer } from '../core/http.ts';
import type { LocalRule, LocalTarget, Targets } from '../core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import { ServiceError } from '../core/service-error.ts';
import { nextFireTime } from '../scheduler/expression.ts';
import { runRecurring } from '../scheduler/recurring-timer.ts';
import { checkEntry, type EntryResult, eventTime, type PutEventsEntry } from './events.ts';
import {
  busName,
  compileRulePattern,
  compileRuleSchedule,
  type Rule,
  ruleArn,
  ruleFromModel,
  targetPayload,
} from './rules.ts';

const CONTENT_TYPE = 'application/x-amz-json-1.1';

export interface EventBridgeHandle extends EmulatorHandle {
  /**
   * Put events in-process (for `Targets.putEvents`): `aws.*` sources are allowed, faults do not
   * apply, and an invalid entry throws a `ServiceError`.
   */
  putEvents(entries: Parameters<Targets['putEvents']>[0]): Promise<void>;
  /** Every event accepted so far (API or in-process), as full envelopes, oldest first. */
  events(): Array<Record<string, unknown>>;
}

type Input = Record<string, unknown>;

/**
 * Start the EventBridge emulator with the template's rules; scheduled rules start firing on
 * `ctx.clock` at once.
 *
 * @example
 * const events = await startEventBridge(ctx, { rules: model.rules, targets });
 * await events.putEvents([{ Source: 'aws.states', DetailType: 'Step Functions Execution Status Change', Detail }]);
 * events.events(); // [{ version: '0', id, 'detail-type': ..., detail: {...} }]
 */
export async function startEventBridge(
  ctx: ServiceContext,
  options: { rules: LocalRule[]; targets: Targets },
): Promise<EventBridgeHandle> {
  const rules = new Map<string, Rule>();
  const timers = new Map<string, () => void>();
  const recorded: Array<Record<string, unknown>> = [];
  const key = (bus: string, name: string) => `${bus}/${name}`;

  function deliver(rule: Rule, event: Record<string, unknown>) {
    for (const target of rule.targets) {
      const payload = targetPayload(target, event);
      options.targets.deliver(target.arn, payload).catch((error: unknown) =>
        ctx.log('events', 'target delivery failed', {
          rule: rule.name,
          target: target.arn,
          error: String(error),
        }),
      );
    }
  }

  /** (Re)start the timer of a scheduled rule; rate schedules count from the rule's creation. */
  function arm(rule: Rule) {
    timers.get(rule.arn)?.();
    timers.delete(rule.arn);
    const schedule = rule.schedule;
    if (!schedule || !rule.enabled) return;
    const stop = runRecurring(
      ctx.clock,
      ctx.clock.now(),
      (after) => nextFireTime(schedule, after, { anchor: rule.createdAt }),
      (scheduledTime) => {
        ctx.log('events', 'scheduled rule fired', { rule: rule.name });
        deliver(rule, {
          version: '0',
          id: crypto.randomUUID(),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: ctx.accountId,
          time: eventTime(scheduledTime),
          region: ctx.region,
          resources: [rule.arn],
          detail: {},
        });
      },
    );
    timers.set(rule.arn, stop);
  }

  function knownBus(name: string) {
    return name === 'default' || [...rules.values()].some((rule) => rule.eventBusName === name);
  }

  function put(entries: PutEventsEntry[], trusted: boolean): EntryResult[] {
    const now = ctx.clock.now();
    return entries.map((entry) => {
      const checked = checkEntry(entry, { account: ctx.accountId, region: ctx.region, now, trusted });
      if (!checked.ok) return checked.error;
      const bus = busName(checked.eventBusName);
      if (!knownBus(bus)) {
        return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
      }
      recorded.push(checked.event);
      ctx.log('events', 'event', { source: checked.event.source, detailType: checked.event['detail-type'] });
      for (const rule of rules.values()) {
        if (rule.enabled && rule.eventBusName === bus && rule.pattern?.matches(checked.event)) {
          deliver(rule, checked.event);
        }
      }
      return { EventId: checked.event.id as string };
    });
  }

  function requireRule(name: unknown, bus: unknown): Rule {
    const eventBusName = busName(typeof bus === 'string' ? bus : undefined);
    const rule = typeof name === 'string' ? rules.get(key(eventBusName, name)) : undefined;
    if (!rule)
      throw new ServiceError(
        'ResourceNotFoundException',
        `Rule ${String(name)} does not exist on EventBus ${eventBusName}.`,
      );
    return rule;
  }

  const describe = (rule: Rule) => ({
    Name: rule.name,
    Arn: rule.arn,
    EventBusName: rule.eventBusName,
    State: rule.enabled ? 'ENABLED' : 'DISABLED',
    ...(rule.eventPatternText ? { EventPattern: rule.eventPatternText } : {}),
    ...(rule.scheduleExpression ? { ScheduleExpression: rule.scheduleExpression } : {}),
    ...(rule.description ? { Description: rule.description } : {}),
  });

  const renderTarget = (target: LocalTarget) => ({
    Id: target.id,
    Arn: target.arn,
    ...(target.input === undefined ? {} : { Input: target.input }),
    ...(target.inputPath === undefined ? {} : { InputPath: target.inputPath }),
  });

  const operations: Record<string, (input: Input) => unknown> = {
    PutEvents(input) {
      const entries = input.Entries;
      if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
        throw new ServiceError(
          'ValidationException',
          `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1`,
        );
      }
      const results = put(entries as PutEventsEntry[], false);
      return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
    },
    PutRule(input) {
      const name = input.Name;
      if (typeof name !== 'string' || !/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) {
        throw new ServiceError(
          'ValidationException',
          `1 validation error detected: Value '${String(name)}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
        );
      }
      const pattern = typeof input.EventPattern === 'string' ? input.EventPattern : undefined;
      const schedule = typeof input.ScheduleExpression === 'string' ? input.ScheduleExpression : undefined;
      if (!pattern && !schedule) {
        throw new ServiceError(
          'ValidationException',
          'Parameter(s) EventPattern or ScheduleExpression must be specified.',
        );
      }
      const eventBusName = busName(typeof input.EventBusName === 'string' ? input.EventBusName : undefined);
      if (schedule && eventBusName !== 'default') {
        throw new ServiceError(
          'ValidationException',
          'ScheduleExpression is supported only on the default event bus.',
        );
      }
      const existing = rules.get(key(eventBusName, name));
      const rule: Rule = {
        name,
        arn: ruleArn(ctx.region, ctx.accountId, eventBusName, name),
        eventBusName,
        ...(pattern ? { eventPatternText: pattern, pattern: compileRulePattern(pattern) } : {}),
        ...(schedule ? { scheduleExpression: schedule, schedule: compileRuleSchedule(schedule) } : {}),
        ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
        enabled: input.State !== 'DISABLED',
        targets: existing?.targets ?? [],
        createdAt: existing?.createdAt ?? ctx.clock.now(),
      };
      rules.set(key(eventBusName, name), rule);
      arm(rule);
      return { RuleArn: rule.arn };
    },
    DescribeRule: (input) => describe(requireRule(input.Name, input.EventBusName)),
    ListRules(input) {
      const prefix = typeof input.NamePrefix === 'string' ? input.NamePrefix : '';
      const bus = busName(typeof input.EventBusName === 'string' ? input.EventBusName : undefined);
      const found = [...rules.values()].filter(
        (rule) => rule.eventBusName === bus && rule.name.startsWith(prefix),
      );
      return { Rules: found.map(describe) };
    },
    DeleteRule(input) {
      const rule = requireRule(input.Name, input.EventBusName);
      if (rule.targets.length > 0)
        throw new ServiceError('ValidationException', "Rule can't be deleted since it has targets.");
      timers.get(rule.arn)?.();
      timers.delete(rule.arn);
      rules.delete(key(rule.eventBusName, rule.name));
      return {};
    },
    PutTargets(input) {
      const rule = requireRule(input.Rule, input.EventBusName);
      const targets = Array.isArray(input.Targets) ? (input.Targets as Input[]) : [];
      for (const target of targets) {
        if (typeof target.Id !== 'string' || typeof target.Arn !== 'string') {
          throw new ServiceError('ValidationException', 'Targets need an Id and an Arn.');
        }
        const local: LocalTarget = {
          id: target.Id,
          arn: target.Arn,
          ...(typeof target.Input === 'string' ? { input: target.Input } : {}),
          ...(typeof target.InputPath === 'string' ? { inputPath: target.InputPath } : {}),
        };
        rule.targets = [...rule.targets.filter((existing) => existing.id !== local.id), local];
      }
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    RemoveTargets(input) {
      const rule = requireRule(input.Rule, input.EventBusName);
      const ids = Array.isArray(input.Ids) ? (input.Ids as string[]) : [];
      rule.targets = rule.targets.filter((target) => !ids.includes(target.id));
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    ListTargetsByRule: (input) => ({
      Targets: requireRule(input.Rule, input.EventBusName).targets.map(renderTarget),
    }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AWSEvents.') ? target.slice('AWSEvents.'.length) : '';
    const faulted = await applyFault(ctx.faults.take('eventbridge', operation), res, (fault) =>
      sendJsonError(res, fault.status, fault.error, fault.message, CONTENT_TYPE),
    );
    if (faulted === 'handled') return;
    try {
      const run = operations[operation];
      if (!run)
        throw new ServiceError(
          'UnknownOperationException',
          `Operation ${operation || target} is not supported.`,
        );
      let input: Input;
      try {
        input = body.length > 0 ? (JSON.parse(body.toString()) as Input) : {};
      } catch {
        throw new ServiceError('SerializationException', 'Request body is not valid JSON.');
      }
      sendJson(res, 200, run(input), CONTENT_TYPE);
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      sendJsonError(res, error.status, error.code, error.message, CONTENT_TYPE);
    }
  }

  const startedAt = ctx.clock.now();
  for (const local of options.rules) {
    const rule = ruleFromModel(local, startedAt);
    rules.set(key(rule.eventBusName, rule.name), rule);
    arm(rule);
  }
  const server = await startServer(handle);
  return {
    url: server.url,
    async close() {
      for (const stop of timers.values()) stop();
      timers.clear();
      await server.close();
    },
    async putEvents(entries) {
      const results = put(entries, true);
      const failed = results.find((result) => 'ErrorCode' in result);
      if (failed && 'ErrorCode' in failed) throw new ServiceError(failed.ErrorCode, failed.ErrorMessage);
    },
    events: () => recorded.map((event) => structuredClone(event)),
  };
}
