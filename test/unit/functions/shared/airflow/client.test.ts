import { describe, expect, it } from '@jest/globals';
import type { CliTransport } from '../../../../../functions/shared/airflow/cli-transport.ts';
import {
  createAirflowClient,
  MAX_CONFLICT_ATTEMPTS,
} from '../../../../../functions/shared/airflow/client.ts';
import {
  AirflowRequestError,
  AirflowThrottledError,
  DagNotFoundError,
  DagPausedError,
  EnvironmentUnavailableError,
  UnconfirmedConflictError,
} from '../../../../../functions/shared/airflow/errors.ts';
import type { RestRequest, RestResponse } from '../../../../../functions/shared/airflow/invoke-rest-api.ts';

type Reply = RestResponse | Error;

/** A fake Airflow behind InvokeRestApi: answers from a script of replies, records every call. */
function fakeRest(script: (request: RestRequest) => Reply) {
  const calls: RestRequest[] = [];
  return {
    calls,
    transport: {
      async call(_environment: string, request: RestRequest) {
        calls.push(request);
        const reply = script(request);
        if (reply instanceof Error) throw reply;
        return reply;
      },
    },
  };
}

function fakeMwaa(version: string | Error) {
  const calls: string[] = [];
  return {
    calls,
    send: async (command: { input: { Name?: string } }) => {
      calls.push(command.input.Name ?? '');
      if (version instanceof Error) throw version;
      return { Environment: { Name: command.input.Name, AirflowVersion: version, Status: 'AVAILABLE' } };
    },
  };
}

const noCli: CliTransport = {
  run: async () => {
    throw new Error('CLI must not be used');
  },
};

function clientFor(version: string, script: (request: RestRequest) => Reply, cli: CliTransport = noCli) {
  const rest = fakeRest(script);
  const mwaa = fakeMwaa(version);
  const client = createAirflowClient({
    mwaa: mwaa as never,
    rest: rest.transport,
    cli,
    retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
  });
  return { client, rest, mwaa };
}

const unpausedDag = (request: RestRequest): Reply =>
  request.method === 'GET'
    ? { status: 200, body: { dag_id: 'etl', is_paused: false } }
    : { status: 200, body: {} };

describe('Airflow client', () => {
  it('triggers through /api/v1 on Airflow 2.x with the run id and conf, and caches version and pause state', async () => {
    const { client, rest, mwaa } = clientFor('2.10.3', unpausedDag);
    const first = await client.triggerDagRun('dev', { dagId: 'etl', runId: 'r-1', conf: { key: 'a b' } });
    const second = await client.triggerDagRun('dev', { dagId: 'etl', runId: 'r-2', conf: {} });
    expect(first).toEqual({ outcome: 'triggered', runId: 'r-1', unpaused: false });
    expect(second.outcome).toBe('triggered');
    expect(mwaa.calls).toEqual(['dev']);
    // One DAG read (cold), then one call per trigger: the warm path costs a single call.
    expect(rest.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /dags/etl',
      'POST /dags/etl/dagRuns',
      'POST /dags/etl/dagRuns',
    ]);
    // Airflow 2 gets an explicit logical date (distinct per run id), never "now".
    expect(rest.calls[1]?.body).toEqual({
      dag_run_id: 'r-1',
      conf: { key: 'a b' },
      logical_date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/),
    });
  });

  it('sends logical_date: null to /api/v2 on Airflow 3.x', async () => {
    const { client, rest } = clientFor('3.0.6', unpausedDag);
    await client.triggerDagRun('dev', { dagId: 'etl', runId: 'r-1', conf: {} });
    expect(rest.calls[1]).toMatchObject({ path: '/dags/etl/dagRuns', body: { logical_date: null } });
  });

  it('treats 409 Conflict as "already exists" once the run is confirmed, so a repeated trigger is success', async () => {
    const { client, rest } = clientFor('2.10.3', (request) => {
      if (request.method === 'POST') return { status: 409, body: { title: 'Conflict' } };
      if (request.path.endsWith('/dagRuns/r-1')) return { status: 200, body: { dag_run_id: 'r-1' } };
      return unpausedDag(request);
    });
    const result = await client.triggerDagRun('dev', { dagId: 'etl', runId: 'r-1', conf: {} });
    expect(result.outcome).toBe('already-exists');
    expect(rest.calls.at(-1)?.path).toBe('/dags/etl/dagRuns/r-1');
  });

  it('retries a 409 caused by a logical date collision instead of calling it a duplicate', async () => {
    let posts = 0;
    const { client } = clientFor('2.10.3', (request) => {
      if (request.method === 'POST') {
        posts += 1;
        return posts === 1 ? { status: 409, body: { title: 'Conflict' } } : { status: 200, body: {} };
      }
      if (request.path.includes('/dagRuns/')) return { status: 404, body: { title: 'DAGRun not found' } };
      return unpausedDag(request);
    });
    const result = await client.triggerDagRun('dev', { dagId: 'etl', runId: 'r-1', conf: {} });
    expect(result.outcome).toBe('triggered');
    expect(posts).toBe(2);
  });

  it('uses the CLI endpoint when a DAG id makes the InvokeRestApi path longer than 64 characters', async () => {
    const dagId = `d${'x'.repeat(60)}`;
    const commands: string[] = [];
    const cli: CliTransport = {
      async run(_env, command) {
        commands.push(command);
        if (command.startsWith('dags list'))
          return { stdout: `[{"dag_id": "${dagId}", "paused": false}]`, stderr: '' };
        return { stdout: '[{"dag_run_id": "r"}]', stderr: '' };
      },
    };
    const { client, rest } = clientFor('2.10.3', () => new Error('REST must not be used'), cli);
    const result = await client.triggerDagRun('dev', { dagId, runId: 'r', conf: {} });
    expect(result.outcome).toBe('triggered');
    expect(rest.calls).toHaveLength(0);
    expect(commands.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual(['dags list', 'dags trigger']);
  });

  it('reports a missing DAG as DagNotFoundError', async () => {
    const { client } = clientFor('2.10.3', () => ({ status: 404, body: { title: 'DAG not found' } }));
    await expect(client.triggerDagRun('dev', { dagId: 'nope', runId: 'r', conf: {} })).rejects.toBeInstanceOf(
      DagNotFoundError,
    );
  });

  it('fails loudly on a paused DAG by default and never triggers it', async () => {
    const { client, rest } = clientFor('2.10.3', (request) =>
      request.method === 'GET' ? { status: 200, body: { is_paused: true } } : { status: 200, body: {} },
    );
    await expect(client.triggerDagRun('dev', { dagId: 'etl', runId: 'r', conf: {} })).rejects.toBeInstanceOf(
      DagPausedError,
    );
    expect(rest.calls.some((c) => c.method === 'POST')).toBe(false);
  });

  it('unpauses first when the flow says so', async () => {
    const { client, rest } = clientFor('2.10.3', (request) =>
      request.method === 'GET' ? { status: 200, body: { is_paused: true } } : { status: 200, body: {} },
    );
    const result = await client.triggerDagRun('dev', {
      dagId: 'etl',
      runId: 'r',
      conf: {},
      onPaused: 'unpause',
    });
    expect(result.unpaused).toBe(true);
    expect(rest.calls.map((c) => c.method)).toEqual(['GET', 'PATCH', 'POST']);
    expect(rest.calls[1]).toMatchObject({ query: { update_mask: 'is_paused' }, body: { is_paused: false } });
  });

  it('retries throttling and 5xx, then succeeds with exactly one run', async () => {
    let posts = 0;
    const { client, rest } = clientFor('2.10.3', (request) => {
      if (request.method === 'GET') return unpausedDag(request);
      posts += 1;
      if (posts === 1) return new AirflowThrottledError('slow down');
      if (posts === 2) return { status: 503, body: {} };
      return { status: 200, body: {} };
    });
    await expect(client.triggerDagRun('dev', { dagId: 'etl', runId: 'r', conf: {} })).resolves.toMatchObject({
      outcome: 'triggered',
    });
    expect(rest.calls.filter((c) => c.method === 'POST')).toHaveLength(3);
  });

  it('does not retry a 400 and reports Airflow’s title, not the conf', async () => {
    const { client, rest } = clientFor('2.10.3', (request) =>
      request.method === 'POST'
        ? { status: 400, body: { title: 'Bad Request', detail: 'conf {"password": "hunter2"} invalid' } }
        : unpausedDag(request),
    );
    const error = await client.triggerDagRun('dev', { dagId: 'etl', runId: 'r', conf: {} }).catch((e) => e);
    expect(error).toBeInstanceOf(AirflowRequestError);
    expect(error.message).toContain('Bad Request');
    expect(error.message).not.toContain('hunter2');
    expect(rest.calls.filter((c) => c.method === 'POST')).toHaveLength(1);
  });

  it('reports an environment MWAA does not know as EnvironmentUnavailableError', async () => {
    const missing = Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
    const client = createAirflowClient({
      mwaa: fakeMwaa(missing) as never,
      rest: fakeRest(unpausedDag).transport,
      cli: noCli,
      retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
    });
    await expect(client.environment('gone')).rejects.toBeInstanceOf(EnvironmentUnavailableError);
  });

  it('falls back to the CLI endpoint for environments without InvokeRestApi and decides from parsed output', async () => {
    const commands: string[] = [];
    const cli: CliTransport = {
      async run(_env, command) {
        commands.push(command);
        if (command.startsWith('dags list-runs')) {
          return { stdout: '[{"dag_id": "etl", "run_id": "r2", "state": "queued"}]\n', stderr: '' };
        }
        if (command.startsWith('dags list')) {
          return { stdout: '[{"dag_id": "etl", "paused": "False"}]\n', stderr: 'UserWarning: harmless\n' };
        }
        if (command.includes("'r 1'")) {
          return {
            stdout: 'noise\n[{"dag_run_id": "r 1", "state": "queued"}]\n',
            stderr: 'DeprecationWarning\n',
          };
        }
        return { stdout: '', stderr: 'airflow.exceptions.DagRunAlreadyExists: run already exists\n' };
      },
    };
    const { client } = clientFor('2.2.2', () => new Error('REST must not be used'), cli);
    await expect(
      client.triggerDagRun('old', { dagId: 'etl', runId: 'r 1', conf: { a: "it's" } }),
    ).resolves.toMatchObject({
      outcome: 'triggered',
    });
    await expect(client.triggerDagRun('old', { dagId: 'etl', runId: 'r2', conf: {} })).resolves.toMatchObject(
      {
        outcome: 'already-exists',
      },
    );
    expect(commands[1]).toMatch(
      /^dags trigger etl -r 'r 1' -c '\{"a":"it'"'"'s"\}' -e \S+\.\d{6}\+00:00 --no-replace-microseconds -o json$/,
    );
    // "already exists" on stderr is only believed once the run is listed.
    expect(commands.slice(2)).toEqual([
      expect.stringMatching(/^dags trigger etl -r r2 /),
      'dags list-runs -d etl -o json',
    ]);
  });

  describe('409 Conflict on Airflow 2, with ids too long to read a run back through InvokeRestApi', () => {
    // 30-character flow and DAG ids: /dags/<dag>/dagRuns fits 64 characters, the run's own path does not.
    const dagId = 'load_sales_from_the_pos_export';
    const runId = 's3__sales-from-the-pos-export-eu__0123456789abcdef';

    function collidingAirflow(options: { ours: () => boolean; freeAfter: number }) {
      const commands: string[] = [];
      let posts = 0;
      const cli: CliTransport = {
        async run(_env, command) {
          commands.push(command);
          const runs = [{ dag_id: dagId, run_id: 's3__other__ffffffffffffffff', state: 'queued' }];
          if (options.ours()) runs.push({ dag_id: dagId, run_id: runId, state: 'queued' });
          return { stdout: `${JSON.stringify(runs)}\n`, stderr: 'FutureWarning: harmless\n' };
        },
      };
      const { client, rest } = clientFor(
        '2.10.3',
        (request) => {
          if (request.method === 'GET') return { status: 200, body: { dag_id: dagId, is_paused: false } };
          posts += 1;
          return posts > options.freeAfter
            ? { status: 200, body: { dag_run_id: runId } }
            : { status: 409, body: { title: 'Conflict' } };
        },
        cli,
      );
      return { client, rest, commands, posts: () => posts };
    }

    it('does not take the conflict for a duplicate: reads the runs back through the CLI and tries another logical date', async () => {
      const airflow = collidingAirflow({ ours: () => false, freeAfter: 1 });
      const result = await airflow.client.triggerDagRun('dev', {
        dagId,
        runId,
        conf: {},
        anchorTime: '2026-11-26T10:15:30.123Z',
      });
      expect(result.outcome).toBe('triggered');
      expect(airflow.commands).toEqual([`dags list-runs -d ${dagId} -o json`]);
      const dates = airflow.rest.calls
        .filter((c) => c.method === 'POST')
        .map((c) => (c.body as { logical_date: string }).logical_date);
      expect(dates).toHaveLength(2);
      expect(new Set(dates).size).toBe(2);
      for (const date of dates) expect(date).toMatch(/^2026-11-26T10:15:30\.\d{6}\+00:00$/);
    });

    it('counts the trigger as done when the CLI lists the run id', async () => {
      const airflow = collidingAirflow({ ours: () => true, freeAfter: Number.POSITIVE_INFINITY });
      await expect(airflow.client.triggerDagRun('dev', { dagId, runId, conf: {} })).resolves.toMatchObject({
        outcome: 'already-exists',
      });
      expect(airflow.posts()).toBe(1);
    });

    it('gives up with a non-retryable UnconfirmedConflictError when every logical date it tries is taken', async () => {
      const airflow = collidingAirflow({ ours: () => false, freeAfter: Number.POSITIVE_INFINITY });
      const error = await airflow.client.triggerDagRun('dev', { dagId, runId, conf: {} }).catch((e) => e);
      expect(error).toBeInstanceOf(UnconfirmedConflictError);
      expect(error.retryable).toBe(false);
      expect(airflow.posts()).toBe(MAX_CONFLICT_ATTEMPTS);
    });
  });
});
