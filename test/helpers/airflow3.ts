/**
 * Real Airflow 3 for the tests: the components an MWAA 3.x environment runs (`airflow api-server`,
 * `airflow scheduler`, `airflow dag-processor`) on one migrated database (RealAirflow), and a client
 * of its public REST API (/api/v2) shaped like the product's AirflowClient (`rest`, `setPaused`),
 * so the product's REST transfer runs unchanged against it. InvokeRestApi itself is MWAA's, so the
 * transport here is plain HTTP with the API's own token (simple auth manager, all admins).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { AirflowClient, RestRequest, RestResponse } from '../../functions/shared/airflow/index.ts';
import { venvBin } from '../../scripts/python-env.ts';
import type { RealAirflow } from './real-airflow.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The three processes, started with `extraEnv` (AWS endpoints, mwaa-ops configuration). */
export class Airflow3 {
  readonly url: string;
  private readonly processes: ChildProcess[] = [];
  private token: string | undefined;

  readonly airflow: RealAirflow;
  readonly env: Record<string, string>;

  private constructor(airflow: RealAirflow, port: number, env: Record<string, string>) {
    this.airflow = airflow;
    this.env = env;
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(
    airflow: RealAirflow,
    extraEnv: Record<string, string>,
    components: Array<'scheduler' | 'dag-processor'> = ['scheduler', 'dag-processor'],
  ): Promise<Airflow3> {
    const port = await freePort();
    const env = {
      ...airflow.env,
      AIRFLOW__API__HOST: '127.0.0.1',
      AIRFLOW__API__PORT: String(port),
      AIRFLOW__API__WORKERS: '1',
      // Where task processes reach the execution API (the Task SDK's GetConnection/GetVariable).
      AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `http://127.0.0.1:${port}/execution/`,
      // One signing secret for the scheduler (which issues task tokens) and the API server.
      AIRFLOW__API_AUTH__JWT_SECRET: `test-jwt-${airflow.home}`,
      AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS: 'True',
      // dags/.airflowignore is written in regexp syntax; Airflow 3's default is glob.
      AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX: 'regexp',
      AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL: '5',
      AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE: 'False',
      ...extraEnv,
    };
    const running = new Airflow3(airflow, port, env);
    for (const component of ['api-server', ...components]) running.spawn(component);
    await running.waitForApi();
    return running;
  }

  private spawn(component: string): void {
    const log = openSync(join(this.airflow.home, `${component}.log`), 'a');
    const child = spawn(venvBin(`airflow-${this.airflow.version}`, 'airflow'), [component], {
      env: { ...process.env, ...this.env },
      cwd: this.airflow.home,
      stdio: ['ignore', log, log],
      detached: true,
    });
    this.processes.push(child);
  }

  private async waitForApi(): Promise<void> {
    // Bounded by attempts so a broken server fails the test instead of hanging it.
    for (let attempt = 0; attempt < 240 && this.processes[0]?.exitCode === null; attempt++) {
      try {
        const response = await fetch(`${this.url}/auth/token`);
        if (response.status === 201 || response.status === 200) {
          this.token = ((await response.json()) as { access_token: string }).access_token;
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(500);
    }
    throw new Error(`airflow api-server did not answer on ${this.url}:\n${this.logTail('api-server')}`);
  }

  /** The end of a component's output, for a failing test's message (the tests log no secrets). */
  logTail(component: string): string {
    try {
      return readFileSync(join(this.airflow.home, `${component}.log`), 'utf8').slice(-3000);
    } catch {
      return '(no log)';
    }
  }

  /** `rest` of the AirflowClient: the path is relative to /api/v2, as with InvokeRestApi. */
  async rest(_environment: string, request: RestRequest): Promise<RestResponse> {
    const query = new URLSearchParams(
      Object.entries(request.query ?? {}).map(([key, value]): [string, string] => [key, String(value)]),
    ).toString();
    const response = await fetch(`${this.url}/api/v2${request.path}${query ? `?${query}` : ''}`, {
      method: request.method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    } as RestResponse;
  }

  /** `setPaused` of the AirflowClient, as it does it on a REST transport. */
  async setPaused(environment: string, dagId: string, paused: boolean): Promise<void> {
    const response = await this.rest(environment, {
      method: 'PATCH',
      path: `/dags/${encodeURIComponent(dagId)}`,
      query: { update_mask: 'is_paused' },
      body: { is_paused: paused },
    });
    if (response.status !== 200) throw new Error(`PATCH /dags/${dagId} answered ${response.status}`);
  }

  client(): Pick<AirflowClient, 'rest' | 'setPaused'> {
    return { rest: (e, r) => this.rest(e, r), setPaused: (e, d, p) => this.setPaused(e, d, p) };
  }

  /** Poll until `condition` holds; bounded by attempts, never by a wall-clock assertion. */
  async until(condition: () => Promise<boolean>, what: string, attempts = 240): Promise<void> {
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (await condition()) return;
      await sleep(500);
    }
    const tails = ['api-server', 'scheduler', 'dag-processor'].map((c) => `--- ${c}\n${this.logTail(c)}`);
    throw new Error(`Airflow 3 never ${what}:\n${tails.join('\n')}`);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
              return resolve();
            child.once('exit', () => resolve());
            const kill = (signal: NodeJS.Signals) => {
              try {
                process.kill(-(child.pid as number), signal);
              } catch {
                // the group is gone already
              }
            };
            kill('SIGTERM');
            const timer = setTimeout(() => kill('SIGKILL'), 20_000);
            child.once('exit', () => clearTimeout(timer));
          }),
      ),
    );
  }
}
