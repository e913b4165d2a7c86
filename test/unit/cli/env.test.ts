import { describe, expect, it } from '@jest/globals';
import { executionName } from '../../../cli/commands/env.ts';
import type { EnvironmentOps, ExecutionState, ScheduleSummary } from '../../../cli/environment-ops.ts';
import { readHistoryAfter } from '../../../cli/workflow-runner.ts';
import { runCliCaptured } from '../../helpers/cli-run.ts';

/** A fake of the AWS side: executions follow a scripted list of (state, status) steps. */
function fakeOps(steps: Array<{ entered: string[]; state: ExecutionState }>) {
  const started: Array<{ operation: string; name: string; input: Record<string, unknown> }> = [];
  const schedules: ScheduleSummary[] = [];
  const idle: unknown[] = [];
  let poll = 0;
  const ops: EnvironmentOps = {
    startExecution: async (operation, name, input) => {
      started.push({ operation, name, input });
      return `arn:aws:states:us-east-1:1:execution:m:${name}`;
    },
    describeExecution: async () => steps[Math.min(poll, steps.length - 1)]!.state,
    // Event ids here are positions in the scripted list of entered states.
    statesEnteredAfter: async (_arn, afterEventId) => {
      const step = steps[Math.min(poll, steps.length - 1)]!;
      return { entered: step.entered.slice(afterEventId), lastEventId: step.entered.length };
    },
    registry: async (environment) =>
      environment === 'dev'
        ? {
            environment,
            state: 'PAUSED',
            lastVerifiedBackup: { backupId: '20261126T190000Z-pause-dev', airflowVersion: '2.10.3' },
          }
        : undefined,
    mwaaStatus: async () => undefined,
    listBackups: async () => [
      {
        backupId: '20261126T190000Z-b',
        prefix: 'backups/dev/20261126T190000Z-b/',
        committed: true,
        bytes: 10,
      },
      {
        backupId: '20261125T190000Z-a',
        prefix: 'backups/dev/20261125T190000Z-a/',
        committed: false,
        bytes: 3,
      },
    ],
    manifest: async (_env, backupId) =>
      backupId === 'missing'
        ? undefined
        : {
            airflowVersion: '2.10.3',
            kind: 'database',
            createdAt: 'x',
            tables: { variable: { rows: 2, bytes: 9 } },
          },
    putSchedule: async (s) => {
      schedules.push({ ...s, name: `${s.operation}-${s.environment}`, state: 'ENABLED' });
      return `${s.operation}-${s.environment}`;
    },
    listSchedules: async () => schedules,
    deleteSchedule: async () => {},
    putIdleSchedule: async (s) => {
      idle.push(s);
      return `idle-${s.environment}`;
    },
    deleteIdleSchedule: async (environment) => {
      idle.push({ deleted: environment });
    },
    sleep: async () => {
      poll += 1;
    },
  };
  return { ops, started, schedules, idle };
}

const run = (args: string[], ops: EnvironmentOps, now?: () => Date) =>
  runCliCaptured(args, { environmentOps: () => ops, ...(now ? { now } : {}) });

/** A clock that moves on by `stepMs` every time it is read (no wall-clock time in the tests). */
function steppingClock(stepMs: number) {
  let t = Date.parse('2026-12-01T08:00:00Z');
  return () => {
    const date = new Date(t);
    t += stepMs;
    return date;
  };
}

describe('mwaa-ops env pause|resume|status', () => {
  it('names executions after the operation, environment and UTC millisecond, within 80 characters', () => {
    const at = new Date('2026-11-26T19:00:05.123Z');
    expect(executionName('pause', 'dev', at)).toBe('pause-dev-20261126T190005123');
    expect(executionName('resume', 'x'.repeat(100), at)).toHaveLength(80);
  });

  it('starts the workflow with the settings given and prints the ARN without --wait', async () => {
    const fake = fakeOps([{ entered: [], state: { status: 'RUNNING' } }]);
    const result = await run(['env', 'pause', 'dev', '--poll-seconds', '30', '--drain'], fake.ops);
    expect(result.code).toBe(0);
    expect(fake.started[0]).toMatchObject({
      operation: 'pause',
      input: { environment: 'dev', pollSeconds: 30, drain: true },
    });
    expect(result.stdout).toMatch(/^arn:aws:states:.*:execution:m:pause-dev-\d{8}T\d{9}\n$/);
  });

  it('passes --trust-unrecorded-backup (and only then) to the resume workflow', async () => {
    const fake = fakeOps([{ entered: [], state: { status: 'RUNNING' } }]);
    expect((await run(['env', 'resume', 'dev', '--trust-unrecorded-backup'], fake.ops)).code).toBe(0);
    expect((await run(['env', 'resume', 'dev'], fake.ops)).code).toBe(0);
    expect(fake.started.map((s) => s.input)).toEqual([
      { environment: 'dev', trustUnrecordedBackup: true },
      { environment: 'dev' },
    ]);
  });

  it('follows with --wait, printing each state once, and exits 0 on success', async () => {
    const fake = fakeOps([
      { entered: ['ApplyDefaults', 'TakeLock'], state: { status: 'RUNNING' } },
      { entered: ['ApplyDefaults', 'TakeLock', 'GetEnvironment'], state: { status: 'RUNNING' } },
      {
        entered: ['ApplyDefaults', 'TakeLock', 'GetEnvironment', 'Resumed'],
        state: { status: 'SUCCEEDED', output: { state: 'RUNNING' } },
      },
    ]);
    const result = await run(['env', 'resume', 'dev', '--wait'], fake.ops);
    expect(result.code).toBe(0);
    expect(result.stdout.match(/→ TakeLock/g)).toHaveLength(1);
    expect(result.stdout).toContain('→ Resumed');
    expect(result.stdout).toContain('SUCCEEDED');
  });

  it('exits 1 with the error and cause when the workflow fails', async () => {
    const fake = fakeOps([
      {
        entered: ['TakeLock', 'LockHeld'],
        state: {
          status: 'FAILED',
          error: 'LockHeldError',
          cause: 'Another operation holds the lock of environment dev',
        },
      },
    ]);
    const result = await run(['env', 'pause', 'dev', '--wait'], fake.ops);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'WorkflowFailedError: pause dev FAILED: LockHeldError: Another operation holds the lock',
    );
  });

  it('rejects a non-numeric setting before starting anything', async () => {
    const fake = fakeOps([{ entered: [], state: { status: 'RUNNING' } }]);
    const result = await run(['env', 'pause', 'dev', '--poll-seconds', 'soon'], fake.ops);
    expect(result.code).toBe(1);
    expect(fake.started).toHaveLength(0);
  });

  it('shows the registry state, lock and last backup', async () => {
    const result = await run(['env', 'status', 'dev'], fakeOps([]).ops);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/State\s+PAUSED/);
    expect(result.stdout).toMatch(/MWAA status\s+does not exist/);
    expect(result.stdout).toContain('20261126T190000Z-pause-dev (Airflow 2.10.3)');
  });
});

describe('mwaa-ops backups and schedule', () => {
  it('lists backups newest first and marks incomplete ones', async () => {
    const result = await run(['backups', 'list', 'dev'], fakeOps([]).ops);
    expect(result.stdout.split('\n')[0]).toContain('20261126T190000Z-b  committed');
    expect(result.stdout).toContain('INCOMPLETE');
  });

  it('refuses to show a backup without a manifest', async () => {
    const result = await run(['backups', 'show', 'dev', 'missing'], fakeOps([]).ops);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('incomplete');
  });

  it('sets and lists a pause schedule; rejects an unknown operation', async () => {
    const fake = fakeOps([]);
    const set = await run(
      ['schedule', 'set', 'pause', 'dev', 'cron(0 20 ? * MON-FRI *)', '--time-zone', 'Europe/Berlin'],
      fake.ops,
    );
    expect(set.code).toBe(0);
    expect(fake.schedules[0]).toMatchObject({
      operation: 'pause',
      environment: 'dev',
      timeZone: 'Europe/Berlin',
    });
    const list = await run(['schedule', 'list'], fake.ops);
    expect(list.stdout).toContain('cron(0 20 ? * MON-FRI *) (Europe/Berlin)');
    const bad = await run(['schedule', 'set', 'stop', 'dev', 'rate(1 day)'], fake.ops);
    expect(bad.code).toBe(1);
  });

  it('sets an idle schedule with its window and lead, refuses settings the function would refuse, and turns it off', async () => {
    const fake = fakeOps([]);
    const set = await run(['schedule', 'idle', 'dev', '--window', '180', '--lead', '60'], fake.ops);
    expect({ code: set.code, stderr: set.stderr }).toEqual({ code: 0, stderr: '' });
    expect(fake.idle).toEqual([
      {
        environment: 'dev',
        expression: 'rate(15 minutes)',
        windowMinutes: 180,
        leadMinutes: 60,
        unpredictable: 'ignore',
      },
    ]);
    expect(set.stdout).toContain('idle-dev: rate(15 minutes), window 180 min, lead 60 min');

    const tooShort = await run(['schedule', 'idle', 'dev', '--window', '90', '--lead', '45'], fake.ops);
    expect(tooShort.code).toBe(1);
    expect(tooShort.stderr).toContain('windowMinutes (90) must be at least leadMinutes (45) + 60');
    const badPolicy = await run(['schedule', 'idle', 'dev', '--unpredictable', 'sometimes'], fake.ops);
    expect(badPolicy.code).toBe(1);
    expect(fake.idle).toHaveLength(1);

    const off = await run(['schedule', 'idle', 'dev', '--off'], fake.ops);
    expect(off.code).toBe(0);
    expect(fake.idle[1]).toEqual({ deleted: 'dev' });
  });
});

describe('mwaa-ops env: progress, incremental history and attach', () => {
  const steps = [
    { entered: ['TakeLock'], state: { status: 'RUNNING' } },
    { entered: ['TakeLock', 'GetEnvironment'], state: { status: 'RUNNING' } },
    { entered: ['TakeLock', 'GetEnvironment', 'Paused'], state: { status: 'SUCCEEDED', output: { ok: 1 } } },
  ];

  it('shows the time since following began on every --wait progress line', async () => {
    // Read once for the execution name, once when following starts, then once per poll.
    const result = await run(['env', 'pause', 'dev', '--wait'], fakeOps(steps).ops, steppingClock(65_000));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('  [1:05] → TakeLock\n');
    expect(result.stdout).toContain('  [2:10] → GetEnvironment\n');
    expect(result.stdout).toContain('  [3:15] → Paused\n');
  });

  it('reads only the events after the last one seen, newest first, stopping at a seen event', async () => {
    // 250 events; the follower has seen up to 240. Pages of 100, newest first.
    const events = Array.from({ length: 250 }, (_, i) => ({
      id: i + 1,
      type: 'TaskStateEntered',
      stateEnteredEventDetails: { name: `S${i + 1}` },
    }));
    const reversed = [...events].reverse();
    let served = 0;
    const page = async (token: string | undefined) => {
      const start = token ? Number(token) : 0;
      const items = reversed.slice(start, start + 100);
      served += items.length;
      return { events: items, ...(start + 100 < reversed.length ? { nextToken: String(start + 100) } : {}) };
    };
    const slice = await readHistoryAfter(page, 240);
    expect(slice).toEqual({
      entered: ['S241', 'S242', 'S243', 'S244', 'S245', 'S246', 'S247', 'S248', 'S249', 'S250'],
      lastEventId: 250,
    });
    expect(served).toBe(100);
    const none = await readHistoryAfter(page, 250);
    expect(none).toEqual({ entered: [], lastEventId: 250 });
    // From the start it reads everything, oldest first.
    const all = await readHistoryAfter(page, 0);
    expect(all.entered).toHaveLength(250);
    expect(all.entered[0]).toBe('S1');
  });

  it('attaches to the execution holding the lock and follows it like --wait', async () => {
    const fake = fakeOps(steps);
    const arn = 'arn:aws:states:us-east-1:1:execution:m:pause-dev-1';
    const ops: EnvironmentOps = {
      ...fake.ops,
      registry: async () => ({
        environment: 'dev',
        state: 'PAUSING',
        lock: { operation: 'pause', executionArn: arn },
      }),
    };
    const result = await run(['env', 'attach', 'dev'], ops, steppingClock(1000));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`attached to pause dev: ${arn}`);
    expect(result.stdout.match(/→ TakeLock/g)).toHaveLength(1);
    expect(result.stdout).toContain('→ Paused');
    expect(result.stdout).toContain('pause dev: SUCCEEDED {"ok":1}');
    expect(fake.started).toEqual([]);
  });

  it('attaches to an upgrade with the upgrade progress lines', async () => {
    const upgrade = fakeOps([
      { entered: ['ApplyDefaults', 'TakeLock', 'UpdateEnvironment'], state: { status: 'RUNNING' } },
      {
        entered: ['ApplyDefaults', 'TakeLock', 'UpdateEnvironment', 'RecordUpgraded'],
        state: { status: 'SUCCEEDED', output: { airflowVersion: '2.11.0' } },
      },
    ]);
    const ops: EnvironmentOps = {
      ...upgrade.ops,
      registry: async () => ({ state: 'UPGRADING', lock: { operation: 'upgrade', executionArn: 'arn:u' } }),
      mwaaStatus: async () => ({ status: 'UPDATING', airflowVersion: '2.10.3' }),
    };
    const result = await run(['env', 'attach', 'dev'], ops, steppingClock(1000));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('attached to upgrade dev: arn:u');
    expect(result.stdout).toMatch(/\[\d:\d\d\] → taking the environment lock/);
    expect(result.stdout).not.toContain('ApplyDefaults');
    expect(result.stdout).toContain('MWAA: UPDATING (Airflow 2.10.3)');
    expect(result.stdout).toContain('upgrade dev: SUCCEEDED {"airflowVersion":"2.11.0"}');
  });

  it('exits 1 from attach when the followed workflow fails, and when nothing is running', async () => {
    const failing = fakeOps([
      {
        entered: ['TakeLock', 'ReleaseLockAfterFailure'],
        state: { status: 'FAILED', error: 'Boom', cause: 'why' },
      },
    ]);
    const ops: EnvironmentOps = {
      ...failing.ops,
      registry: async () => ({ state: 'RESUMING', lock: { operation: 'resume', executionArn: 'arn:x' } }),
    };
    const failed = await run(['env', 'attach', 'dev'], ops);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('WorkflowFailedError: resume dev FAILED: Boom: why');

    const idle = await run(['env', 'attach', 'dev'], fakeOps(steps).ops);
    expect(idle.code).toBe(1);
    expect(idle.stderr).toContain('NothingRunningError: No workflow is running on dev (state: PAUSED');
  });
});
