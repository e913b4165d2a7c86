/**
 * Static checks of the upgrade and backup definitions that the integration tests cannot reach
 * for every state: every Task is caught, waits read SecondsPath, nothing is backed up or updated
 * on a refused change, and every way to fail after the lock is taken releases it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

type State = Record<string, unknown> & { Type: string };
type Machine = { StartAt: string; States: Record<string, State> };

const load = (name: string): Machine =>
  JSON.parse(readFileSync(new URL(`../../../statemachines/${name}.asl.json`, import.meta.url), 'utf8'));

const upgrade = load('upgrade-environment');
const backup = load('backup-environment');

function successors(state: State): string[] {
  const next: string[] = [];
  if (typeof state.Next === 'string') next.push(state.Next);
  if (typeof state.Default === 'string') next.push(state.Default);
  for (const choice of (state.Choices as Array<{ Next: string }> | undefined) ?? []) next.push(choice.Next);
  for (const c of (state.Catch as Array<{ Next: string }> | undefined) ?? []) next.push(c.Next);
  return next;
}

/** States reachable from `from` without passing through any of `stopAt`. */
function reachable(machine: Machine, from: string, stopAt: string[] = []): Set<string> {
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (seen.has(name) || stopAt.includes(name)) continue;
    seen.add(name);
    queue.push(...successors(machine.States[name] as State));
  }
  return seen;
}

describe.each([
  ['upgrade-environment', upgrade],
  ['backup-environment', backup],
])('statemachines/%s.asl.json', (_name, machine) => {
  const states = Object.entries(machine.States);

  it('uses JSONPath only and reaches every state', () => {
    expect(JSON.stringify(machine)).not.toContain('JSONata');
    expect([...reachable(machine, machine.StartAt)].sort()).toEqual(Object.keys(machine.States).sort());
  });

  it('catches every Task', () => {
    const uncaught = states
      .filter(([, s]) => s.Type === 'Task')
      .filter(
        ([, s]) =>
          !(s.Catch as Array<{ ErrorEquals: string[] }> | undefined)?.some((c) =>
            c.ErrorEquals.includes('States.ALL'),
          ),
      )
      .map(([n]) => n);
    expect(uncaught).toEqual([]);
  });

  it('reads every Wait from the input (SecondsPath)', () => {
    for (const [, wait] of states.filter(([, s]) => s.Type === 'Wait')) {
      expect(wait.SecondsPath).toMatch(/^\$\.config\./);
      expect(wait.Seconds).toBeUndefined();
    }
  });
});

describe('UpgradeEnvironmentStateMachine', () => {
  const RELEASES = [
    'ReleaseLockAfterFailure',
    'ReleaseLockAfterUpgradeFailure',
    'ReleaseLockNoop',
    'RecordUpgraded',
  ];
  /** Where the workflow ends without holding the lock (it never took it). */
  const WITHOUT_LOCK = ['InvalidInput', 'FailLockHeld', 'FailWithoutLock'];

  it('releases the lock on every way to end once it is taken', () => {
    const afterLock = reachable(upgrade, 'GetEnvironment', RELEASES);
    const ends = [...afterLock].filter((n) => {
      const s = upgrade.States[n] as State;
      return s.Type === 'Fail' || s.Type === 'Succeed' || s.End === true;
    });
    expect(ends).toEqual([]);
    for (const fail of WITHOUT_LOCK) expect(afterLock.has(fail)).toBe(false);
  });

  it('backs up and updates nothing on a refused change or a no-op', () => {
    for (const from of ['ChangeNotAllowed', 'ReleaseLockNoop', 'EnvironmentNotAvailable', 'LockHeld']) {
      const next = reachable(upgrade, from);
      expect({ from, backup: next.has('Backup'), update: next.has('UpdateEnvironment') }).toEqual({
        from,
        backup: false,
        update: false,
      });
    }
  });

  it('reaches UpdateEnvironment only through the backup', () => {
    const withoutBackup = reachable(upgrade, upgrade.StartAt, ['Backup']);
    expect(withoutBackup.has('UpdateEnvironment')).toBe(false);
    expect(reachable(upgrade, 'Backup').has('UpdateEnvironment')).toBe(true);
  });

  it('takes the lock with the same conditional write as pause, as operation "upgrade"', () => {
    const pause = load('pause-environment').States.TakeLock as unknown as {
      Parameters: Record<string, unknown>;
    };
    const own = upgrade.States.TakeLock as unknown as { Parameters: Record<string, unknown> };
    expect(own.Parameters.ConditionExpression).toBe(pause.Parameters.ConditionExpression);
    expect(own.Parameters.UpdateExpression).toBe(pause.Parameters.UpdateExpression);
    expect(JSON.stringify(own.Parameters.ExpressionAttributeValues)).toContain('"operation":{"S":"upgrade"}');
  });

  it('starts the backup child and waits for it (startExecution.sync:2) with a timeout from the input', () => {
    const task = upgrade.States.Backup as Record<string, unknown>;
    expect(task.Resource).toBe('arn:aws:states:::states:startExecution.sync:2');
    expect(task.TimeoutSecondsPath).toBe('$.config.backupTimeoutSeconds');
    expect(JSON.stringify(task.Parameters)).toContain('"lockOwner.$":"$$.Execution.Id"');
  });
});

describe('BackupEnvironmentStateMachine', () => {
  it('runs the backup actions: plan, snapshot, export (task token), verify', () => {
    const actions = Object.values(backup.States)
      .map((s) => (s.Parameters as { Payload?: { action?: string } } | undefined)?.Payload?.action)
      .filter(Boolean);
    // inheritActiveDags runs only for a pause that took over a stopped attempt's lock.
    expect(actions).toEqual([
      'plan',
      'inheritActiveDags',
      'snapshot',
      'export',
      'verify',
      'unpauseActiveDags',
    ]);
  });

  it('is the one backup both pause and upgrade run (started as a child, no copied states)', () => {
    for (const [name, machine] of [
      ['pause-environment', load('pause-environment')],
      ['upgrade-environment', upgrade],
    ] as const) {
      const children = Object.values(machine.States).filter(
        (s) =>
          s.Resource === 'arn:aws:states:::states:startExecution.sync:2' &&
          (s.Parameters as { StateMachineArn?: string }).StateMachineArn ===
            `\${BackupEnvironmentStateMachineArn}`,
      );
      const lockOwners = children.map(
        (s) => (s.Parameters as { Input: Record<string, unknown> }).Input['lockOwner.$'],
      );
      const ownActions = Object.values(machine.States)
        .map((s) => (s.Parameters as { Payload?: { action?: string } } | undefined)?.Payload?.action)
        .filter((a) => a === 'plan' || a === 'snapshot' || a === 'export' || a === 'verify');
      expect({ name, lockOwners, ownActions }).toEqual({
        name,
        lockOwners: ['$$.Execution.Id'],
        ownActions: [],
      });
    }
  });

  it('records the backup only while the caller holds the lock', () => {
    const record = backup.States.RecordVerifiedBackup as unknown as { Parameters: Record<string, unknown> };
    expect(record.Parameters.ConditionExpression).toBe('#lock.executionArn = :owner');
    expect(JSON.stringify(record.Parameters)).not.toContain('#state');
  });
});
