/** Template support for EventBridge: AWS::Events::Rule and SAM `Schedule`/`EventBridgeRule`/`CloudWatchEvent` sources. */
import type { LocalRule, LocalTarget } from '../core/model.ts';
import { generatedName } from '../template/identity.ts';
import {
  type EventSourceInput,
  enabled,
  isObject,
  type Json,
  str,
  type TemplateSupport,
} from '../template/support.ts';

/** A SAM event source that SAM expands into an AWS::Events::Rule targeting its owner. */
function addRuleSource({
  logicalId,
  ownerId,
  eventId,
  ownerArn,
  type,
  props,
  ctx,
  model,
}: EventSourceInput): void {
  const name = str(props.Name ?? props.RuleName) ?? generatedName(ctx, logicalId, 64);
  const bus = str(props.EventBusName) ?? 'default';
  const target: LocalTarget = {
    id: str(isObject(props.Target) ? props.Target.Id : undefined) ?? `${ownerId}${eventId}Target`,
    arn: ownerArn,
  };
  if (props.Input !== undefined) target.input = str(props.Input) as string;
  if (props.InputPath !== undefined) target.inputPath = String(props.InputPath);
  model.rules.push({
    logicalId,
    name,
    arn: `arn:aws:events:${ctx.region}:${ctx.accountId}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`,
    eventBusName: bus,
    ...(type === 'Schedule'
      ? { scheduleExpression: String(props.Schedule) }
      : { eventPattern: (props.Pattern as Json | undefined) ?? {} }),
    enabled: enabled(props),
    targets: [target],
  });
}

export const eventBridgeTemplate: TemplateSupport = {
  service: 'eventbridge',
  resources: {
    'AWS::Events::Rule'({ logicalId, id, rawProps, resolve, model }) {
      const props = resolve(rawProps) as Json;
      model.rules.push({
        logicalId,
        name: id.ref,
        arn: id.attrs.Arn as string,
        eventBusName: str(props.EventBusName) ?? 'default',
        ...(props.EventPattern !== undefined
          ? {
              eventPattern: (typeof props.EventPattern === 'string'
                ? JSON.parse(props.EventPattern)
                : props.EventPattern) as Json,
            }
          : {}),
        ...(props.ScheduleExpression !== undefined
          ? { scheduleExpression: String(props.ScheduleExpression) }
          : {}),
        enabled: enabled(props),
        targets: (Array.isArray(props.Targets) ? props.Targets : []).filter(isObject).map((target) => ({
          id: String(target.Id),
          arn: String(target.Arn),
          ...(target.Input !== undefined ? { input: str(target.Input) as string } : {}),
          ...(target.InputPath !== undefined ? { inputPath: String(target.InputPath) } : {}),
        })),
      } satisfies LocalRule);
    },
  },
  eventSources: { Schedule: addRuleSource, EventBridgeRule: addRuleSource, CloudWatchEvent: addRuleSource },
};
