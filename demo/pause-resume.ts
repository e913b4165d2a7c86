/** Chapter: pause an environment (verified backup, then delete) and resume it with everything back. */
import type { LocalCloud } from '../local/index.ts';
import { DEMO_ENVIRONMENT } from './environment.ts';
import type { Narrator } from './narrator.ts';

/** Shorter polling than production (the waits are emulated anyway). */
const INPUT = {
  pollSeconds: 60,
  heartbeatSeconds: 3600,
  exportTimeoutSeconds: 7200,
  importTimeoutSeconds: 7200,
};
const SECRET = 'demo-s3cr3t-value';

type Snapshot = { variables: Record<string, string>; connections: string; pools: string; runs: number };

function snapshot(cloud: LocalCloud): Snapshot {
  const airflow = cloud.airflow(DEMO_ENVIRONMENT);
  const byId = (rows: Array<Record<string, unknown>>, key: string) =>
    JSON.stringify([...rows].sort((a, b) => String(a[key]).localeCompare(String(b[key]))));
  return {
    variables: airflow.variables(),
    connections: byId(airflow.connections(), 'conn_id'),
    pools: byId(airflow.pools(), 'pool'),
    runs: airflow.dagRuns().filter((r) => !String(r.dag_id).startsWith('mwaa_ops_')).length,
  };
}

async function runWorkflow(cloud: LocalCloud, machine: string, narrator: Narrator) {
  const started = cloud.clock.now();
  const arn = await cloud.startExecution(machine, { environment: DEMO_ENVIRONMENT, ...INPUT });
  const outcome = await cloud.waitForExecution(arn, { timeoutMs: 120_000 });
  const minutes = ((cloud.clock.now() - started) / 60_000).toFixed(0);
  if (outcome.status !== 'SUCCEEDED') {
    throw new Error(`${machine} ended ${outcome.status}: ${outcome.error ?? ''} ${outcome.cause ?? ''}`);
  }
  const states = cloud.stepFunctions
    .history(arn)
    .filter((e) => String(e.type).endsWith('StateEntered')).length;
  narrator.note(`${states} states, ${minutes} emulated minutes`);
  return outcome.output as Record<string, unknown>;
}

export async function pauseResumeChapter(cloud: LocalCloud, narrator: Narrator) {
  narrator.chapter(
    'Pause and resume',
    'MWAA cannot be stopped, only deleted. Pause takes a verified backup of the metadata first; resume recreates the environment and restores it.',
  );
  let before: Snapshot | undefined;
  await narrator.step('seed variables (one secret), a connection with a password and a pool', async () => {
    const airflow = cloud.airflow(DEMO_ENVIRONMENT);
    // The DAG files live in the environment's S3 DAG folder, so a recreated environment has them.
    cloud.mwaa.dagBehaviours.preinstall('load_sales', { paused: false });
    airflow.setVariable('warehouse_api_key', SECRET, 'a secret');
    airflow.setVariable('region', 'eu-central-1');
    airflow.setConnection({
      conn_id: 'warehouse',
      conn_type: 'postgres',
      host: 'warehouse.internal',
      login: 'etl',
      password: SECRET,
      port: 5432,
    });
    airflow.setPool('reports', 4, 'report slots');
    before = snapshot(cloud);
    return `${Object.keys(before.variables).length} variables, ${before.runs} DAG runs of history`;
  });

  await narrator.step('pause: lock → export (task token) → verify → delete', async () => {
    const output = await runWorkflow(cloud, 'PauseEnvironmentStateMachine', narrator);
    const tables = Object.entries((output.tables as Record<string, number>) ?? {})
      .map(([t, n]) => `${t} ${n}`)
      .join(', ');
    return `backup ${String(output.backupId)} at ${String(output.backup)}\n${tables}`;
  });

  await narrator.step('the environment is gone: no more hourly bill', async () => {
    const exists = cloud.mwaa.environments().some((e) => e.name === DEMO_ENVIRONMENT);
    if (exists) throw new Error(`${DEMO_ENVIRONMENT} still exists`);
    return 'GetEnvironment → ResourceNotFoundException';
  });

  await narrator.step('resume: recreate → wait for AVAILABLE → import → verify counts', async () => {
    const output = await runWorkflow(cloud, 'ResumeEnvironmentStateMachine', narrator);
    return `restored backup ${String(output.backupId)}`;
  });

  await narrator.step(
    'everything came back: variables (secret included), connections, pools, run history',
    async () => {
      const after = snapshot(cloud);
      if (!before) throw new Error('nothing was seeded');
      const same =
        JSON.stringify(after.variables) === JSON.stringify(before.variables) &&
        after.connections === before.connections &&
        after.pools === before.pools &&
        after.runs === before.runs;
      if (!same) {
        throw new Error(
          `restored state differs: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`,
        );
      }
      const leaked = cloud.logs('MetadataTransferFunction').some((line) => line.includes(SECRET));
      if (leaked) throw new Error('the secret appeared in a function log');
      return `${Object.keys(after.variables).length} variables, ${after.runs} DAG runs — identical; the secret never appeared in a log`;
    },
  );
}
