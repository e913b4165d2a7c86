/** Template support for EventBridge Scheduler: schedule groups, schedules and SAM `ScheduleV2` sources. */
import type { LocalSchedule } from '../core/model.ts';
import { generatedName } from '../template/identity.ts';
import { enabled, isObject, type Json, str, type TemplateSupport } from '../template/support.ts';

export const schedulerTemplate: TemplateSupport = {
  service: 'scheduler',
  resources: {
    'AWS::Scheduler::ScheduleGroup'({ id, model }) {
      model.scheduleGroups = [...(model.scheduleGroups ?? []), id.ref];
    },
    'AWS::Scheduler::Schedule'({ logicalId, id, rawProps, resolve, model }) {
      const props = resolve(rawProps) as Json;
      const target = isObject(props.Target) ? props.Target : {};
      model.schedules.push({
        logicalId,
        name: id.ref,
        groupName: str(props.GroupName) ?? 'default',
        expression: String(props.ScheduleExpression),
        timezone: str(props.ScheduleExpressionTimezone) ?? 'UTC',
        enabled: enabled(props),
        target: {
          arn: String(target.Arn),
          ...(target.Input !== undefined ? { input: str(target.Input) as string } : {}),
          ...(target.RoleArn !== undefined ? { roleArn: String(target.RoleArn) } : {}),
        },
      } satisfies LocalSchedule);
    },
  },
  eventSources: {
    ScheduleV2({ logicalId, ownerArn, props, ctx, model }) {
      model.schedules.push({
        logicalId,
        name: str(props.Name) ?? generatedName(ctx, logicalId, 64),
        groupName: str(props.GroupName) ?? 'default',
        expression: String(props.ScheduleExpression),
        timezone: str(props.ScheduleExpressionTimezone) ?? 'UTC',
        enabled: enabled(props),
        target: {
          arn: ownerArn,
          ...(props.Input !== undefined ? { input: str(props.Input) as string } : {}),
          ...(props.RoleArn !== undefined ? { roleArn: String(props.RoleArn) } : {}),
        },
      });
    },
  },
};
