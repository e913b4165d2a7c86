import { describe, expect, it } from '@jest/globals';
import { upgradeExecutionName, upgradeInput } from '../../../cli/commands/env-upgrade.ts';
import type { UpgradeExecutionState, UpgradeOps } from '../../../cli/upgrade-ops.ts';
import { runCliCaptured } from '../../helpers/cli-run.ts';

/** A fake AWS side: the environment runs `version`; the execution follows scripted steps. */
function fakeOps(
  version: string | undefined,
  steps: Array<{ entered: string[]; state: UpgradeExecutionState }>,
) {
  const started: Array<{ name: string; input: Record<string, unknown> }> = [];
  let poll = 0;
  const statuses = ['UPDATING', 'CREATING_SNAPSHOT', 'UPDATING', 'AVAILABLE'];
  const ops: UpgradeOps = {
    environment: async () =>
      version === undefined
        ? undefined
        : { status: poll === 0 ? 'AVAILABLE' : (statuses[poll - 1] ?? 'AVAILABLE'), airflowVersion: version },
    startUpgrade: async (name, input) => {
      started.push({ name, input });
      return `arn:aws:states:us-east-1:1:execution:upgrade:${name}`;
    },
    describeExecution: async () => steps[Math.min(poll, steps.length - 1)]!.state,
    statesEnteredAfter: async (_arn, afterEventId) => {
      const { entered } = steps[Math.min(poll, steps.length - 1)]!;
      return { entered: entered.slice(afterEventId), lastEventId: entered.length };
    },
    sleep: async () => {
      poll += 1;
    },
  };
  return { ops, started };
}

const run = (args: string[], ops: UpgradeOps) => runCliCaptured(args, { upgradeOps: () => ops });

const RUNNING = { entered: [], state: { status: 'RUNNING' } };

describe('mwaa-ops env upgrade', () => {
  it('names executions upgrade-<env>-<UTC millisecond>, within 80 characters', () => {
    const at = new Date('2026-11-26T19:00:05.123Z');
    expect(upgradeExecutionName('dev', at)).toBe('upgrade-dev-20261126T190005123');
    expect(upgradeExecutionName('x'.repeat(100), at)).toHaveLength(80);
  });

  it('builds the workflow input from the options', () => {
    expect(
      upgradeInput('dev', '2.11.0', {
        canaryDag: 'smoke',
        drain: true,
        pollSeconds: '30',
        requirementsVersion: 'v1',
        pluginsVersion: 'v2',
      }),
    ).toEqual({
      environment: 'dev',
      targetVersion: '2.11.0',
      canaryDag: 'smoke',
      drain: true,
      pollSeconds: 30,
      artifacts: { RequirementsS3ObjectVersion: 'v1', PluginsS3ObjectVersion: 'v2' },
    });
    expect(() => upgradeInput('dev', '2.11.0', { pollSeconds: 'soon' })).toThrow('--poll-seconds');
  });

  it('starts an allowed upgrade and prints the ARN and the constraint requirements.txt needs', async () => {
    const fake = fakeOps('2.10.3', [RUNNING]);
    const result = await run(['env', 'upgrade', 'dev', '--to', '2.11.0', '--canary-dag', 'smoke'], fake.ops);
    expect(result.code).toBe(0);
    expect(fake.started).toHaveLength(1);
    expect(fake.started[0]?.input).toEqual({
      environment: 'dev',
      targetVersion: '2.11.0',
      canaryDag: 'smoke',
    });
    expect(result.stdout).toContain('Airflow 2.10.3 → 2.11.0 (upgrade)');
    expect(result.stdout).toContain('constraints-2.11.0/constraints-3.11.txt');
  });

  it.each([
    ['2.10.3', '3.0.6', 'upgrade to 2.11.0 first'],
    ['3.0.6', '2.10.3', 'only be downgraded to 2.11.x'],
  ])('refuses %s → %s locally, starting nothing', async (from, to, reason) => {
    const fake = fakeOps(from, [RUNNING]);
    const result = await run(['env', 'upgrade', 'dev', '--to', to], fake.ops);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(reason);
    expect(fake.started).toHaveLength(0);
  });

  it('refuses an unsupported version before calling AWS', async () => {
    const fake = fakeOps(undefined, [RUNNING]);
    const result = await run(['env', 'upgrade', 'dev', '--to', '2.10.9'], fake.ops);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('2.10.9 is not a supported version');
    expect(fake.started).toHaveLength(0);
  });

  it('does nothing when the environment already runs the target', async () => {
    const fake = fakeOps('2.11.0', [RUNNING]);
    const result = await run(['env', 'upgrade', 'dev', '--to', '2.11.0'], fake.ops);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('already runs Airflow 2.11.0');
    expect(fake.started).toHaveLength(0);
  });

  it('refuses a missing environment', async () => {
    const fake = fakeOps(undefined, [RUNNING]);
    const result = await run(['env', 'upgrade', 'dev', '--to', '2.11.0'], fake.ops);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not exist');
  });

  it('follows with --wait: steps once each, MWAA status changes, exit 0 on success', async () => {
    // Each poll sees the history so far (cumulative), as GetExecutionHistory returns it.
    const start = [
      'ApplyDefaults',
      'ValidateSecondsRange',
      'FormatSeconds',
      'ValidateWholeSeconds',
      'TakeLock',
      'ValidateVersionChange',
      'Backup',
    ];
    const updating = [...start, 'UpdateEnvironment', 'WaitForUpdate'];
    const polled = [...updating, 'CheckUpdate', 'WaitForUpdate', 'CheckUpdate', 'WaitForUpdate'];
    const fake = fakeOps('2.10.3', [
      { entered: start, state: { status: 'RUNNING' } },
      { entered: updating, state: { status: 'RUNNING' } },
      { entered: polled, state: { status: 'RUNNING' } },
      {
        entered: [...polled, 'CheckUpdate', 'ReenableDags', 'Upgraded'],
        state: { status: 'SUCCEEDED', output: { airflowVersion: '2.11.0' } },
      },
    ]);
    const result = await run(['env', 'upgrade', 'dev', '--to', '2.11.0', '--wait'], fake.ops);
    expect(result.code).toBe(0);
    expect(result.stdout.match(/taking a verified backup/g)).toHaveLength(1);
    expect(result.stdout).toContain('MWAA: UPDATING (Airflow 2.10.3)');
    expect(result.stdout).toContain('MWAA: CREATING_SNAPSHOT');
    expect(result.stdout.match(/WaitForUpdate/g)).toBeNull();
    for (const bookkeeping of [
      'ApplyDefaults',
      'ValidateSecondsRange',
      'FormatSeconds',
      'ValidateWholeSeconds',
    ]) {
      expect(result.stdout).not.toContain(bookkeeping);
    }
    expect(result.stdout).toContain('→ taking the environment lock');
    expect(result.stdout).toContain('SUCCEEDED {"airflowVersion":"2.11.0"}');
  });

  it('exits 1 with the error and cause when the upgrade fails', async () => {
    const fake = fakeOps('2.10.3', [
      {
        entered: ['UpdateEnvironment', 'RolledBack'],
        state: { status: 'FAILED', error: 'UpgradeRolledBackError', cause: 'MWAA rolled back to 2.10.3' },
      },
    ]);
    const result = await run(['env', 'upgrade', 'dev', '--to', '2.11.0', '--wait'], fake.ops);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'UpgradeFailedError: upgrade dev FAILED: UpgradeRolledBackError: MWAA rolled back to 2.10.3',
    );
  });
});

describe('mwaa-ops versions', () => {
  it('prints every supported version with the targets it may move to', async () => {
    const result = await run(['versions'], fakeOps(undefined, [RUNNING]).ops);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/2\.11\.0 .*→ 2\.7\.2, 2\.8\.1, 2\.9\.2, 2\.10\.1, 2\.10\.3, 3\.0\.6/);
    expect(result.stdout).toMatch(/3\.0\.6 .*→ 2\.11\.0\n/);
  });

  it('--from shows each change allowed or refused, with the reason', async () => {
    const result = await run(['versions', '--from', '2.10.3'], fakeOps(undefined, [RUNNING]).ops);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/2\.11\.0\s+allowed upgrade/);
    expect(result.stdout).toMatch(/3\.0\.6\s+refused: an upgrade to Airflow 3 must start from 2\.11\.x/);
    expect(result.stdout).toMatch(/2\.10\.3\s+\(current\)/);
  });

  it('--output json gives the changes as data', async () => {
    const result = await run(
      ['--output', 'json', 'versions', '--from', '3.0.6'],
      fakeOps(undefined, [RUNNING]).ops,
    );
    const parsed = JSON.parse(result.stdout) as { changes: Array<{ to: string; allowed: boolean }> };
    expect(parsed.changes.filter((c) => c.allowed).map((c) => c.to)).toEqual(['2.11.0']);
  });

  it('refuses an unknown --from version', async () => {
    const result = await run(['versions', '--from', '9.9.9'], fakeOps(undefined, [RUNNING]).ops);
    expect(result.code).toBe(1);
  });
});
