/**
 * MWAA environments on a running local cloud, created through the real MWAA API and awaited on
 * the cloud's (fast) clock.
 */
import { CreateEnvironmentCommand, GetEnvironmentCommand, MWAAClient } from '@aws-sdk/client-mwaa';
import { LOCAL_ACCOUNT_ID } from '../../local/core/aws.ts';
import type { LocalCloud } from '../../local/index.ts';

export function mwaaClientFor(cloud: LocalCloud, options: { maxAttempts?: number } = {}): MWAAClient {
  return new MWAAClient({
    region: cloud.env.AWS_REGION,
    endpoint: cloud.env.AWS_ENDPOINT_URL_MWAA,
    disableHostPrefix: true,
    credentials: {
      accessKeyId: cloud.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: cloud.env.AWS_SECRET_ACCESS_KEY,
    },
    maxAttempts: options.maxAttempts ?? 1,
  });
}

/** Create an environment and resolve once MWAA reports it AVAILABLE. */
export async function createAvailableEnvironment(cloud: LocalCloud, name: string, airflowVersion: string) {
  const mwaa = mwaaClientFor(cloud);
  await mwaa.send(
    new CreateEnvironmentCommand({
      Name: name,
      AirflowVersion: airflowVersion,
      ExecutionRoleArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/mwaa-${name}`,
      SourceBucketArn: 'arn:aws:s3:::mwaa-dags',
      DagS3Path: 'dags',
      NetworkConfiguration: { SubnetIds: ['subnet-a', 'subnet-b'], SecurityGroupIds: ['sg-1'] },
    }),
  );
  // Bounded: an environment takes ~25 emulated minutes; give it 3 emulated hours.
  const deadline = cloud.clock.now() + 3 * 3600_000;
  for (;;) {
    const out = await mwaa.send(new GetEnvironmentCommand({ Name: name }));
    const status = out.Environment?.Status;
    if (status === 'AVAILABLE') return out.Environment!;
    if (status === 'CREATE_FAILED' || cloud.clock.now() > deadline) {
      throw new Error(`environment ${name} did not become AVAILABLE (status ${status})`);
    }
    await cloud.clock.sleep(30_000);
  }
}
