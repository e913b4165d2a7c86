/**
 * Idle-aware pausing on the local cloud built from template.yaml: the real IdlePauseFunction
 * reads the emulated Airflow's DAGs (next run times) and runs through InvokeRestApi, writes the
 * one-time resume schedule to the Scheduler emulator and starts the real Pause ASL with
 * abortIfBusy; the schedule then starts the real Resume ASL on the emulated clock.
 * docs/pause-resume.md#idle-aware-pausing
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEnvironmentCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IdleCheckResult } from '../../../functions/idle-pause/check.ts';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import type { MwaaHandle } from '../../../local/mwaa/index.ts';
import { runCliOnCloud } from '../../helpers/cli-run.ts';
import { type CloudMwaa, createEnvironmentInput, mwaaFor } from '../../helpers/local-mwaa.ts';
import {
  dagPauseStates,
  environmentStatus,
  FAST_WORKFLOW_SETTINGS,
  localSdkConfig,
  registryItem,
  statesEntered,
  until as waitUntil,
  workflowClients,
} from '../../helpers/workflow-tests.ts';

const MINUTE = 60_000;
const FAST = FAST_WORKFLOW_SETTINGS;

let cloud: LocalCloud;
let local: CloudMwaa;
let mwaa: MwaaHandle;
let mwaaApi: MWAAClient;
let dynamodb: DynamoDBClient;
let scheduler: SchedulerClient;
let table: string;
let group: string;
let counter = 0;

beforeAll(async () => {
  cloud = await startLocalCloud({ clockSpeed: 2000 });
  local = await mwaaFor(cloud);
  mwaa = local.mwaa;
  ({ mwaaApi, dynamodb } = workflowClients(cloud));
  scheduler = new SchedulerClient({
    ...localSdkConfig(cloud),
    endpoint: cloud.env.AWS_ENDPOINT_URL_SCHEDULER,
  });
  table = cloud.ref('EnvironmentsTable');
  group = cloud.ref('EnvironmentScheduleGroup');
}, 120_000);

afterAll(async () => {
  await local?.close();
  await cloud?.stop();
});

const status = (name: string) => environmentStatus(mwaaApi, name);
const until = (probe: () => Promise<boolean>, timeoutMs = 60_000) => waitUntil(probe, timeoutMs);
const inMinutes = (minutes: number) => new Date(cloud.clock.now() + minutes * MINUTE).toISOString();

/** An AVAILABLE environment with two unpaused DAGs (due in `dueMinutes` and later) and a paused one. */
async function environment(version: string, dueMinutes: number): Promise<string> {
  counter += 1;
  const name = `idle-${version.replaceAll('.', '')}-${counter}`;
  await mwaaApi.send(new CreateEnvironmentCommand(createEnvironmentInput(name, version) as never));
  await until(async () => (await status(name)) === 'AVAILABLE');
  const airflow = mwaa.airflow(name);
  airflow.addDag('etl_daily', { paused: false, durationMs: 10 * MINUTE });
  airflow.addDag('weekly_report', { paused: false, durationMs: 600 * MINUTE });
  airflow.addDag('old_dag', { paused: true });
  airflow.addDag('manual_only', { paused: false });
  airflow.setNextRun('etl_daily', { runAfter: inMinutes(dueMinutes), scheduleInterval: '0 20 * * *' });
  airflow.setNextRun('weekly_report', {
    runAfter: inMinutes(dueMinutes + 3000),
    scheduleInterval: '0 6 * * 1',
  });
  // Paused: ignored even though it is due at once.
  airflow.setNextRun('old_dag', { runAfter: inMinutes(1), scheduleInterval: '*/5 * * * *' });
  return name;
}

/** One tick as the idle schedule delivers it (Scheduler substitutes the scheduled time). */
const tick = (name: string, extra: Record<string, unknown> = {}) =>
  cloud.invoke('IdlePauseFunction', {
    environment: name,
    scheduledTime: new Date(cloud.clock.now()).toISOString(),
    workflowSettings: FAST,
    ...extra,
  }) as Promise<IdleCheckResult>;

async function schedule(name: string) {
  try {
    return await scheduler.send(new GetScheduleCommand({ Name: name, GroupName: group }));
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

describe('Idle-aware pausing on Airflow 2.10.3', () => {
  it('does not pause while a DAG run is running', async () => {
    const name = await environment('2.10.3', 600);
    const run = mwaa.airflow(name).triggerDagRun('weekly_report', { runId: 'manual__busy' });
    await mwaa.airflow(name).waitForRun('weekly_report', String(run.run_id), ['running']);
    const result = await tick(name);
    expect(result).toMatchObject({ paused: false, reason: 'runs-active', executionArn: null });
    expect(await schedule(`idle-resume-${name}`)).toBeUndefined();
    expect(await status(name)).toBe('AVAILABLE');
    expect((await registryItem(dynamodb, table, name))?.lock).toBeUndefined();
  }, 120_000);

  it('does not pause when an unpaused DAG is due within the window', async () => {
    const name = await environment('2.10.3', 90);
    const result = await tick(name, { windowMinutes: 120, leadMinutes: 45 });
    expect(result).toMatchObject({ paused: false, reason: 'due-within-window', dagId: 'etl_daily' });
    expect(await schedule(`idle-resume-${name}`)).toBeUndefined();
    expect(await status(name)).toBe('AVAILABLE');
  }, 120_000);

  it('pauses an idle environment, schedules its resume lead minutes before the next due run, and the schedule resumes it', async () => {
    // Far enough ahead that the pause (minutes of emulated time) ends long before the resume.
    const name = await environment('2.10.3', 900);
    const dueAt = mwaa
      .airflow(name)
      .runQuery("SELECT next_dagrun_create_after AS t FROM dag WHERE dag_id = 'etl_daily'")[0]?.t as string;
    const before = dagPauseStates(mwaa.airflow(name).store);
    const result = await tick(name, { leadMinutes: 45 });
    expect(result).toMatchObject({ paused: true, reason: 'pausing', dagId: 'etl_daily' });
    expect(Date.parse(String(result.nextDueAt))).toBe(Date.parse(dueAt));
    const resumeAt = Date.parse(String(result.resumeAt));
    expect(Date.parse(dueAt) - resumeAt).toBeGreaterThanOrEqual(45 * MINUTE);
    expect(Date.parse(dueAt) - resumeAt).toBeLessThan(46 * MINUTE);

    const resume = await schedule(String(result.resumeSchedule));
    expect(resume).toMatchObject({
      ScheduleExpression: `at(${new Date(resumeAt).toISOString().slice(0, 19)})`,
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: cloud.ref('ResumeEnvironmentStateMachine') },
    });
    expect(JSON.parse(String(resume?.Target?.Input))).toEqual({ environment: name, ...FAST });

    const pause = await cloud.waitForExecution(String(result.executionArn), { timeoutMs: 120_000 });
    expect({ status: pause.status, error: pause.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
    const states = statesEntered(cloud.stepFunctions.history(String(result.executionArn)));
    expect(states).toEqual(expect.arrayContaining(['RecheckRuns', 'IsBusyAfterBackup', 'DeleteEnvironment']));
    expect(await status(name)).toBe('GONE');
    // The resume has not fired yet: the pause ended well before its time.
    expect(cloud.clock.now()).toBeLessThan(resumeAt);

    // The schedule starts the resume at its time; Scheduler then deletes it.
    await until(async () => (await registryItem(dynamodb, table, name))?.state?.S === 'RUNNING', 120_000);
    expect(cloud.clock.now()).toBeGreaterThanOrEqual(resumeAt);
    expect(await status(name)).toBe('AVAILABLE');
    const pausedAfter = dagPauseStates(mwaa.airflow(name).store);
    for (const [dagId, paused] of Object.entries(before))
      expect({ dagId, paused: pausedAfter[dagId] }).toEqual({ dagId, paused });
    await until(async () => (await schedule(String(result.resumeSchedule))) === undefined);
  }, 240_000);

  it('aborts the pause without deleting the environment when a run starts after the idle check', async () => {
    const name = await environment('2.10.3', 900);
    const before = dagPauseStates(mwaa.airflow(name).store);
    const result = await tick(name);
    expect(result).toMatchObject({ paused: true, reason: 'pausing' });
    // A run that starts between the check and the delete (long: it must not be interrupted).
    const run = mwaa.airflow(name).triggerDagRun('weekly_report', { runId: 'manual__late_arrival' });
    void run;
    const pause = await cloud.waitForExecution(String(result.executionArn), { timeoutMs: 120_000 });
    expect(pause).toMatchObject({ status: 'FAILED', error: 'EnvironmentBusyError' });
    const states = statesEntered(cloud.stepFunctions.history(String(result.executionArn)));
    expect(states).toEqual(
      expect.arrayContaining(['Backup', 'RecheckRuns', 'BusyAfterBackup', 'ReenableDags']),
    );
    expect(states).not.toContain('DeleteEnvironment');
    expect(states).not.toContain('RecordPausing');
    expect(await status(name)).toBe('AVAILABLE');
    // The DAGs the export paused are on again, and the late run was left alone.
    expect(dagPauseStates(mwaa.airflow(name).store)).toEqual(before);
    const late = mwaa
      .airflow(name)
      .dagRuns('weekly_report')
      .find((r) => r.run_id === 'manual__late_arrival');
    expect(['queued', 'running', 'success']).toContain(String(late?.state));
    const item = await registryItem(dynamodb, table, name);
    expect(item?.lock).toBeUndefined();
    expect(item?.lastFailure?.M?.error?.S).toBe('EnvironmentBusyError');
  }, 240_000);

  it('refuses settings that would let the resume start before the pause ends, and changes nothing', async () => {
    const name = await environment('2.10.3', 900);
    await expect(tick(name, { windowMinutes: 60, leadMinutes: 45 })).rejects.toThrow(/windowMinutes/);
    expect(await status(name)).toBe('AVAILABLE');
    expect(await schedule(`idle-resume-${name}`)).toBeUndefined();
  }, 120_000);
});

describe('mwaa-ops schedule idle on the local cloud', () => {
  it('creates the idle schedule whose ticks reach IdlePauseFunction with their scheduled time, and --off deletes it', async () => {
    const name = await environment('2.10.3', 900);
    const set = await runCliOnCloud(cloud, [
      'schedule',
      'idle',
      name,
      '--every',
      'rate(30 minutes)',
      '--lead',
      '50',
    ]);
    expect({ code: set.code, stderr: set.stderr }).toEqual({ code: 0, stderr: '' });
    const idle = await schedule(`idle-${name}`);
    expect(idle).toMatchObject({
      ScheduleExpression: 'rate(30 minutes)',
      Target: { Arn: expect.stringMatching(new RegExp(`:function:${cloud.ref('IdlePauseFunction')}$`)) },
    });
    expect(JSON.parse(String(idle?.Target?.Input))).toEqual({
      environment: name,
      windowMinutes: 120,
      leadMinutes: 50,
      unpredictable: 'ignore',
      scheduledTime: '<aws.scheduler.scheduled-time>',
    });
    // The first tick (30 emulated minutes on) finds the environment idle: the resume schedule it
    // writes before starting the pause is the tick's trace, 50 minutes before the next due run.
    await until(async () => (await schedule(`idle-resume-${name}`)) !== undefined);
    const resume = await schedule(`idle-resume-${name}`);
    const due = Date.parse(
      String(
        mwaa
          .airflow(name)
          .runQuery("SELECT next_dagrun_create_after AS t FROM dag WHERE dag_id = 'etl_daily'")[0]?.t,
      ),
    );
    const at = Date.parse(`${/^at\((.+)\)$/.exec(String(resume?.ScheduleExpression))?.[1]}Z`);
    expect(due - at).toBeGreaterThanOrEqual(50 * MINUTE);
    expect(due - at).toBeLessThan(51 * MINUTE);

    const off = await runCliOnCloud(cloud, ['schedule', 'idle', name, '--off']);
    expect(off.code).toBe(0);
    expect(await schedule(`idle-${name}`)).toBeUndefined();
  }, 180_000);
});

describe('Pause input abortIfBusy', () => {
  it('must be a boolean: anything else is refused before the lock is taken', async () => {
    const name = await environment('2.10.3', 900);
    const arn = await cloud.startExecution('PauseEnvironmentStateMachine', {
      ...FAST,
      environment: name,
      abortIfBusy: 'yes',
    });
    const outcome = await cloud.waitForExecution(arn, { timeoutMs: 60_000 });
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'InvalidInputError' });
    expect(outcome.cause).toContain('abortIfBusy a boolean');
    expect(statesEntered(cloud.stepFunctions.history(arn))).not.toContain('TakeLock');
    expect(await status(name)).toBe('AVAILABLE');
  }, 120_000);
});

describe('Idle-aware pausing on Airflow 3.0.6', () => {
  it('reads next_dagrun_run_after: stays when due within the window, pauses when idle', async () => {
    const soon = await environment('3.0.6', 60);
    expect(await tick(soon)).toMatchObject({
      paused: false,
      reason: 'due-within-window',
      dagId: 'etl_daily',
    });

    const idle = await environment('3.0.6', 900);
    const result = await tick(idle);
    expect(result).toMatchObject({ paused: true, dagId: 'etl_daily' });
    const pause = await cloud.waitForExecution(String(result.executionArn), { timeoutMs: 120_000 });
    expect({ status: pause.status, error: pause.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
    expect(await status(idle)).toBe('GONE');
  }, 240_000);
});
