/**
 * Numeric workflow inputs on the local cloud built from template.yaml. A `*Seconds` value that
 * Step Functions would reject in TimeoutSecondsPath / HeartbeatSecondsPath / SecondsPath fails
 * the execution with States.Runtime, which no Catch handles: without validation that happens
 * with the lock held (and, for pollSeconds in a pause, after the environment was deleted). Each
 * workflow must refuse such a value up front with InvalidInputError, before taking the lock.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MWAAClient } from '@aws-sdk/client-mwaa';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import { createAvailableEnvironment } from '../../helpers/environments.ts';
import {
  environmentStatus,
  FAST_WORKFLOW_SETTINGS,
  registryItem,
  statesEntered,
  workflowClients,
} from '../../helpers/workflow-tests.ts';

/** The suites' usual fast settings: emulated-minute polls, generous heartbeats. */
const FAST = { ...FAST_WORKFLOW_SETTINGS, canaryPollSeconds: 30, canaryTimeoutSeconds: 3600 };

type Machine =
  | 'PauseEnvironmentStateMachine'
  | 'ResumeEnvironmentStateMachine'
  | 'UpgradeEnvironmentStateMachine'
  | 'BackupEnvironmentStateMachine';

let cloud: LocalCloud;
let mwaaApi: MWAAClient;
let dynamodb: DynamoDBClient;
let table: string;
let counter = 0;

beforeAll(async () => {
  cloud = await startLocalCloud({ clockSpeed: 2000 });
  ({ mwaaApi, dynamodb } = workflowClients(cloud));
  table = cloud.ref('EnvironmentsTable');
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
});

async function run(machine: Machine, input: Record<string, unknown>) {
  const arn = await cloud.startExecution(machine, { ...FAST, ...input });
  const outcome = await cloud.waitForExecution(arn, { timeoutMs: 60_000 });
  return { arn, ...outcome, history: cloud.stepFunctions.history(arn) };
}

describe('Workflow *Seconds inputs', () => {
  it.each<[Machine, Record<string, unknown>]>([
    ['PauseEnvironmentStateMachine', { heartbeatSeconds: 0 }],
    ['PauseEnvironmentStateMachine', { exportTimeoutSeconds: 1.5 }],
    ['PauseEnvironmentStateMachine', { pollSeconds: -60 }],
    ['PauseEnvironmentStateMachine', { backupTimeoutSeconds: 0.5 }],
    ['PauseEnvironmentStateMachine', { drain: true, drainPollSeconds: 2.5 }],
    ['ResumeEnvironmentStateMachine', { importTimeoutSeconds: 0 }],
    ['ResumeEnvironmentStateMachine', { heartbeatSeconds: 1e-3 }],
    // Read by a takeover of a pause stopped during its export (the wait for its export run).
    ['ResumeEnvironmentStateMachine', { exportTimeoutSeconds: 'soon' }],
    ['UpgradeEnvironmentStateMachine', { targetVersion: '2.11.0', heartbeatSeconds: 0.5 }],
    ['UpgradeEnvironmentStateMachine', { targetVersion: '2.11.0', exportTimeoutSeconds: '3600' }],
    ['UpgradeEnvironmentStateMachine', { targetVersion: '2.11.0', canaryPollSeconds: -1 }],
  ])(
    '%s refuses %j before taking the lock, with an operator-readable error',
    async (machine, bad) => {
      counter += 1;
      const name = `secs-${counter}`;
      await createAvailableEnvironment(cloud, name, '2.10.3');
      const execution = await run(machine, { environment: name, ...bad });

      // Nothing changed: no lock left behind, the environment still runs.
      expect((await registryItem(dynamodb, table, name))?.lock).toBeUndefined();
      expect(await environmentStatus(mwaaApi, name)).toBe('AVAILABLE');
      expect(execution).toMatchObject({ status: 'FAILED', error: 'InvalidInputError' });
      const field = Object.keys(bad).find((k) => k.endsWith('Seconds')) as string;
      expect(execution.cause).toContain(field);
      expect(execution.cause).toMatch(/must be whole numbers of seconds, at least 1; the lock was not taken/);
      const entered = statesEntered(execution.history);
      expect(entered).not.toContain('TakeLock');
      expect(entered.at(-1)).toBe('InvalidSeconds');
    },
    90_000,
  );

  it('accepts whole-second values: the same pause with valid numbers takes the lock', async () => {
    counter += 1;
    const name = `secs-${counter}`;
    await createAvailableEnvironment(cloud, name, '2.10.3');
    const execution = await run('PauseEnvironmentStateMachine', {
      environment: name,
      backupTimeoutSeconds: 9000,
    });
    expect(statesEntered(execution.history)).toContain('TakeLock');
    expect(execution.status).toBe('SUCCEEDED');
    expect((await registryItem(dynamodb, table, name))?.lock).toBeUndefined();
  }, 90_000);

  it('the backup child refuses a bad heartbeat itself, before exporting anything', async () => {
    counter += 1;
    const name = `secs-${counter}`;
    await createAvailableEnvironment(cloud, name, '2.10.3');
    const execution = await run('BackupEnvironmentStateMachine', {
      environment: name,
      lockOwner: 'arn:aws:states:us-east-1:000000000000:execution:test:owner',
      heartbeatSeconds: 0,
    });
    expect(execution).toMatchObject({ status: 'FAILED', error: 'InvalidInputError' });
    expect(execution.cause).toMatch(/heartbeatSeconds .* must be whole numbers of seconds, at least 1/);
    const entered = statesEntered(execution.history);
    expect(entered).not.toContain('Plan');
    expect(entered).not.toContain('Export');
  }, 90_000);
});
