/**
 * The AWS calls behind `mwaa-ops env`, `backups` and `schedule` (pause/resume side), as one
 * port so the commands can be tested with a fake. The SDK adapter resolves resource names from
 * the stack outputs (`PauseEnvironmentStateMachineArn`, `EnvironmentsTableName`,
 * `BackupBucketName`, `EnvironmentScheduleGroupName`, `EnvironmentSchedulerRoleArn`).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetEnvironmentCommand, MWAAClient } from '@aws-sdk/client-mwaa';
import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
  UpdateScheduleCommand,
  type UpdateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { sdkConfig } from './clients.ts';
import type { CliContext } from './context.ts';
import { stackOutputs } from './stack-outputs.ts';
import { type ExecutionWatcher, sfnWorkflowRunner, sleep } from './workflow-runner.ts';

export type Operation = 'pause' | 'resume';

export type { ExecutionState } from './workflow-runner.ts';

export interface BackupSummary {
  backupId: string;
  prefix: string;
  /** Whether manifest.json (the commit marker) exists. */
  committed: boolean;
  bytes: number;
  lastModified?: string;
}

export interface ScheduleSummary {
  operation: Operation;
  environment: string;
  name: string;
  expression: string;
  timeZone: string;
  state: string;
}

export interface EnvironmentOps extends ExecutionWatcher {
  startExecution(operation: Operation, name: string, input: Record<string, unknown>): Promise<string>;
  /** The EnvironmentsTable item, unmarshalled; undefined when absent. */
  registry(environment: string): Promise<Record<string, unknown> | undefined>;
  /** MWAA status, or undefined when the environment does not exist. */
  mwaaStatus(environment: string): Promise<{ status: string; airflowVersion?: string } | undefined>;
  listBackups(environment: string): Promise<BackupSummary[]>;
  /** manifest.json of a backup; undefined when it is not committed. */
  manifest(environment: string, backupId: string): Promise<Record<string, unknown> | undefined>;
  putSchedule(schedule: Omit<ScheduleSummary, 'name' | 'state'>): Promise<string>;
  listSchedules(): Promise<ScheduleSummary[]>;
  deleteSchedule(operation: Operation, environment: string): Promise<void>;
  /** Create or replace the idle schedule `idle-<environment>` (docs/pause-resume.md#idle-aware-pausing). */
  putIdleSchedule(schedule: IdleSchedule): Promise<string>;
  deleteIdleSchedule(environment: string): Promise<void>;
}

/** An idle schedule: how often to check, and the IdlePauseFunction settings it passes on. */
export interface IdleSchedule {
  environment: string;
  /** Scheduler expression of the checks, e.g. `rate(15 minutes)`. */
  expression: string;
  windowMinutes: number;
  leadMinutes: number;
  unpredictable: 'ignore' | 'block';
}

export const idleScheduleName = (environment: string) => `idle-${environment}`;

export type EnvironmentOpsFactory = (context: CliContext) => EnvironmentOps;

/** Schedules are named `<operation>-<environment>` inside the stack's environment schedule group. */
export const scheduleName = (operation: Operation, environment: string) => `${operation}-${environment}`;

export const sdkEnvironmentOps: EnvironmentOpsFactory = (context) => {
  const output = stackOutputs(context);
  const runner = sfnWorkflowRunner(new SFNClient(sdkConfig(context, 'SFN')));
  const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient(sdkConfig(context, 'DYNAMODB')));
  const mwaaConfig = sdkConfig(context, 'MWAA');
  const mwaa = new MWAAClient({ ...mwaaConfig, disableHostPrefix: 'endpoint' in mwaaConfig });
  const s3Config = sdkConfig(context, 'S3');
  const s3 = new S3Client({ ...s3Config, forcePathStyle: 'endpoint' in s3Config });
  const scheduler = new SchedulerClient(sdkConfig(context, 'SCHEDULER'));
  // Scheduler has no "put": update the schedule when it exists, else create it.
  const upsertSchedule = async (request: CreateScheduleCommandInput & UpdateScheduleCommandInput) => {
    try {
      await scheduler.send(new GetScheduleCommand({ Name: request.Name, GroupName: request.GroupName }));
      await scheduler.send(new UpdateScheduleCommand(request));
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      await scheduler.send(new CreateScheduleCommand(request));
    }
  };
  const machine = (operation: Operation) =>
    output(operation === 'pause' ? 'PauseEnvironmentStateMachineArn' : 'ResumeEnvironmentStateMachineArn');

  return {
    startExecution: async (operation, name, input) => runner.start(await machine(operation), name, input),
    describeExecution: runner.describeExecution,
    statesEnteredAfter: runner.statesEnteredAfter,
    async registry(environment) {
      const out = await dynamodb.send(
        new GetCommand({
          TableName: await output('EnvironmentsTableName'),
          Key: { environment },
          ConsistentRead: true,
        }),
      );
      return out.Item;
    },
    async mwaaStatus(environment) {
      try {
        const out = await mwaa.send(new GetEnvironmentCommand({ Name: environment }));
        return {
          status: out.Environment?.Status ?? 'UNKNOWN',
          ...(out.Environment?.AirflowVersion ? { airflowVersion: out.Environment.AirflowVersion } : {}),
        };
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    },
    async listBackups(environment) {
      const bucket = await output('BackupBucketName');
      const byId = new Map<string, BackupSummary>();
      const prefix = `backups/${environment}/`;
      for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
        for (const object of page.Contents ?? []) {
          const rest = (object.Key ?? '').slice(prefix.length);
          const backupId = rest.split('/')[0];
          if (!backupId) continue;
          const summary = byId.get(backupId) ?? {
            backupId,
            prefix: `${prefix}${backupId}/`,
            committed: false,
            bytes: 0,
          };
          summary.bytes += object.Size ?? 0;
          if (rest === `${backupId}/manifest.json`) {
            summary.committed = true;
            if (object.LastModified) summary.lastModified = object.LastModified.toISOString();
          }
          byId.set(backupId, summary);
        }
      }
      // Backup ids start with their UTC time, so the newest sorts last; show it first.
      return [...byId.values()].sort((a, b) => b.backupId.localeCompare(a.backupId));
    },
    async manifest(environment, backupId) {
      try {
        const out = await s3.send(
          new GetObjectCommand({
            Bucket: await output('BackupBucketName'),
            Key: `backups/${environment}/${backupId}/manifest.json`,
          }),
        );
        return JSON.parse((await out.Body?.transformToString()) ?? '{}');
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async putSchedule({ operation, environment, expression, timeZone }) {
      const name = scheduleName(operation, environment);
      const request = {
        Name: name,
        GroupName: await output('EnvironmentScheduleGroupName'),
        ScheduleExpression: expression,
        ScheduleExpressionTimezone: timeZone,
        FlexibleTimeWindow: { Mode: 'OFF' as const },
        State: 'ENABLED' as const,
        Description: `mwaa-ops: ${operation} ${environment}`,
        Target: {
          Arn: await machine(operation),
          RoleArn: await output('EnvironmentSchedulerRoleArn'),
          Input: JSON.stringify({ environment }),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        },
      };
      await upsertSchedule(request);
      return name;
    },
    async listSchedules() {
      const group = await output('EnvironmentScheduleGroupName');
      const found: ScheduleSummary[] = [];
      let nextToken: string | undefined;
      do {
        const page = await scheduler.send(
          new ListSchedulesCommand({ GroupName: group, NextToken: nextToken }),
        );
        for (const entry of page.Schedules ?? []) {
          const match = /^(pause|resume)-(.+)$/.exec(entry.Name ?? '');
          if (!match) continue;
          const full = await scheduler.send(new GetScheduleCommand({ Name: entry.Name, GroupName: group }));
          found.push({
            operation: match[1] as Operation,
            environment: match[2] as string,
            name: entry.Name ?? '',
            expression: full.ScheduleExpression ?? '',
            timeZone: full.ScheduleExpressionTimezone ?? 'UTC',
            state: full.State ?? 'ENABLED',
          });
        }
        nextToken = page.NextToken;
      } while (nextToken);
      return found;
    },
    async putIdleSchedule({ environment, expression, windowMinutes, leadMinutes, unpredictable }) {
      const name = idleScheduleName(environment);
      const request = {
        Name: name,
        GroupName: await output('EnvironmentScheduleGroupName'),
        ScheduleExpression: expression,
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' as const },
        State: 'ENABLED' as const,
        Description: `mwaa-ops: pause ${environment} when idle`,
        Target: {
          Arn: await output('IdlePauseFunctionArn'),
          RoleArn: await output('IdleSchedulerRoleArn'),
          // Scheduler fills in the tick's time: a redelivered tick starts the same pause once.
          Input: JSON.stringify({
            environment,
            windowMinutes,
            leadMinutes,
            unpredictable,
            scheduledTime: '<aws.scheduler.scheduled-time>',
          }),
          // A missed tick is made up by the next one.
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 },
        },
      };
      await upsertSchedule(request);
      return name;
    },
    async deleteIdleSchedule(environment) {
      await scheduler.send(
        new DeleteScheduleCommand({
          Name: idleScheduleName(environment),
          GroupName: await output('EnvironmentScheduleGroupName'),
        }),
      );
    },
    async deleteSchedule(operation, environment) {
      await scheduler.send(
        new DeleteScheduleCommand({
          Name: scheduleName(operation, environment),
          GroupName: await output('EnvironmentScheduleGroupName'),
        }),
      );
    },
    sleep,
  };
};
