/** Chapter: create an MWAA environment and watch it come up on the emulated clock. */
import { CreateEnvironmentCommand, GetEnvironmentCommand } from '@aws-sdk/client-mwaa';
import { LOCAL_ACCOUNT_ID } from '../local/core/aws.ts';
import type { LocalCloud } from '../local/index.ts';
import type { DemoClients } from './clients.ts';
import type { Narrator } from './narrator.ts';

export const DEMO_ENVIRONMENT = 'data-dev';
export const DEMO_AIRFLOW_VERSION = '2.10.3';

export async function environmentChapter(cloud: LocalCloud, clients: DemoClients, narrator: Narrator) {
  narrator.chapter(
    'An MWAA environment',
    `Creating a real MWAA environment takes 20–30 minutes. The local clock runs ${cloud.clock.speed}× faster, so we can watch it.`,
  );
  await narrator.step(`CreateEnvironment ${DEMO_ENVIRONMENT} (Airflow ${DEMO_AIRFLOW_VERSION})`, async () => {
    await clients.mwaa.send(
      new CreateEnvironmentCommand({
        Name: DEMO_ENVIRONMENT,
        AirflowVersion: DEMO_AIRFLOW_VERSION,
        ExecutionRoleArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/mwaa-${DEMO_ENVIRONMENT}-execution`,
        SourceBucketArn: 'arn:aws:s3:::mwaa-ops-demo-dags',
        DagS3Path: 'dags',
        NetworkConfiguration: { SubnetIds: ['subnet-0a1b', 'subnet-0c2d'], SecurityGroupIds: ['sg-0e3f'] },
      }),
    );
    return undefined;
  });
  await narrator.step('wait until MWAA reports AVAILABLE', async () => {
    const started = cloud.clock.now();
    const seen: string[] = [];
    const deadline = started + 3 * 3600_000;
    for (;;) {
      const out = await clients.mwaa.send(new GetEnvironmentCommand({ Name: DEMO_ENVIRONMENT }));
      const status = out.Environment?.Status ?? 'UNKNOWN';
      const minutes = ((cloud.clock.now() - started) / 60_000).toFixed(0);
      if (seen.at(-1) !== status) {
        seen.push(status);
        narrator.note(`+${minutes.padStart(2)} emulated min  ${status}`);
      }
      if (status === 'AVAILABLE') return `ready after ${minutes} emulated minutes`;
      if (status === 'CREATE_FAILED' || cloud.clock.now() > deadline)
        throw new Error(`environment ended ${status}`);
      await cloud.clock.sleep(60_000);
    }
  });
}
