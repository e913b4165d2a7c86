/**
 * The workflows' status waits on the local cloud: the real pause/resume ASL, the real
 * StatusEventsFunction (functions/status-events) and the `MWAA Environment Status Change` rule
 * as the fixture template wires them from template.yaml, the MWAA emulator emitting the events
 * to the local EventBridge. Asserted on the execution history: a wait ends on the event (not on
 * a poll), polling takes over when events are dropped, and stray events are harmless.
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEnvironmentCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import { LIFECYCLE_MS, type MwaaHandle } from '../../../local/mwaa/index.ts';
import { type CloudMwaa, createEnvironmentInput, mwaaFor } from '../../helpers/local-mwaa.ts';
import {
  environmentStatus,
  FAST_WORKFLOW_SETTINGS,
  localSdkConfig,
  registryItem,
  statesEntered,
  until,
  workflowClients,
} from '../../helpers/workflow-tests.ts';

const templatePath = new URL('../fixtures/pause-resume-template.yaml', import.meta.url).pathname;

let cloud: LocalCloud;
let local: CloudMwaa;
let mwaa: MwaaHandle;
let mwaaApi: MWAAClient;
let s3: S3Client;
let dynamodb: DynamoDBClient;
let counter = 0;

beforeAll(async () => {
  cloud = await startLocalCloud({ templatePath, clockSpeed: 2000 });
  local = await mwaaFor(cloud);
  mwaa = local.mwaa;
  ({ mwaaApi, s3, dynamodb } = workflowClients(cloud));
}, 60_000);

afterAll(async () => {
  await local?.close();
  await cloud?.stop();
});

async function availableEnvironment(): Promise<string> {
  counter += 1;
  const name = `se-${counter}`;
  await mwaaApi.send(new CreateEnvironmentCommand(createEnvironmentInput(name, '2.10.3') as never));
  await until(async () => (await environmentStatus(mwaaApi, name)) === 'AVAILABLE', 20_000);
  await s3.send(
    new PutObjectCommand({ Bucket: cloud.ref('BackupBucket'), Key: `control/${name}.json`, Body: '{}' }),
  );
  return name;
}

type Machine = 'PauseEnvironmentStateMachine' | 'ResumeEnvironmentStateMachine';

async function run(machine: Machine, input: object) {
  const arn = await cloud.startExecution(machine, { ...FAST_WORKFLOW_SETTINGS, ...input });
  const outcome = await cloud.waitForExecution(arn, { timeoutMs: 60_000 });
  return { arn, ...outcome, history: cloud.stepFunctions.history(arn) as unknown as HistoryEvent[] };
}

interface HistoryEvent {
  type: string;
  timestamp?: string | number | Date;
  stateEnteredEventDetails?: { name?: string };
}

const ms = (t: HistoryEvent['timestamp']) => (t instanceof Date ? t.getTime() : new Date(t ?? 0).getTime());

/** Emulated times at which the named Task state's tasks succeeded (or failed / timed out). */
function taskEnds(history: HistoryEvent[], state: string, types = ['TaskSucceeded']): number[] {
  const times: number[] = [];
  let inState = false;
  for (const event of history) {
    if (event.type.endsWith('StateEntered')) inState = event.stateEnteredEventDetails?.name === state;
    else if (inState && types.includes(event.type)) times.push(ms(event.timestamp));
  }
  return times;
}

const count = (names: string[], name: string) => names.filter((n) => n === name).length;

// A poll interval longer than MWAA's delete (15 min) and create (25 min): only an event can end
// the wait before its timeout, so a wait that ends in time was woken by the event.
const NO_POLL_IN_TIME = 3600;

describe('Status waits woken by MWAA Environment Status Change events', () => {
  it('pause and resume act on the event, long before the poll interval, with one wait each', async () => {
    const name = await availableEnvironment();
    const pause = await run('PauseEnvironmentStateMachine', {
      environment: name,
      pollSeconds: NO_POLL_IN_TIME,
    });
    expect(pause.status).toBe('SUCCEEDED');
    const paused = statesEntered(pause.history);
    expect(count(paused, 'AwaitDeletion')).toBe(1);
    expect(paused).not.toContain('WaitForDeletion');
    expect(paused).not.toContain('CheckDeletion');
    const deleted = (taskEnds(pause.history, 'DeleteEnvironment')[0] ?? 0) + LIFECYCLE_MS.delete;
    const acted = taskEnds(pause.history, 'AwaitDeletion')[0] ?? Number.NaN;
    // Emulated seconds; at clock ×2000 each real millisecond of event delivery is 2 s.
    expect((acted - deleted) / 1000).toBeGreaterThanOrEqual(0);
    expect((acted - deleted) / 1000).toBeLessThan(NO_POLL_IN_TIME - LIFECYCLE_MS.delete / 1000);

    const resume = await run('ResumeEnvironmentStateMachine', {
      environment: name,
      pollSeconds: NO_POLL_IN_TIME,
    });
    expect(resume.status).toBe('SUCCEEDED');
    const resumed = statesEntered(resume.history);
    expect(count(resumed, 'AwaitCreation')).toBe(1);
    expect(resumed).not.toContain('WaitForCreation');
    expect(resumed.indexOf('Import')).toBeGreaterThan(resumed.indexOf('AwaitCreation'));
    expect(await environmentStatus(mwaaApi, name)).toBe('AVAILABLE');
    // The last waiter stays registered, answered (its token is spent): the next wait replaces it.
    const waiter = await registryItem(dynamodb, cloud.ref('StatusWaitersTable'), name);
    expect(waiter?.executionArn?.S).toBe(resume.arn);
    expect(waiter?.waitWhile?.L?.map((s) => s.S)).toEqual(['CREATING', 'PENDING']);
    // Never in the registry, which only the workflows write.
    expect(
      Object.keys((await registryItem(dynamodb, cloud.ref('EnvironmentsTable'), name)) ?? {}),
    ).not.toContain('taskToken');
  }, 60_000);

  it('falls back to polling when the events are dropped', async () => {
    const name = await availableEnvironment();
    mwaa.dropStatusEvents(name);
    try {
      const before = cloud.events.events().length;
      const pause = await run('PauseEnvironmentStateMachine', { environment: name, pollSeconds: 120 });
      expect(pause.status).toBe('SUCCEEDED');
      expect(
        cloud.events
          .events()
          .slice(before)
          .filter((e) => e.source === 'aws.airflow'),
      ).toEqual([]);
      const paused = statesEntered(pause.history);
      // 15 emulated minutes of DELETING at one poll per 120 s: timed-out waits, each followed by
      // another registration whose check is the poll (at least 2 even when real-time latency,
      // ×2000 on this clock, stretches each round).
      expect(count(paused, 'AwaitDeletion')).toBeGreaterThanOrEqual(3);
      expect(taskEnds(pause.history, 'AwaitDeletion', ['TaskTimedOut']).length).toBeGreaterThanOrEqual(2);
      expect(paused).not.toContain('WaitForDeletion');
      expect(await environmentStatus(mwaaApi, name)).toBe('GONE');

      const resume = await run('ResumeEnvironmentStateMachine', { environment: name, pollSeconds: 120 });
      expect(resume.status).toBe('SUCCEEDED');
      expect(count(statesEntered(resume.history), 'AwaitCreation')).toBeGreaterThanOrEqual(3);
    } finally {
      mwaa.dropStatusEvents(name, false);
    }
  }, 60_000);

  it('fails fast on CREATE_FAILED reported by the event', async () => {
    const name = await availableEnvironment();
    expect((await run('PauseEnvironmentStateMachine', { environment: name })).status).toBe('SUCCEEDED');
    mwaa.failNext(name, 'CREATE_FAILED');
    const resume = await run('ResumeEnvironmentStateMachine', {
      environment: name,
      pollSeconds: NO_POLL_IN_TIME,
    });
    expect(resume.status).toBe('FAILED');
    expect(resume.error).toBe('EnvironmentCreateFailedError');
    const entered = statesEntered(resume.history);
    expect(count(entered, 'AwaitCreation')).toBe(1);
    expect(entered).not.toContain('Import');
  }, 60_000);

  it('a late or duplicate event for a finished execution changes nothing', async () => {
    const name = await availableEnvironment();
    const pause = await run('PauseEnvironmentStateMachine', {
      environment: name,
      pollSeconds: NO_POLL_IN_TIME,
    });
    expect(pause.status).toBe('SUCCEEDED');
    const table = cloud.ref('EnvironmentsTable');
    const itemBefore = await registryItem(dynamodb, table, name);
    const invocations = cloud.invocationCount('StatusEventsFunction');
    const late = {
      Source: 'aws.airflow',
      DetailType: 'MWAA Environment Status Change',
      Detail: JSON.stringify({ Name: name, Status: 'DELETED', PreviousStatus: 'DELETING' }),
      Resources: [`arn:aws:airflow:${cloud.env.AWS_REGION}:123456789012:environment/${name}`],
    };
    await cloud.events.putEvents([late]);
    await cloud.events.putEvents([late]);
    await cloud.settled();
    expect(cloud.invocationCount('StatusEventsFunction')).toBe(invocations + 2);
    const logs = cloud.logs('StatusEventsFunction').join('\n');
    expect(logs).toContain('waiter already ended');
    expect(logs).not.toContain('invocation failed');
    expect(await registryItem(dynamodb, table, name)).toEqual(itemBefore);
    expect(cloud.stepFunctions.history(pause.arn).length).toBe(pause.history.length);
  }, 60_000);

  it('sends a malformed event to the dead-letter queue with the reason', async () => {
    const result = (await cloud.invoke('StatusEventsFunction', {
      source: 'aws.airflow',
      'detail-type': 'MWAA Environment Status Change',
      id: 'malformed-1',
      resources: [],
      detail: { Status: 'AVAILABLE' },
    })) as { deadLettered?: boolean };
    expect(result.deadLettered).toBe(true);
    const sqs = new SQSClient({ ...localSdkConfig(cloud), endpoint: cloud.env.AWS_ENDPOINT_URL_SQS });
    const queueUrl = cloud.functionEnv('StatusEventsFunction').DEAD_LETTER_QUEUE_URL;
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    const letters = (out.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}'));
    const letter = letters.find((l) => l.input?.id === 'malformed-1');
    expect(letter).toMatchObject({
      errorName: 'ValidationError',
      source: 'StatusEventsFunction',
      reason: expect.stringContaining('names no MWAA environment'),
    });
  }, 30_000);
});
