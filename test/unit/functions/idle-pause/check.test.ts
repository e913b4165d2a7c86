import { describe, expect, it } from '@jest/globals';
import { dagSchedule, readIdleState } from '../../../../functions/idle-pause/airflow-state.ts';
import {
  boundedName,
  type IdleDeps,
  idleCheck,
  resumeScheduleName,
} from '../../../../functions/idle-pause/check.ts';

const NOW = '2026-12-03T12:00:00Z';
const plus = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();

/** A fake Airflow 2 answering /dags and /dags/~/dagRuns, plus fakes of the AWS side that record calls. */
function fakes(
  options: { dags?: object[]; running?: number; lock?: boolean; status?: string; major?: 2 | 3 } = {},
) {
  const calls: string[] = [];
  const deps: IdleDeps = {
    airflow: {
      environment: async (name) => ({
        name,
        airflowVersion: options.major === 3 ? '3.0.6' : '2.10.3',
        apiVersion: options.major === 3 ? 'v2' : 'v1',
        transport: 'rest',
      }),
      rest: async (_env, request) => {
        if (request.path === '/dags') {
          const dags = options.dags ?? [];
          return { status: 200, body: { dags, total_entries: dags.length } };
        }
        return {
          status: 200,
          body: {
            dag_runs: [],
            total_entries: request.query?.state === 'running' ? (options.running ?? 0) : 0,
          },
        };
      },
    },
    lockHeld: async () => options.lock ?? false,
    mwaaStatus: async () => options.status ?? 'AVAILABLE',
    putResumeSchedule: async (request) => {
      calls.push(`schedule ${request.name} ${request.expression} ${JSON.stringify(request.input)}`);
    },
    startPause: async (name, input) => {
      calls.push(`pause ${name} ${JSON.stringify(input)}`);
      return `arn:exec:${name}`;
    },
    now: () => new Date(NOW),
    log: { info: () => {} },
  };
  return { deps, calls };
}

const v1Dag = (dag_id: string, next: string | null, is_paused = false) => ({
  dag_id,
  is_paused,
  is_active: true,
  next_dagrun_create_after: next,
});

describe('Function: idleCheck', () => {
  it('writes the resume schedule before it starts the abort-if-busy pause', async () => {
    const { deps, calls } = fakes({ dags: [v1Dag('etl', plus(600))] });
    const result = await idleCheck(
      { environment: 'dev', scheduledTime: NOW, workflowSettings: { pollSeconds: 30 } },
      deps,
    );
    expect(result).toMatchObject({ paused: true, resumeAt: plus(555), resumeSchedule: 'idle-resume-dev' });
    expect(calls).toEqual([
      'schedule idle-resume-dev at(2026-12-03T21:15:00) {"environment":"dev","pollSeconds":30}',
      'pause pause-dev-idle-20261203T120000 {"environment":"dev","abortIfBusy":true,"pollSeconds":30}',
    ]);
  });

  it('starts no resume schedule when no unpaused DAG has a next run', async () => {
    const { deps, calls } = fakes({ dags: [v1Dag('manual', null), v1Dag('off', plus(5), true)] });
    const result = await idleCheck({ environment: 'dev', scheduledTime: NOW }, deps);
    expect(result).toMatchObject({ paused: true, resumeAt: null, resumeSchedule: null });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^pause /);
  });

  it.each([
    [{ lock: true }, 'operation-running'],
    [{ status: 'UPDATING' }, 'environment-updating'],
    [{ status: 'GONE' }, 'environment-gone'],
    [{ running: 2 }, 'runs-active'],
  ])('does nothing with %j (%s)', async (options, reason) => {
    const { deps, calls } = fakes({ dags: [v1Dag('etl', plus(600))], ...options });
    expect(await idleCheck({ environment: 'dev', scheduledTime: NOW }, deps)).toMatchObject({
      paused: false,
      reason,
    });
    expect(calls).toEqual([]);
  });

  it('refuses bad input before it reads anything', async () => {
    const { deps, calls } = fakes({ dags: [v1Dag('etl', plus(600))] });
    await expect(idleCheck({ environment: 'dev', workflowSettings: { drain: true } }, deps)).rejects.toThrow(
      /workflowSettings.drain/,
    );
    await expect(idleCheck({ environment: 'dev', scheduledTime: 'soon' }, deps)).rejects.toThrow(
      /scheduledTime/,
    );
    await expect(idleCheck({}, deps)).rejects.toThrow(/environment/);
    expect(calls).toEqual([]);
  });
});

describe('Function: dagSchedule / readIdleState', () => {
  it('maps Airflow 3 names (next_dagrun_run_after, is_stale)', () => {
    expect(
      dagSchedule(3, { dag_id: 'a', is_paused: false, is_stale: true, next_dagrun_run_after: plus(1) }),
    ).toEqual({
      dagId: 'a',
      paused: false,
      active: false,
      nextRunAfter: plus(1),
    });
  });

  it('reads a missing next-run field as unreadable (due now), never as "no next run"', async () => {
    const { deps, calls } = fakes({ major: 3, dags: [v1Dag('etl', plus(600))] });
    // An Airflow 2 shaped answer from an Airflow 3 environment: the v3 field is absent.
    expect(await idleCheck({ environment: 'dev', scheduledTime: NOW }, deps)).toMatchObject({
      paused: false,
      reason: 'due-within-window',
    });
    expect(calls).toEqual([]);
    const state = await readIdleState(deps.airflow, 'dev');
    expect(state.dags[0]?.nextRunAfter).toBe('unknown');
  });
});

describe('Function: boundedName', () => {
  it('keeps names within the limit and tells long environments apart', () => {
    const a = `${'x'.repeat(79)}a`;
    const b = `${'x'.repeat(79)}b`;
    expect(resumeScheduleName('dev')).toBe('idle-resume-dev');
    expect(resumeScheduleName(a).length).toBeLessThanOrEqual(64);
    expect(resumeScheduleName(a)).not.toBe(resumeScheduleName(b));
    expect(boundedName('pause-', a, '-idle-20261203T120000', 80).length).toBeLessThanOrEqual(80);
  });
});
