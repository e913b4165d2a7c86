/**
 * What `mwaa-ops flows` needs from AWS: FlowsTable and the flows' Scheduler schedules.
 * Behind a small interface so commands are tested with an in-memory fake.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  paginateListSchedules,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Flow } from '../functions/shared/flows/model.ts';
import {
  createFlowRepository,
  type FlowSnapshot,
  type InvalidFlow,
} from '../functions/shared/flows/repository.ts';
import {
  type DesiredSchedule,
  desiredSchedules,
  staleSchedules,
} from '../functions/shared/flows/schedules.ts';
import { sdkConfig } from './clients.ts';
import type { CliContext } from './context.ts';
import { stackOutputs } from './stack-outputs.ts';

export interface FlowsStore {
  list(): Promise<FlowSnapshot>;
  get(flowId: string): Promise<{ flow: Flow } | { invalid: InvalidFlow } | undefined>;
  put(flow: Flow): Promise<void>;
  delete(flowId: string): Promise<boolean>;
  /** Make the flow's schedules exist as declared; returns what changed. */
  syncSchedules(
    flow: Flow | { flowId: string; schedules: [] },
  ): Promise<{ upserted: string[]; deleted: string[] }>;
}

export type FlowsStoreFactory = (context: CliContext) => FlowsStore;

export const sdkFlowsStore: FlowsStoreFactory = (context) => {
  const output = stackOutputs(context);
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(sdkConfig(context, 'DYNAMODB')), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const scheduler = new SchedulerClient(sdkConfig(context, 'SCHEDULER'));
  let repository: ReturnType<typeof createFlowRepository> | undefined;
  const repo = async () => {
    repository ??= createFlowRepository({ ddb, tableName: await output('FlowsTableName'), cacheTtlMs: 0 });
    return repository;
  };

  async function upsert(
    group: string,
    target: { arn: string; roleArn: string },
    schedule: DesiredSchedule,
    exists: boolean,
  ) {
    const input = {
      Name: schedule.name,
      GroupName: group,
      ScheduleExpression: schedule.expression,
      ScheduleExpressionTimezone: schedule.timezone,
      State: schedule.enabled ? ('ENABLED' as const) : ('DISABLED' as const),
      FlexibleTimeWindow: { Mode: 'OFF' as const },
      Target: { Arn: target.arn, RoleArn: target.roleArn, Input: schedule.input },
    };
    await scheduler.send(exists ? new UpdateScheduleCommand(input) : new CreateScheduleCommand(input));
  }

  return {
    list: async () => (await repo()).snapshot(),
    get: async (flowId) => (await repo()).get(flowId),
    put: async (flow) => (await repo()).put(flow),
    delete: async (flowId) => (await repo()).delete(flowId),
    async syncSchedules(flow) {
      const group = await output('FlowScheduleGroupName');
      const existing: string[] = [];
      for await (const page of paginateListSchedules(
        { client: scheduler },
        { GroupName: group, NamePrefix: `${flow.flowId}--` },
      )) {
        for (const schedule of page.Schedules ?? []) if (schedule.Name) existing.push(schedule.Name);
      }
      const desired = 'dagId' in flow ? desiredSchedules(flow) : [];
      const stale = staleSchedules(flow.flowId, existing, desired);
      if (desired.length > 0) {
        const target = {
          arn: await output('ScheduledDagTriggerFunctionArn'),
          roleArn: await output('FlowSchedulerRoleArn'),
        };
        for (const schedule of desired)
          await upsert(group, target, schedule, existing.includes(schedule.name));
      }
      for (const name of stale)
        await scheduler.send(new DeleteScheduleCommand({ Name: name, GroupName: group }));
      return { upserted: desired.map((d) => d.name), deleted: stale };
    },
  };
};
