/**
 * `mwaa-ops env|backups|schedule` against the local cloud built from template.yaml, through the
 * same connection file `npm start -- --serve` writes: the SDK adapter (cli/environment-ops.ts)
 * with real endpoints, stack outputs from the file, and a pause → resume cycle followed with --wait.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateEnvironmentCommand, GetEnvironmentCommand, MWAAClient } from '@aws-sdk/client-mwaa';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sdkEnvironmentOps } from '../../../cli/environment-ops.ts';
import { runCli } from '../../../cli/main.ts';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import { type CloudMwaa, createEnvironmentInput, mwaaFor } from '../../helpers/local-mwaa.ts';

let cloud: LocalCloud;
let local: CloudMwaa;
let dir: string;
let file: string;

beforeAll(async () => {
  cloud = await startLocalCloud({ clockSpeed: 2000 });
  local = await mwaaFor(cloud);
  dir = mkdtempSync(join(tmpdir(), 'mwaa-ops-cli-'));
  file = join(dir, 'local-cloud.json');
  writeFileSync(file, JSON.stringify(cloud.connectionFile()));
}, 120_000);

afterAll(async () => {
  await local?.close();
  await cloud?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function dynamodbClient() {
  return new DynamoDBClient({
    region: cloud.env.AWS_REGION,
    credentials: {
      accessKeyId: cloud.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: cloud.env.AWS_SECRET_ACCESS_KEY,
    },
    endpoint: cloud.env.AWS_ENDPOINT_URL_DYNAMODB,
  });
}

/** The pause history items of `name` (every month), unmarshalled. */
async function historyItems(name: string) {
  const out = await DynamoDBDocumentClient.from(dynamodbClient()).send(
    new ScanCommand({ TableName: cloud.ref('EnvironmentsTable'), ConsistentRead: true }),
  );
  return (out.Items ?? []).filter((item) => item.historyOf === name);
}

/**
 * The UpdateItem RecordPausedHistory sends, with its paths resolved to the values of a recorded
 * entry: replaying it is what a retry after a lost response does.
 */
function replayedHistoryWrite(entry: { at: string; execution: string }, name: string, month: string) {
  const definition = JSON.parse(readFileSync('statemachines/pause-environment.asl.json', 'utf8'));
  const values: Record<string, unknown> = {
    '$.config.environment': name,
    '$.history.month': month,
    '$.history.at': entry.at,
    '$$.Execution.Name': entry.execution,
    "States.Format('{}#history#{}', $.config.environment, $.history.month)": `${name}#history#${month}`,
    'States.Array($$.Execution.Name)': [entry.execution],
  };
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => {
        if (!key.endsWith('.$')) return [key, resolve(value)];
        if (!(String(value) in values)) throw new Error(`unresolved path ${String(value)}`);
        return [key.slice(0, -2), values[String(value)]];
      }),
    );
  };
  const parameters = resolve(definition.States.RecordPausedHistory.Parameters) as Record<string, unknown>;
  return { ...parameters, TableName: cloud.ref('EnvironmentsTable') } as UpdateItemCommandInput;
}

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--local', file, ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    // The CLI lives in the cloud's emulated time (execution names, elapsed time, the report's "now").
    now: () => cloud.clock.date(),
    // The real adapter; only its wait between polls is shortened (the cloud runs at ×2000).
    environmentOps: (context) => ({
      ...sdkEnvironmentOps(context),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / 40)),
    }),
  });
  return { code, stdout, stderr };
}

describe('mwaa-ops env, backups and schedule on the local cloud', () => {
  it('pauses and resumes with --wait, and shows status and backups along the way', async () => {
    const mwaa = new MWAAClient({
      region: cloud.env.AWS_REGION,
      credentials: {
        accessKeyId: cloud.env.AWS_ACCESS_KEY_ID,
        secretAccessKey: cloud.env.AWS_SECRET_ACCESS_KEY,
      },
      endpoint: cloud.env.AWS_ENDPOINT_URL_MWAA,
      disableHostPrefix: true,
    });
    const name = 'cli-dev';
    await mwaa.send(new CreateEnvironmentCommand(createEnvironmentInput(name, '2.10.3') as never));
    for (;;) {
      const out = await mwaa.send(new GetEnvironmentCommand({ Name: name }));
      if (out.Environment?.Status === 'AVAILABLE') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    local.mwaa.airflow(name).setVariable('greeting', 'hello');

    const settings = ['--poll-seconds', '60', '--heartbeat-seconds', '3600'];
    const pause = await cli('env', 'pause', name, '--wait', ...settings);
    expect(pause.stderr).toBe('');
    expect(pause.code).toBe(0);
    // Plan → export → verify → record run in the backup child; --wait follows the pause itself.
    expect(pause.stdout).toContain('→ Backup');
    expect(pause.stdout).toContain('→ RecordPausing');
    expect(pause.stdout).toContain('→ DeleteEnvironment');
    expect(pause.stdout).toContain(`pause ${name}: SUCCEEDED`);

    const status = await cli('env', 'status', name);
    expect(status.stdout).toMatch(/State\s+PAUSED/);
    expect(status.stdout).toMatch(/MWAA status\s+does not exist/);
    expect(status.stdout).toMatch(/Lock\s+free/);

    const list = await cli('backups', 'list', name);
    const backupId = list.stdout.split(/\s+/)[0] as string;
    expect(list.stdout).toMatch(/^\d{8}T\d{6}Z-pause-cli-dev-\S+\s+committed/);
    const show = await cli('backups', 'show', name, backupId);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('Airflow 2.10.3');
    expect(show.stdout).toMatch(/variable\s+1 rows/);

    const resume = await cli('env', 'resume', name, '--wait', ...settings);
    expect(resume.code).toBe(0);
    expect(resume.stdout).toContain(`resume ${name}: SUCCEEDED`);
    expect(local.mwaa.airflow(name).variables()).toEqual({ greeting: 'hello' });
    expect((await cli('env', 'status', name)).stdout).toMatch(/State\s+RUNNING/);

    // The cycle left its pause history: PAUSED when the deletion was seen, then RUNNING, each
    // once, at emulated times, in the month's item.
    const items = await historyItems(name);
    const entries = items.flatMap(
      (item) => item.transitions as Array<{ state: string; at: string; execution: string }>,
    );
    expect(entries.map((entry) => entry.state)).toEqual(['PAUSED', 'RUNNING']);
    expect(entries[0]!.execution).toMatch(/^pause-cli-dev-/);
    expect(entries[1]!.execution).toMatch(/^resume-cli-dev-/);
    expect(Date.parse(entries[1]!.at)).toBeGreaterThan(Date.parse(entries[0]!.at));
    // RUNNING is dated no later than the recreation (MWAA bills from CreateEnvironment), so the
    // creation and the restore count as running hours.
    const recreated = (await mwaa.send(new GetEnvironmentCommand({ Name: name }))).Environment?.CreatedAt;
    expect(recreated).toBeInstanceOf(Date);
    expect(Date.parse(entries[1]!.at)).toBeLessThanOrEqual((recreated as Date).getTime());
    expect(items.map((item) => item.environment)).toContain(`${name}#history#${entries[0]!.at.slice(0, 7)}`);
    expect(items.flatMap((item) => [...(item.executions as Set<string>)]).sort()).toEqual(
      entries.map((entry) => entry.execution).sort(),
    );

    // A retried write (the same execution) is refused by its condition and adds nothing.
    await expect(
      dynamodbClient().send(
        new UpdateItemCommand(replayedHistoryWrite(entries[0]!, name, entries[0]!.at.slice(0, 7))),
      ),
    ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect((await historyItems(name)).flatMap((item) => item.transitions as unknown[])).toHaveLength(2);

    // The savings report reads that history: the paused stretch counts as paused hours.
    const saved = await cli(
      'report',
      'savings',
      name,
      '--from',
      entries[0]!.at,
      '--to',
      entries[1]!.at,
      '--json',
    );
    expect(saved.stderr).toBe('');
    expect(saved.code).toBe(0);
    const report = JSON.parse(saved.stdout);
    const pausedHours = (Date.parse(entries[1]!.at) - Date.parse(entries[0]!.at)) / 3_600_000;
    expect(report.result.paused).toBeCloseTo(pausedHours, 9);
    expect(report.result.running).toBe(0);
    expect(report.result.savedPercent).toBeCloseTo(100, 9);

    // A second resume is a no-op; a pause of an unknown environment fails with its cause.
    expect((await cli('env', 'resume', name, '--wait', ...settings)).stdout).toContain('"noop":true');
    const missing = await cli('env', 'pause', 'cli-missing', '--wait', ...settings);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('EnvironmentNotFoundError');
  }, 120_000);

  it('reattaches to a pause started without --wait and follows it to its end', async () => {
    const name = 'cli-dev';
    const settings = ['--poll-seconds', '60', '--heartbeat-seconds', '3600'];
    const started = await cli('env', 'pause', name, ...settings);
    expect(started.code).toBe(0);
    const arn = started.stdout.trim();
    // The workflow takes the lock in its first states; attach finds the execution through it.
    for (let i = 0; i < 500; i += 1) {
      if ((await cli('env', 'status', name)).stdout.includes(arn)) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const attached = await cli('env', 'attach', name);
    expect(attached.stderr).toBe('');
    expect(attached.code).toBe(0);
    expect(attached.stdout).toContain(`attached to pause ${name}: ${arn}`);
    expect(attached.stdout).toMatch(/\[\d+:\d\d\] → DeleteEnvironment/);
    expect(attached.stdout).toContain(`pause ${name}: SUCCEEDED`);
    const again = await cli('env', 'attach', name);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('NothingRunningError');
  }, 120_000);

  it('sets, lists and deletes pause/resume schedules', async () => {
    const set = await cli(
      'schedule',
      'set',
      'pause',
      'cli-dev',
      'cron(0 20 ? * MON-FRI *)',
      '--time-zone',
      'Europe/Berlin',
    );
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect((await cli('schedule', 'set', 'resume', 'cli-dev', 'cron(0 7 ? * MON-FRI *)')).code).toBe(0);
    const list = await cli('schedule', 'list');
    expect(list.stdout).toContain('pause  cli-dev');
    expect(list.stdout).toContain('cron(0 20 ? * MON-FRI *) (Europe/Berlin)');
    expect(list.stdout).toContain('resume cli-dev');
    expect((await cli('schedule', 'delete', 'pause', 'cli-dev')).code).toBe(0);
    const after = await cli('schedule', 'list');
    expect(after.stdout).not.toContain('pause  cli-dev');
    expect(after.stdout).toContain('resume cli-dev');
  }, 60_000);
});
