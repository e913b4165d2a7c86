/**
 * Static checks of the pause/resume definitions that the integration tests cannot reach for
 * every state: every Task is caught, token tasks carry a timeout and a heartbeat from the input,
 * waits read SecondsPath, and every failure edge after the lock is taken releases it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

type State = Record<string, unknown> & { Type: string };
type Machine = { StartAt: string; States: Record<string, State>; QueryLanguage?: string };

const load = (name: string): Machine =>
  JSON.parse(readFileSync(new URL(`../../statemachines/${name}.asl.json`, import.meta.url), 'utf8'));

const machines = {
  pause: load('pause-environment'),
  resume: load('resume-environment'),
};

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

describe.each(Object.entries(machines))('statemachines/%s-environment.asl.json', (_name, machine) => {
  const states = Object.entries(machine.States);

  it('uses JSONPath only', () => {
    expect(JSON.stringify(machine)).not.toContain('JSONata');
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
    const waits = states.filter(([, s]) => s.Type === 'Wait');
    expect(waits.length).toBeGreaterThan(0);
    for (const [, wait] of waits) {
      expect(wait.SecondsPath).toMatch(/^\$\.config\./);
      expect(wait.Seconds).toBeUndefined();
    }
  });

  it('gives each task-token state a timeout and a heartbeat from the input', () => {
    const tokenTasks = states.filter(([, s]) => String(s.Resource).endsWith('.waitForTaskToken'));
    expect(tokenTasks).toHaveLength(1);
    for (const [, task] of tokenTasks) {
      expect(task.TimeoutSecondsPath).toMatch(/^\$\.config\./);
      expect(task.HeartbeatSecondsPath).toBe('$.config.heartbeatSeconds');
      expect(JSON.stringify(task.Parameters)).toContain('$$.Task.Token');
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

  it('deletes only after the backup verified and was recorded', () => {
    // Every path from the start to DeleteEnvironment passes Verify, IsVerified and RecordVerifiedBackup.
    for (const gate of ['Verify', 'IsVerified', 'RecordVerifiedBackup']) {
      expect(reachable(pause, pause.StartAt, gate).has('DeleteEnvironment')).toBe(false);
    }
  });
});
