/**
 * The EventBridge wire API (awsJson 1.1, `X-Amz-Target: AWSEvents.<Operation>`): PutEvents,
 * PutRule, DescribeRule, ListRules, DeleteRule, PutTargets, RemoveTargets, ListTargetsByRule,
 * translated to the event bus (model.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFault } from '../core/fault-response.ts';
import { sendJson, sendJsonError } from '../core/http.ts';
import type { LocalTarget } from '../core/model.ts';
import type { ServiceContext } from '../core/service.ts';
import { ServiceError } from '../core/service-error.ts';
import { serializationException, unknownOperation, validation } from './errors.ts';
import type { PutEventsEntry } from './events.ts';
import type { EventBusStore } from './model.ts';
import { busName, compileRulePattern, compileRuleSchedule, type Rule, ruleArn } from './rules.ts';

const CONTENT_TYPE = 'application/x-amz-json-1.1';

type Input = Record<string, unknown>;

/** The HTTP handler: faults injected for `eventbridge`/<Operation> first, then the operation. */
export function eventBridgeApi(ctx: ServiceContext, store: EventBusStore) {
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
        throw validation(
          `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1`,
        );
      }
      const results = store.put(entries as PutEventsEntry[], false);
      return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
    },
    PutRule(input) {
      const name = input.Name;
      if (typeof name !== 'string' || !/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) {
        throw validation(
          `1 validation error detected: Value '${String(name)}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
        );
      }
      const pattern = typeof input.EventPattern === 'string' ? input.EventPattern : undefined;
      const schedule = typeof input.ScheduleExpression === 'string' ? input.ScheduleExpression : undefined;
      if (!pattern && !schedule) {
        throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
      }
      const eventBusName = busName(typeof input.EventBusName === 'string' ? input.EventBusName : undefined);
      if (schedule && eventBusName !== 'default') {
        throw validation('ScheduleExpression is supported only on the default event bus.');
      }
      const existing = store.rule(eventBusName, name);
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
      store.setRule(rule);
      return { RuleArn: rule.arn };
    },
    DescribeRule: (input) => describe(store.requireRule(input.Name, input.EventBusName)),
    ListRules(input) {
      const prefix = typeof input.NamePrefix === 'string' ? input.NamePrefix : '';
      const bus = busName(typeof input.EventBusName === 'string' ? input.EventBusName : undefined);
      const found = [...store.rules.values()].filter(
        (rule) => rule.eventBusName === bus && rule.name.startsWith(prefix),
      );
      return { Rules: found.map(describe) };
    },
    DeleteRule(input) {
      const rule = store.requireRule(input.Name, input.EventBusName);
      if (rule.targets.length > 0) throw validation("Rule can't be deleted since it has targets.");
      store.deleteRule(rule);
      return {};
    },
    PutTargets(input) {
      const rule = store.requireRule(input.Rule, input.EventBusName);
      const targets = Array.isArray(input.Targets) ? (input.Targets as Input[]) : [];
      for (const target of targets) {
        if (typeof target.Id !== 'string' || typeof target.Arn !== 'string') {
          throw validation('Targets need an Id and an Arn.');
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
      const rule = store.requireRule(input.Rule, input.EventBusName);
      const ids = Array.isArray(input.Ids) ? (input.Ids as string[]) : [];
      rule.targets = rule.targets.filter((target) => !ids.includes(target.id));
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    ListTargetsByRule: (input) => ({
      Targets: store.requireRule(input.Rule, input.EventBusName).targets.map(renderTarget),
    }),
  };

  return async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AWSEvents.') ? target.slice('AWSEvents.'.length) : '';
    const faulted = await applyFault(ctx.faults.take('eventbridge', operation), res, (fault) =>
      sendJsonError(res, fault.status, fault.error, fault.message, CONTENT_TYPE),
    );
    if (faulted === 'handled') return;
    try {
      const run = operations[operation];
      if (!run) throw unknownOperation(operation || target);
      let input: Input;
      try {
        input = body.length > 0 ? (JSON.parse(body.toString()) as Input) : {};
      } catch {
        throw serializationException();
      }
      sendJson(res, 200, run(input), CONTENT_TYPE);
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      sendJsonError(res, error.status, error.code, error.message, CONTENT_TYPE);
    }
  };
}
