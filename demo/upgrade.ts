/**
 * Chapter: upgrade data-dev in place from Airflow 2.10.3 to 2.11.0 — the version matrix refuses
 * what MWAA would refuse, the workflow backs up first, follows MWAA's statuses and runs a canary
 * DAG on the new version. docs/upgrades.md
 */
import { GetEnvironmentCommand } from '@aws-sdk/client-mwaa';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { checkVersionChange } from '../functions/shared/versions/matrix.ts';
import type { LocalCloud } from '../local/index.ts';
import type { DemoClients } from './clients.ts';
import { DEMO_AIRFLOW_VERSION, DEMO_ENVIRONMENT } from './environment.ts';
import type { Narrator } from './narrator.ts';

const TARGET = '2.11.0';
const CANARY_DAG = 'upgrade_smoke_test';
/** Shorter polling than production (the waits are emulated anyway). */
const INPUT = { pollSeconds: 60, heartbeatSeconds: 3600, exportTimeoutSeconds: 7200, canaryPollSeconds: 30 };

async function mwaaState(clients: DemoClients) {
  const out = await clients.mwaa.send(new GetEnvironmentCommand({ Name: DEMO_ENVIRONMENT }));
  return { status: String(out.Environment?.Status), version: String(out.Environment?.AirflowVersion) };
}

export async function upgradeChapter(cloud: LocalCloud, clients: DemoClients, narrator: Narrator) {
  narrator.chapter(
    'Upgrade Airflow in place',
    `MWAA upgrades in place but may roll back, or leave the environment UNAVAILABLE. The upgrade workflow checks the version matrix, takes a verified backup, then follows MWAA (${DEMO_AIRFLOW_VERSION} → ${TARGET}).`,
  );

  await narrator.step(
    `the matrix refuses ${DEMO_AIRFLOW_VERSION} → 3.0.6 before touching anything`,
    async () => {
      const arn = await cloud.startExecution('UpgradeEnvironmentStateMachine', {
        environment: DEMO_ENVIRONMENT,
        targetVersion: '3.0.6',
        ...INPUT,
      });
      const outcome = await cloud.waitForExecution(arn, { timeoutMs: 60_000 });
      const touched = cloud.stepFunctions
        .history(arn)
        .map((e) => (e as { stateEnteredEventDetails?: { name?: string } }).stateEnteredEventDetails?.name)
        .filter((name) => name === 'Backup' || name === 'UpdateEnvironment');
      if (
        outcome.status !== 'FAILED' ||
        outcome.error !== 'VersionChangeNotAllowedError' ||
        touched.length > 0
      )
        throw new Error(`expected a refusal before any backup, got ${outcome.status} ${outcome.error ?? ''}`);
      return checkVersionChange(DEMO_AIRFLOW_VERSION, '3.0.6').reason;
    },
  );

  await narrator.step(
    `upgrade to ${TARGET}: lock → backup → UpdateEnvironment → follow → canary DAG`,
    async () => {
      const before = await mwaaState(clients);
      if (before.version !== DEMO_AIRFLOW_VERSION)
        throw new Error(`${DEMO_ENVIRONMENT} runs ${before.version}`);
      cloud.airflow(DEMO_ENVIRONMENT).addDag(CANARY_DAG, { paused: true, durationMs: 120_000 });
      const started = cloud.clock.now();
      const arn = await cloud.startExecution('UpgradeEnvironmentStateMachine', {
        environment: DEMO_ENVIRONMENT,
        targetVersion: TARGET,
        canaryDag: CANARY_DAG,
        ...INPUT,
      });
      // Watch MWAA's statuses while the workflow runs, as `mwaa-ops env upgrade --wait` does.
      let done = false;
      const watching = (async () => {
        let last = '';
        while (!done) {
          const { status, version } = await mwaaState(clients);
          const line = `${status} (Airflow ${version})`;
          if (line !== last) {
            const minutes = ((cloud.clock.now() - started) / 60_000).toFixed(0);
            narrator.note(`+${minutes.padStart(3)} emulated min  ${line}`);
            last = line;
          }
          await cloud.clock.sleep(60_000);
        }
      })();
      const outcome = await cloud.waitForExecution(arn, { timeoutMs: 120_000 }).finally(() => {
        done = true;
      });
      await watching;
      if (outcome.status !== 'SUCCEEDED')
        throw new Error(`upgrade ended ${outcome.status}: ${outcome.error ?? ''} ${outcome.cause ?? ''}`);
      const output = outcome.output as Record<string, unknown>;
      return `backup ${String(output.backupId)} at ${String(output.backup)}`;
    },
  );

  await narrator.step(`GetEnvironment reports Airflow ${TARGET}; the canary run succeeded`, async () => {
    const after = await mwaaState(clients);
    if (after.status !== 'AVAILABLE' || after.version !== TARGET)
      throw new Error(`environment is ${after.status} on ${after.version}`);
    const runs = cloud.airflow(DEMO_ENVIRONMENT).dagRuns(CANARY_DAG);
    if (runs.length !== 1 || runs[0]?.state !== 'success')
      throw new Error(`canary runs: ${JSON.stringify(runs)}`);
    const item = await clients.ddb.send(
      new GetCommand({ TableName: cloud.ref('EnvironmentsTable'), Key: { environment: DEMO_ENVIRONMENT } }),
    );
    const last = item.Item?.lastUpgrade as Record<string, string> | undefined;
    return `registry: state ${String(item.Item?.state)}, last upgrade ${last?.from} → ${last?.to} ${last?.outcome}`;
  });
}
