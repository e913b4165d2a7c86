/**
 * EventBridge rules: from the template model and PutRule/PutTargets, each with its compiled
 * event pattern or schedule, and the payload each target receives (the whole event, a constant
 * `Input`, or the `InputPath` selection).
 */
import type { LocalRule, LocalTarget } from '../core/model.ts';
import { ServiceError } from '../core/service-error.ts';
import {
  ExpressionError,
  parseScheduleExpression,
  type ScheduleExpression,
} from '../scheduler/expression.ts';
import { compileEventPattern, type EventPattern, InvalidEventPatternError } from './event-pattern.ts';
import { selectInputPath } from './input-path.ts';

export interface Rule {
  name: string;
  arn: string;
  eventBusName: string;
  description?: string;
  eventPatternText?: string;
  pattern?: EventPattern;
  scheduleExpression?: string;
  schedule?: ScheduleExpression;
  enabled: boolean;
  targets: LocalTarget[];
  createdAt: number;
}

export function compileRulePattern(pattern: string | Record<string, unknown>): EventPattern {
  try {
    return compileEventPattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) {
      throw new ServiceError('InvalidEventPatternException', error.message);
    }
    throw error;
  }
}

export function compileRuleSchedule(expression: string): ScheduleExpression {
  try {
    return parseScheduleExpression(expression, { dialect: 'rule' });
  } catch (error) {
    if (error instanceof ExpressionError) throw new ServiceError('ValidationException', error.message);
    throw error;
  }
}

/** Rule ARNs name the bus only when it is not the default one. */
export function ruleArn(region: string, accountId: string, eventBusName: string, name: string): string {
  const path = eventBusName === 'default' ? name : `${eventBusName}/${name}`;
  return `arn:aws:events:${region}:${accountId}:rule/${path}`;
}

export function ruleFromModel(rule: LocalRule, createdAt: number): Rule {
  return {
    name: rule.name,
    arn: rule.arn,
    eventBusName: busName(rule.eventBusName),
    ...(rule.eventPattern
      ? {
          eventPatternText: JSON.stringify(rule.eventPattern),
          pattern: compileRulePattern(rule.eventPattern),
        }
      : {}),
    ...(rule.scheduleExpression
      ? {
          scheduleExpression: rule.scheduleExpression,
          schedule: compileRuleSchedule(rule.scheduleExpression),
        }
      : {}),
    enabled: rule.enabled,
    targets: rule.targets.map((target) => ({ ...target })),
    createdAt,
  };
}

/** `default`, a bus name, or a bus ARN → the bus name. */
export function busName(nameOrArn: string | undefined): string {
  if (!nameOrArn) return 'default';
  const match = /^arn:aws[\w-]*:events:[^:]*:\d{12}:event-bus\/(.+)$/.exec(nameOrArn);
  return match?.[1] ?? nameOrArn;
}

/** What a target receives for an event, as a JSON string. */
export function targetPayload(target: LocalTarget, event: Record<string, unknown>): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath !== undefined) return JSON.stringify(selectInputPath(event, target.inputPath) ?? null);
  return JSON.stringify(event);
}
