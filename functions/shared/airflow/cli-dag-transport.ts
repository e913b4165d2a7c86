/**
 * The client's DAG operations as Airflow CLI commands (through MWAA's CLI endpoint, reached by
 * the client's retrying `run` call): for environments without InvokeRestApi, and for calls whose
 * REST path would be longer than InvokeRestApi accepts. MWAA answers 200 whatever the command
 * did, so every answer is decided from the parsed `-o json` output and stderr's error names.
 */
import type { CliResult } from './cli-transport.ts';
import { shellQuote } from './cli-transport.ts';
import type { DagTransport } from './dag-transport.ts';
import { AirflowRequestError, AirflowServerError, DagNotFoundError } from './errors.ts';

/** One CLI command with the client's retries. */
export type CliRun = (environment: string, command: string) => Promise<CliResult>;

export function createCliDagTransport(run: CliRun): DagTransport {
  return {
    kind: 'cli',

    async isPaused({ name }, dagId) {
      const { stdout } = await run(name, 'dags list -o json');
      const dags = parseJsonList(stdout) as Array<{ dag_id?: string; paused?: unknown }> | undefined;
      const dag = dags?.find((d) => d.dag_id === dagId);
      if (!dags) throw new AirflowServerError(`Airflow CLI on ${name} returned no DAG list`);
      if (!dag)
        throw new DagNotFoundError(`DAG ${dagId} was not found in environment ${name}`, {
          context: { dagId },
        });
      return dag.paused === true || dag.paused === 'True' || dag.paused === 'true';
    },

    async setPaused({ name }, dagId, paused) {
      await run(name, `dags ${paused ? 'pause' : 'unpause'} ${shellQuote(dagId)}`);
    },

    async createRun({ name }, request) {
      const command = [
        'dags trigger',
        shellQuote(request.dagId),
        '-r',
        shellQuote(request.runId),
        '-c',
        shellQuote(JSON.stringify(request.conf)),
        // The CLI zeroes microseconds unless told not to, which would undo the distinct date.
        ...(request.logicalDate === undefined
          ? []
          : ['-e', shellQuote(request.logicalDate), '--no-replace-microseconds']),
        '-o json',
      ].join(' ');
      const { stdout, stderr } = await run(name, command);
      const runs = parseJsonList(stdout) as Array<{ dag_run_id?: string; run_id?: string }> | undefined;
      if (runs?.some((r) => (r.dag_run_id ?? r.run_id) === request.runId)) return 'created';
      if (/DagRunAlreadyExists|already exists/i.test(stderr)) return 'conflict';
      if (/DagNotFound|could not be found|not found/i.test(stderr)) {
        throw new DagNotFoundError(`DAG ${request.dagId} was not found in environment ${name}`, {
          context: { dagId: request.dagId },
        });
      }
      throw new AirflowRequestError(
        `Airflow CLI on ${name} did not trigger ${request.dagId}: ${lastLine(stderr) || 'no run in the output'}`,
        { context: { dagId: request.dagId } },
      );
    },

    async runExists({ name, apiVersion }, dagId, runId) {
      // Airflow 2 names the DAG with -d; Airflow 3 takes it as the positional argument.
      const dag = shellQuote(dagId);
      const command =
        apiVersion === 'v2' ? `dags list-runs ${dag} -o json` : `dags list-runs -d ${dag} -o json`;
      const { stdout, stderr } = await run(name, command);
      const runs = parseJsonList(stdout) as Array<{ run_id?: string; dag_run_id?: string }> | undefined;
      if (runs) return runs.some((r) => (r.run_id ?? r.dag_run_id) === runId);
      if (/does not exist|not found/i.test(stderr)) {
        throw new DagNotFoundError(`DAG ${dagId} was not found in environment ${name}`, {
          context: { dagId },
        });
      }
      // No parseable answer is no proof either way: let the caller retry the whole trigger.
      throw new AirflowServerError(
        `Airflow CLI on ${name} could not list the runs of ${dagId} to confirm run ${runId}: ${lastLine(stderr) || 'no output'}`,
        { context: { dagId } },
      );
    },
  };
}

/** The Airflow CLI prints warnings before its JSON: take the last line that parses as a list. */
function parseJsonList(stdout: string): unknown[] | undefined {
  const lines = stdout.split('\n').map((line) => line.trim());
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i] ?? '';
    if (!line.startsWith('[')) continue;
    try {
      const value = JSON.parse(line);
      if (Array.isArray(value)) return value;
    } catch {
      // not this line
    }
  }
  try {
    const value = JSON.parse(stdout);
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return (lines.at(-1) ?? '').slice(0, 300);
}
