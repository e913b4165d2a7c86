/**
 * A Scheduler tick → one DAG run of the flow, with a run id derived from the scheduled time so
 * Scheduler's and Lambda's retries never start a second run.
 *
 * Input (the schedule's target Input): `{ "flowId": "...", "scheduledTime":
 * "<aws.scheduler.scheduled-time>", "scheduleName"?: "...", "conf"?: {...} }`.
 */

import type { Log } from '../s3-dag-trigger/process-event.ts';
import type { AirflowClient } from '../shared/airflow/client.ts';
import { AirflowError } from '../shared/airflow/errors.ts';
import type { DeadLetterSink } from '../shared/dead-letter.ts';
import { describeError } from '../shared/errors.ts';
import { scheduleConf } from '../shared/flows/conf.ts';
import type { FlowRepository } from '../shared/flows/repository.ts';
import { scheduleRunId } from '../shared/flows/run-ids.ts';
import { flowScheduleName } from '../shared/flows/schedules.ts';

export interface ScheduleDependencies {
  flows: Pick<FlowRepository, 'get'>;
  airflow: Pick<AirflowClient, 'triggerDagRun'>;
  deadLetter: DeadLetterSink;
  log: Log;
}

export interface ScheduleInput {
  flowId: string;
  scheduledTime: string;
  scheduleName?: string;
  conf?: Record<string, unknown>;
}

export type ScheduleOutcome =
  | { outcome: 'triggered' | 'already-exists'; runId: string }
  | { outcome: 'disabled' | 'dead-lettered'; reason: string };

const SOURCE = 'ScheduledDagTriggerFunction';
const SCHEDULE_NAME = /^[0-9a-zA-Z_.-]{1,128}$/;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function parseScheduleInput(event: unknown): ScheduleInput | string {
  if (!isObject(event)) return 'input is not a JSON object';
  const { flowId, scheduledTime, scheduleName, conf } = event;
  if (typeof flowId !== 'string' || flowId === '') return 'input lacks "flowId"';
  // An EventBridge scheduled rule passes `time` instead; accept it as the scheduled time.
  const time =
    typeof scheduledTime === 'string'
      ? scheduledTime
      : typeof event.time === 'string'
        ? event.time
        : undefined;
  if (time === undefined || Number.isNaN(new Date(time).getTime())) {
    return 'input lacks a valid "scheduledTime" (use <aws.scheduler.scheduled-time> in the schedule input)';
  }
  if (conf !== undefined && !isObject(conf)) return '"conf" must be a JSON object';
  // The name is part of the run id: it must be a schedule name as flows declare them.
  if (scheduleName !== undefined && (typeof scheduleName !== 'string' || !SCHEDULE_NAME.test(scheduleName))) {
    return '"scheduleName" must be letters, digits, hyphens, underscores or dots';
  }
  return {
    flowId,
    scheduledTime: time,
    ...(typeof scheduleName === 'string' ? { scheduleName } : {}),
    ...(conf === undefined ? {} : { conf }),
  };
}

export async function processSchedule(event: unknown, deps: ScheduleDependencies): Promise<ScheduleOutcome> {
  const input = parseScheduleInput(event);
  // The replay is the tick without its conf (conf values stay out of the queue; the flow has them).
  const replayEvent =
    typeof input === 'string'
      ? undefined
      : {
          flowId: input.flowId,
          scheduledTime: input.scheduledTime,
          ...(input.scheduleName === undefined ? {} : { scheduleName: input.scheduleName }),
        };
  const deadLetter = async (reason: string, errorName: string, extra: Record<string, unknown> = {}) => {
    deps.log.error('Scheduled trigger failed; sent to the dead-letter queue', {
      reason,
      errorName,
      ...extra,
    });
    await deps.deadLetter.send({
      reason,
      errorName,
      source: SOURCE,
      input: extra,
      ...(replayEvent === undefined ? {} : { replayEvent }),
    });
    return { outcome: 'dead-lettered' as const, reason };
  };
  if (typeof input === 'string') return deadLetter(`Malformed schedule input: ${input}`, 'ValidationError');

  const found = await deps.flows.get(input.flowId);
  const ids = { flowId: input.flowId, scheduledTime: input.scheduledTime, scheduleName: input.scheduleName };
  if (!found) return deadLetter(`Flow ${input.flowId} does not exist`, 'FlowNotFoundError', ids);
  if ('invalid' in found) {
    return deadLetter(
      `Flow ${input.flowId} is invalid: ${found.invalid.problems.join('; ')}`,
      'InvalidFlowError',
      ids,
    );
  }
  const { flow } = found;
  if (!flow.enabled) {
    deps.log.info('Flow is disabled; no DAG run started', ids);
    return { outcome: 'disabled', reason: `flow ${flow.flowId} is disabled` };
  }

  const scheduleName =
    input.scheduleName === undefined ? undefined : flowScheduleName(flow.flowId, input.scheduleName);
  const runId = scheduleRunId(flow.flowId, input.scheduledTime, scheduleName);
  const where = { ...ids, environment: flow.environment, dagId: flow.dagId, runId };
  // The tick carries its schedule's conf; a replayed dead letter (which never holds conf values)
  // names only the schedule, whose conf then comes from the flow itself.
  const declared = flow.schedules.find((schedule) => schedule.name === scheduleName);
  const scheduleOwnConf = input.conf ?? declared?.conf;
  try {
    const result = await deps.airflow.triggerDagRun(flow.environment, {
      dagId: flow.dagId,
      runId,
      conf: scheduleConf(flow.flowId, flow.conf, input, scheduleOwnConf),
      onPaused: flow.onPaused,
      anchorTime: input.scheduledTime,
    });
    deps.log.info(
      result.outcome === 'triggered' ? 'DAG run triggered' : 'DAG run already exists; repeated tick',
      {
        ...where,
        unpaused: result.unpaused,
      },
    );
    return { outcome: result.outcome, runId };
  } catch (error) {
    // Retryable errors go back to Lambda (retries, then the on-failure destination).
    if (error instanceof AirflowError && error.retryable) throw error;
    const { name, message } = describeError(error);
    return deadLetter(message, name, where);
  }
}
