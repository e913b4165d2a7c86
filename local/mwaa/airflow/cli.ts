/**
 * The Airflow CLI commands the project runs through MWAA's CLI endpoint (`POST /aws_mwaa/cli`).
 * MWAA runs the command in the webserver and answers `{stdout, stderr}` in base64 with status
 * 200 even when the command fails, and stderr usually carries harmless Python warnings — which
 * is why callers must decide from parsed `-o json` output, never from the status alone.
 */
import { airflowDate, zeroMicroseconds } from './dates.ts';
import { type AirflowInstance, DagNotFoundError } from './instance.ts';
import { DagRunAlreadyExistsError, type Row } from './metadata-store.ts';
import { ShellSyntaxError, shellWords } from './shell-words.ts';

export interface CliResult {
  stdout: string;
  stderr: string;
}

/** The kind of warning every MWAA CLI call prints on stderr. */
export function harmlessWarning(version: string): string {
  // MWAA images run Python 3.11 from Airflow 2.7 on; 3.x images run 3.12.
  const python = version.startsWith('3.') ? '3.12' : '3.11';
  return (
    `/usr/local/airflow/.local/lib/python${python}/site-packages/airflow/configuration.py:859 FutureWarning: ` +
    'section/key [core/sql_alchemy_conn] has been deprecated, you should use[database/sql_alchemy_conn] instead. ' +
    'Please update your `conf.get*` call to use the new name\n'
  );
}

/** Airflow's console prints every scalar with Python's `str()`: True/False/None-as-null. */
const pyStr = (value: unknown): unknown => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'object') return value;
  return String(value);
};
const printable = (rows: Row[]) =>
  rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, pyStr(v)])));

const table = (rows: Row[]): string => {
  if (rows.length === 0) return 'No data found\n';
  const keys = Object.keys(rows[0] as Row);
  const cells = rows.map((r) => keys.map((k) => String(pyStr(r[k]) ?? 'None')));
  const widths = keys.map((k, i) => Math.max(k.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i] as number)).join(' | ');
  return `${[line(keys), widths.map((w) => '='.repeat(w)).join('=+='), ...cells.map(line)].join('\n')}\n`;
};

interface Parsed {
  positional: string[];
  options: Map<string, string | true>;
}

/** Options that take a value, by their long and short spellings. */
const VALUED = new Map([
  ['-r', 'run-id'],
  ['--run-id', 'run-id'],
  ['-c', 'conf'],
  ['--conf', 'conf'],
  ['-o', 'output'],
  ['--output', 'output'],
  ['-d', 'dag-id'],
  ['--dag-id', 'dag-id'],
  ['-e', 'exec-date'],
  ['--exec-date', 'exec-date'],
  ['-l', 'logical-date'],
  ['--logical-date', 'logical-date'],
  ['--state', 'state'],
  ['--subdir', 'subdir'],
  ['-S', 'subdir'],
]);

function parseArgs(args: string[]): Parsed {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const name = VALUED.get(flag);
    if (name) {
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined) throw new UsageError(`argument ${flag}: expected one argument`);
      options.set(name, value);
    } else if (arg.startsWith('-')) {
      options.set(arg.replace(/^-+/, ''), true);
    } else {
      positional.push(arg);
    }
  }
  return { positional, options };
}

class UsageError extends Error {
  override name = 'UsageError';
}

const iso3 = (value: unknown) => (value == null ? null : String(value));

/** Run one CLI command line against the environment's Airflow. */
export function runAirflowCli(airflow: AirflowInstance, commandLine: string): CliResult {
  const warning = harmlessWarning(airflow.version);
  try {
    const args = shellWords(commandLine.trim());
    if (args[0] === 'airflow') args.shift();
    const stdout = dispatch(airflow, args);
    return { stdout, stderr: warning };
  } catch (error) {
    if (error instanceof UsageError || error instanceof ShellSyntaxError) {
      return {
        stdout: '',
        stderr: `${warning}Usage: airflow [-h] GROUP_OR_COMMAND ...\n\nairflow command error: ${error.message}, see help above.\n`,
      };
    }
    if (error instanceof DagRunAlreadyExistsError || error instanceof DagNotFoundError) {
      const kind = error instanceof DagRunAlreadyExistsError ? 'DagRunAlreadyExists' : 'DagNotFound';
      return {
        stdout: '',
        stderr:
          `${warning}Traceback (most recent call last):\n  File "/usr/local/airflow/.local/bin/airflow", line 8, in <module>\n` +
          `    sys.exit(main())\nairflow.exceptions.${kind}: ${error.message}\n`,
      };
    }
    throw error;
  }
}

function dispatch(airflow: AirflowInstance, args: string[]): string {
  const [group, command, ...rest] = args;
  const v3 = airflow.flavor.major === 3;
  if (group === 'version') return `${airflow.version}\n`;
  const { positional, options } = parseArgs(rest);
  const json = options.get('output') === 'json';
  const render = (rows: Row[]) => (json ? `${JSON.stringify(printable(rows))}\n` : table(rows));

  if (group === 'dags' && command === 'list') {
    const rows = airflow.store.all('SELECT * FROM dag ORDER BY dag_id').map((r) =>
      v3
        ? {
            dag_id: r.dag_id,
            fileloc: r.fileloc,
            owners: r.owners,
            is_paused: Number(r.is_paused) === 1,
            bundle_name: 'dags-folder',
            bundle_version: null,
          }
        : {
            dag_id: r.dag_id,
            filepath: String(r.fileloc).split('/').pop(),
            owner: r.owners,
            paused: Number(r.is_paused) === 1,
          },
    );
    return render(rows);
  }
  if (group === 'dags' && (command === 'pause' || command === 'unpause')) {
    const dagId = positional[0];
    if (!dagId) throw new UsageError('the following arguments are required: dag_id');
    if (!airflow.store.get('SELECT 1 FROM dag WHERE dag_id = ?', dagId))
      throw new DagNotFoundError(`Dag id ${dagId} not found in DagModel`);
    airflow.setPaused(dagId, command === 'pause');
    const paused = command === 'pause';
    return json
      ? render([{ dag_id: dagId, is_paused: paused }])
      : `Dag: ${dagId}, paused: ${paused ? 'True' : 'False'}\n`;
  }
  if (group === 'dags' && command === 'trigger') {
    const dagId = positional[0];
    if (!dagId) throw new UsageError('the following arguments are required: dag_id');
    if (!airflow.store.get('SELECT 1 FROM dag WHERE dag_id = ?', dagId))
      throw new DagNotFoundError(`Dag id ${dagId} not found in DagModel`);
    let conf: Record<string, unknown> = {};
    const confText = options.get('conf');
    if (typeof confText === 'string') {
      try {
        conf = JSON.parse(confText) as Record<string, unknown>;
      } catch {
        throw new UsageError(`argument -c/--conf: invalid JSON: ${confText}`);
      }
    }
    const runId = options.get('run-id');
    const date = options.get('logical-date') ?? options.get('exec-date');
    let logicalDate = typeof date === 'string' ? airflowDate(date) : undefined;
    if (typeof date === 'string' && logicalDate === undefined) {
      throw new UsageError(`argument -e/--exec-date: invalid parse value: '${date}'`);
    }
    // Airflow 2's trigger_dag zeroes the microseconds of the date (given or now) unless
    // --no-replace-microseconds: triggers in the same second share a logical date and collide.
    if (!v3 && options.get('no-replace-microseconds') !== true) {
      logicalDate = zeroMicroseconds(logicalDate ?? new Date(airflow.clock.now()).toISOString());
    }
    const run = airflow.triggerDagRun(dagId, {
      runId: typeof runId === 'string' ? runId : undefined,
      conf,
      logicalDate,
      triggeredBy: 'cli',
    });
    const logical = run[airflow.store.dateColumn];
    const shaped: Row = {
      conf,
      dag_id: run.dag_id,
      dag_run_id: run.run_id,
      data_interval_start: iso3(run.data_interval_start),
      data_interval_end: iso3(run.data_interval_end),
      end_date: null,
      ...(v3 ? {} : { external_trigger: true }),
      last_scheduling_decision: null,
      logical_date: iso3(logical),
      run_type: run.run_type,
      start_date: null,
      state: run.state,
      ...(v3 ? { triggered_by: 'cli' } : {}),
    };
    if (json) return render([shaped]);
    return `Created <DagRun ${dagId} @ ${logical}: ${run.run_id}, state:queued, queued_at: ${run.queued_at}. run_type: manual>\n`;
  }
  if (group === 'dags' && command === 'list-runs') {
    const dagId = (options.get('dag-id') as string | undefined) ?? positional[0];
    if (!dagId) throw new UsageError('the following arguments are required: -d/--dag-id');
    const state = options.get('state');
    let runs = airflow.dagRuns(dagId);
    if (typeof state === 'string') runs = runs.filter((r) => r.state === state);
    const rows = runs.reverse().map((r) =>
      v3
        ? {
            dag_id: r.dag_id,
            run_id: r.run_id,
            state: r.state,
            run_after: r.run_after,
            logical_date: r.logical_date,
            start_date: r.start_date,
            end_date: r.end_date,
          }
        : {
            dag_id: r.dag_id,
            run_id: r.run_id,
            state: r.state,
            execution_date: r.execution_date,
            start_date: r.start_date,
            end_date: r.end_date,
          },
    );
    return render(rows);
  }
  if (group === 'variables' && command === 'list') {
    return render(airflow.store.all('SELECT key FROM variable ORDER BY key').map((r) => ({ key: r.key })));
  }
  if (group === 'variables' && command === 'get') {
    const key = positional[0];
    const row = key ? airflow.store.get('SELECT val FROM variable WHERE key = ?', key) : undefined;
    if (!row) throw new UsageError(`Variable ${key ?? ''} does not exist`);
    return `${String(row.val)}\n`;
  }
  throw new UsageError(
    `argument GROUP_OR_COMMAND: invalid choice: '${[group, command].filter(Boolean).join(' ')}'`,
  );
}
