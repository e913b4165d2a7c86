/**
 * Static checks of the pause/resume definitions that the integration tests cannot reach for
 * every state: every Task is caught, token tasks carry a timeout and a heartbeat from the input,
 * waits read SecondsPath, and every failure edge after the lock is taken releases it. Pause takes
 * its backup in the child BackupEnvironmentStateMachine, so its backup guarantees are proven on
 * the child and on how pause calls it and uses its output.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

type State = Record<string, unknown> & { Type: string };
type Machine = { StartAt: string; States: Record<string, State>; QueryLanguage?: string };

const load = (name: string): Machine =>
  JSON.parse(readFileSync(new URL(`../../../statemachines/${name}.asl.json`, import.meta.url), 'utf8'));

const machines = {
  pause: load('pause-environment'),
  resume: load('resume-environment'),
};
const backup = load('backup-environment');

/** Where each workflow's task-token export/import runs: pause's export is in the backup child. */
const tokenHolders = { pause: backup, resume: machines.resume };

function successors(state: State): string[] {
  const next: string[] = [];
  if (typeof state.Next === 'string') next.push(state.Next);
  if (typeof state.Default === 'string') next.push(state.Default);
  for (const choice of (state.Choices as Array<{ Next: string }> | undefined) ?? []) next.push(choice.Next);
  for (const c of (state.Catch as Array<{ Next: string }> | undefined) ?? []) next.push(c.Next);
  return next;
}

/** States reachable from `from` without passing through `stopAt`. */
function reachable(machine: Machine, from: string, stopAt: string): Set<string> {
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (seen.has(name) || name === stopAt) continue;
    seen.add(name);
    queue.push(...successors(machine.States[name] as State));
  }
  return seen;
}

describe.each([...Object.entries(machines), ['backup', backup] as const])(
  'statemachines/%s-environment.asl.json: every Task is caught',
  (_name, machine) => {
    it('catches every Task', () => {
      const uncaught = Object.entries(machine.States)
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
  },
);

/** The status waits (StatusEventsFunction) are token tasks too; they are checked apart, below. */
const isStatusWait = (s: State) => JSON.stringify(s.Parameters ?? {}).includes('StatusEventsFunctionArn');

describe.each(Object.entries(tokenHolders))('%s: the task-token step', (_name, machine) => {
  it('gets a timeout and a heartbeat from the input', () => {
    const tokenTasks = Object.values(machine.States).filter(
      (s) => String(s.Resource).endsWith('.waitForTaskToken') && !isStatusWait(s),
    );
    expect(tokenTasks).toHaveLength(1);
    for (const task of tokenTasks) {
      expect(task.TimeoutSecondsPath).toMatch(/^\$\.config\./);
      expect(task.HeartbeatSecondsPath).toBe('$.config.heartbeatSeconds');
      expect(JSON.stringify(task.Parameters)).toContain('$$.Task.Token');
    }
  });
});

describe.each([
  ['pause', 'AwaitDeletion', ['DELETING'], 'WaitForDeletion'],
  ['resume', 'AwaitCreation', ['CREATING', 'PENDING'], 'WaitForCreation'],
] as const)('%s: the status wait %s', (name, state, waitWhile, pollLoop) => {
  const machine = machines[name];
  const wait = machine.States[state] as State;

  it('waits for a token for at most pollSeconds, and waits again when it times out', () => {
    expect(wait.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(isStatusWait(wait)).toBe(true);
    expect(wait.TimeoutSecondsPath).toBe('$.config.pollSeconds');
    const payload = (wait.Parameters as { Payload: Record<string, unknown> }).Payload;
    expect(payload).toMatchObject({ action: 'awaitStatus', 'taskToken.$': '$$.Task.Token', waitWhile });
    const catches = wait.Catch as Array<{ ErrorEquals: string[]; Next: string; ResultPath: unknown }>;
    expect(catches[0]).toEqual({ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: state });
    // Anything else (the waiter could not be registered): the plain poll loop, as before events.
    expect(catches[1]).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: null, Next: pollLoop });
  });

  it('is where every wait for MWAA goes (no Choice loops back to the plain Wait)', () => {
    const intoPollLoop = Object.entries(machine.States)
      .filter(([n]) => n !== state)
      .filter(([, s]) => successors(s).includes(pollLoop))
      .map(([n]) => n);
    expect(intoPollLoop).toEqual([]);
  });
});

describe.each(Object.entries(machines))('statemachines/%s-environment.asl.json', (_name, machine) => {
  const states = Object.entries(machine.States);

  it('uses JSONPath only', () => {
    expect(JSON.stringify(machine)).not.toContain('JSONata');
  });

  it('reads every Wait from the input (SecondsPath)', () => {
    const waits = states.filter(([, s]) => s.Type === 'Wait');
    expect(waits.length).toBeGreaterThan(0);
    for (const [, wait] of waits) {
      expect(wait.SecondsPath).toMatch(/^\$\.config\./);
      expect(wait.Seconds).toBeUndefined();
    }
  });

  it('releases the lock on every failure path once it holds it', () => {
    // From every catch target of a state that runs with the lock held, each path to a Fail state
    // passes ReleaseLockAfterFailure. Lock-taking states themselves fail without releasing, and
    // the release itself, when DynamoDB still fails after its retries, can only fail (the next
    // operation then finds a stale lock and takes it over).
    const lockStates = new Set([
      'ReleaseLockAfterFailure',
      'TakeLock',
      'ReadLockHolder',
      'DescribeLockHolder',
      'IsLockHolderRunning',
      'TakeStaleLock',
      'LockHeld',
    ]);
    for (const [name, state] of states) {
      if (lockStates.has(name)) continue;
      for (const c of (state.Catch as Array<{ Next: string }> | undefined) ?? []) {
        const beforeRelease = reachable(machine, c.Next, 'ReleaseLockAfterFailure');
        const failsWithoutRelease = [...beforeRelease].filter((s) => machine.States[s]?.Type === 'Fail');
        expect({ from: name, failsWithoutRelease }).toEqual({ from: name, failsWithoutRelease: [] });
      }
    }
  });

  it('refuses a held lock without touching the lock', () => {
    const afterRefusal = reachable(machine, 'LockHeld', '');
    expect(afterRefusal.has('ReleaseLockAfterFailure')).toBe(false);
  });
});

describe('pause-environment.asl.json', () => {
  const pause = machines.pause;
  const childCalls = Object.entries(pause.States).filter(
    ([, s]) => s.Resource === 'arn:aws:states:::states:startExecution.sync:2',
  );

  it('takes its backup only in the child, and waits for it to succeed (startExecution.sync:2)', () => {
    expect(childCalls.map(([name]) => name)).toEqual(['Backup']);
    const task = pause.States.Backup as State & { Parameters: Record<string, unknown> };
    expect(task.Parameters.StateMachineArn).toMatch(/^\$\{BackupEnvironmentStateMachineArn\}$/);
    // The child records the backup only while this execution holds the lock.
    expect(task.Parameters.Input).toMatchObject({
      'lockOwner.$': '$$.Execution.Id',
      'heartbeatSeconds.$': '$.config.heartbeatSeconds',
      'exportTimeoutSeconds.$': '$.config.exportTimeoutSeconds',
    });
    // Named after the pause: the backup id still names it, and a retried start is the same child.
    expect(task.Parameters['Name.$']).toBe('$$.Execution.Name');
    expect(task.TimeoutSecondsPath).toMatch(/^\$\.limits\./);
    // No copy of the backup steps is left in pause.
    const actions = Object.values(pause.States).map(
      (s) => (s.Parameters as { Payload?: { action?: string } } | undefined)?.Payload?.action,
    );
    for (const action of ['plan', 'snapshot', 'export', 'verify']) expect(actions).not.toContain(action);
  });

  it('deletes only after the child succeeded', () => {
    expect(reachable(pause, pause.StartAt, 'Backup').has('DeleteEnvironment')).toBe(false);
    // A failed, timed-out or refused child never leads to a delete.
    for (const c of (pause.States.Backup?.Catch as Array<{ Next: string }> | undefined) ?? []) {
      expect(reachable(pause, c.Next, '').has('DeleteEnvironment')).toBe(false);
    }
    // What pause reports and re-enables is the backup the child verified.
    expect(pause.States.Backup?.ResultSelector).toMatchObject({
      'backupId.$': '$.Output.backupId',
      'bucket.$': '$.Output.bucket',
      'prefix.$': '$.Output.prefix',
      'tables.$': '$.Output.tables',
      'airflowVersion.$': '$.Output.airflowVersion',
    });
    expect(pause.States.Backup?.ResultPath).toBe('$.backup');
  });
});

describe('backup-environment.asl.json (the child pause runs)', () => {
  const ends = Object.entries(backup.States).filter(([, s]) => s.End === true || s.Type === 'Succeed');

  it('succeeds only after the backup verified and was recorded', () => {
    // The only way to succeed is BackedUp, and every path to it passes Verify, IsVerified and
    // RecordVerifiedBackup: so startExecution.sync:2 returns only for a verified, recorded backup.
    expect(ends.map(([name]) => name)).toEqual(['BackedUp']);
    for (const gate of ['Verify', 'IsVerified', 'RecordVerifiedBackup']) {
      expect(reachable(backup, backup.StartAt, gate).has('BackedUp')).toBe(false);
    }
    expect(
      ((backup.States.IsVerified as State).Choices as Array<{ Next: string; BooleanEquals?: boolean }>)[0],
    ).toEqual(expect.objectContaining({ Variable: '$.verification.verified', BooleanEquals: true }));
    const record = backup.States.RecordVerifiedBackup as State & { Parameters: Record<string, unknown> };
    expect(record.Parameters.ConditionExpression).toBe('#lock.executionArn = :owner');
  });

  it('re-enables the DAGs on every failure once the export may have started', () => {
    // From Snapshot on, each catch reaches the child's Fail state only through ReenableDags.
    const afterExportStarts = ['Snapshot', 'Export', 'Verify', 'NotVerified', 'RecordVerifiedBackup'];
    for (const name of afterExportStarts) {
      const state = backup.States[name] as State;
      const targets = [
        ...((state.Catch as Array<{ Next: string }> | undefined) ?? []).map((c) => c.Next),
        ...(state.Type === 'Pass' ? [state.Next as string] : []),
      ];
      expect(targets.length).toBeGreaterThan(0);
      for (const target of targets) {
        const beforeReenable = reachable(backup, target, 'ReenableDags');
        const failsWithout = [...beforeReenable].filter((s) => backup.States[s]?.Type === 'Fail');
        expect({ from: name, failsWithout }).toEqual({ from: name, failsWithout: [] });
      }
    }
  });
});

describe('stale-lock takeover and resume verification', () => {
  const pause = machines.pause;
  const resume = machines.resume;

  it('resume verifies the backup before it can create the environment', () => {
    const verify = resume.States.VerifyBackup as State & { Parameters: { Payload: Record<string, unknown> } };
    expect(verify.Parameters.Payload.action).toBe('verify');
    expect(reachable(resume, resume.StartAt, 'VerifyBackup').has('Recreate')).toBe(false);
    expect(reachable(resume, resume.StartAt, 'IsBackupVerified').has('Recreate')).toBe(false);
    // A failed verification never leads to a create.
    for (const c of (verify.Catch as Array<{ Next: string }> | undefined) ?? []) {
      expect(reachable(resume, c.Next, '').has('Recreate')).toBe(false);
    }
    expect(reachable(resume, 'BackupNotVerified', '').has('Recreate')).toBe(false);
  });

  it('a pause that takes over a stale lock backs up only after no stale export runs and DAGs are restored', () => {
    // From the takeover, the backup is reached only through the wait for stale exports (or when
    // the stopped holder left no backup attempt at all).
    const withAttempt = reachable(pause, 'ReadStaleBackupAttempt', 'RestoreStaleDags');
    expect(withAttempt.has('Backup')).toBe(false);
    expect([...reachable(pause, 'ReadStaleBackupAttempt', 'AreStaleExportsDone')]).not.toContain(
      'RestoreStaleDags',
    );
    const task = pause.States.Backup as State & { Parameters: { Input: Record<string, unknown> } };
    expect(task.Parameters.Input['inheritActiveDags.$']).toBe('$.inherit');
    // A resume that took over such a lock reaches its no-op only after the same wait and restore.
    const resumeTakeover = reachable(resume, 'StopStaleBackup', 'RestoreStaleDags');
    expect(resumeTakeover.has('ReleaseLockNoop')).toBe(false);
    expect((resume.States.TakeStaleLock as State).Next).toBe('HasStaleBackupAttempt');
    // The child records its attempt before anything can pause DAGs.
    expect(reachable(backup, backup.StartAt, 'RecordBackupAttempt').has('Export')).toBe(false);
    expect(reachable(backup, backup.StartAt, 'RecordBackupAttempt').has('Snapshot')).toBe(false);
  });
});

describe('tamper evidence: the registry, not S3, says what a backup is', () => {
  const resume = machines.resume;
  const payload = (machine: Machine, state: string) =>
    (machine.States[state] as State & { Parameters: { Payload: Record<string, unknown> } }).Parameters
      .Payload;

  it('the backup child records the digests the function computed, and the recreation settings', () => {
    expect(payload(backup, 'Verify')['expectedSnapshotSha256.$']).toBe('$.snapshot.snapshotSha256');
    const record = backup.States.RecordVerifiedBackup as State & {
      Parameters: { ExpressionAttributeValues: Record<string, { M: Record<string, unknown> }> };
    };
    expect(record.Parameters.ExpressionAttributeValues[':backup']?.M).toMatchObject({
      manifestSha256: { 'S.$': '$.verification.manifestSha256' },
      snapshotSha256: { 'S.$': '$.snapshot.snapshotSha256' },
      recreation: { 'S.$': 'States.JsonToString($.snapshot.recreation)' },
    });
    // Recorded only after this backup verified against the snapshot step's digest.
    expect(reachable(backup, backup.StartAt, 'Verify').has('RecordVerifiedBackup')).toBe(false);
  });

  it('resume checks every step that reads the backup against what FindBackup read from the registry', () => {
    expect(payload(resume, 'FindBackup')['trustUnrecordedBackup.$']).toBe('$.config.trustUnrecordedBackup');
    expect(
      (resume.States.ApplyDefaults as State & { Parameters: { defaults: Record<string, unknown> } })
        .Parameters.defaults.trustUnrecordedBackup,
    ).toBe(false);
    const found = (resume.States.FindBackup as State & { ResultSelector: Record<string, string> })
      .ResultSelector;
    expect(found).toMatchObject({
      'manifestSha256.$': '$.Payload.manifestSha256',
      'snapshotSha256.$': '$.Payload.snapshotSha256',
      'recreation.$': '$.Payload.recreation',
    });
    expect(payload(resume, 'VerifyBackup')).toMatchObject({
      'expectedManifestSha256.$': '$.backup.manifestSha256',
      'expectedSnapshotSha256.$': '$.backup.snapshotSha256',
    });
    expect(payload(resume, 'Recreate')).toMatchObject({
      'expectedSnapshotSha256.$': '$.backup.snapshotSha256',
      'recreation.$': '$.backup.recreation',
    });
    expect(payload(resume, 'Import')['expectedManifestSha256.$']).toBe('$.backup.manifestSha256');
  });

  it('fails at once, without retries, on a tampered or unrecorded backup', () => {
    for (const [machine, state] of [
      [resume, 'FindBackup'],
      [resume, 'VerifyBackup'],
      [resume, 'Recreate'],
      [backup, 'Verify'],
    ] as const) {
      const retries = (
        machine.States[state] as State & { Retry: Array<{ ErrorEquals: string[]; MaxAttempts: number }> }
      ).Retry;
      const once = retries.find((r) => r.MaxAttempts === 0)?.ErrorEquals ?? [];
      expect({ state, once }).toEqual({
        state,
        once: expect.arrayContaining(['BackupTamperedError', 'UnrecordedBackupError']),
      });
    }
  });
});
