/** The AWS adapters behind IdleDeps: DynamoDB (the lock), MWAA (status), Scheduler, Step Functions. */
import { GetEnvironmentCommand } from '@aws-sdk/client-mwaa';
import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { airflowClient } from '../shared/airflow/index.ts';
import { dynamodbClient, mwaaClient, schedulerClient, sfnClient, shared } from '../shared/aws-clients.ts';
import { logger } from '../shared/observability.ts';
import type { IdleDeps } from './check.ts';
import type { IdlePauseConfig } from './config.ts';

export function buildIdleDeps(config: IdlePauseConfig): IdleDeps {
  const dynamodb = shared(dynamodbClient);
  const mwaa = shared(mwaaClient);
  const scheduler = shared(schedulerClient);
  const sfn = shared(sfnClient);
  return {
    airflow: airflowClient(),
    log: logger,
    now: () => new Date(),
    async lockHeld(environment) {
      const out = await dynamodb.send(
        new GetCommand({
          TableName: config.environmentsTableName,
          Key: { environment },
          ConsistentRead: true,
          ProjectionExpression: '#lock',
          ExpressionAttributeNames: { '#lock': 'lock' },
        }),
      );
      return out.Item?.lock !== undefined;
    },
    async mwaaStatus(environment) {
      try {
        const out = await mwaa.send(new GetEnvironmentCommand({ Name: environment }));
        return out.Environment?.Status ?? 'UNKNOWN';
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return 'GONE';
        throw error;
      }
    },
    async putResumeSchedule({ name, expression, input }) {
      const request: CreateScheduleCommandInput = {
        Name: name,
        GroupName: config.scheduleGroupName,
        ScheduleExpression: expression,
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        // One resume per idle pause: Scheduler deletes the schedule once it has run.
        ActionAfterCompletion: 'DELETE',
        Description: `mwaa-ops: resume ${String(input.environment)} ahead of its next due DAG run (idle pause)`,
        Target: {
          Arn: config.resumeStateMachineArn,
          RoleArn: config.schedulerRoleArn,
          Input: JSON.stringify(input),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        },
      };
      try {
        await scheduler.send(new CreateScheduleCommand(request));
      } catch (error) {
        // Left by an earlier idle pause that aborted: move it to the new time.
        if ((error as Error).name !== 'ConflictException') throw error;
        await scheduler.send(new UpdateScheduleCommand(request));
      }
    },
    async startPause(name, input) {
      try {
        const out = await sfn.send(
          new StartExecutionCommand({
            stateMachineArn: config.pauseStateMachineArn,
            name,
            input: JSON.stringify(input),
          }),
        );
        return out.executionArn ?? '';
      } catch (error) {
        // A redelivered tick: the pause it would start runs (or ran) already.
        if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
        return `${config.pauseStateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      }
    },
  };
}
