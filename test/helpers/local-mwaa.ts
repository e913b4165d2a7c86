/**
 * The MWAA emulator beside a local cloud, for tests that need both. When the cloud already
 * serves MWAA (`AWS_ENDPOINT_URL_MWAA` in its env and a `mwaa` handle) that one is used;
 * otherwise an emulator is started on the cloud's clock and its endpoint added to the cloud's
 * env, which its functions and the Step Functions SDK integrations read when they first call MWAA.
 */
import { LOCAL_ACCOUNT_ID } from '../../local/core/aws.ts';
import type { Targets } from '../../local/core/model.ts';
import type { LocalCloud } from '../../local/index.ts';
import { type MwaaHandle, startMwaa } from '../../local/mwaa/index.ts';

export interface CloudMwaa {
  mwaa: MwaaHandle;
  /** Stops the emulator if this helper started it. */
  close(): Promise<void>;
}

export async function mwaaFor(cloud: LocalCloud): Promise<CloudMwaa> {
  const existing = (cloud as unknown as { mwaa?: MwaaHandle }).mwaa;
  if (existing && cloud.env.AWS_ENDPOINT_URL_MWAA) return { mwaa: existing, close: async () => {} };
  const unsupported = (what: string) => () =>
    Promise.reject(new Error(`${what} is not wired in this test helper`));
  const targets: Targets = {
    invokeFunction: unsupported('invokeFunction'),
    startExecution: unsupported('startExecution'),
    publish: unsupported('publish'),
    sendMessage: unsupported('sendMessage'),
    putEvents: (entries) => cloud.events.putEvents(entries),
    deliver: unsupported('deliver'),
  };
  const mwaa = await startMwaa(
    {
      clock: cloud.clock,
      faults: cloud.faults,
      region: cloud.env.AWS_REGION,
      accountId: LOCAL_ACCOUNT_ID,
      log: () => {},
    },
    { targets },
  );
  (cloud.env as Record<string, string>).AWS_ENDPOINT_URL_MWAA = mwaa.url;
  return { mwaa, close: () => mwaa.close() };
}

/** A CreateEnvironment input the emulator accepts. */
export function createEnvironmentInput(name: string, airflowVersion: string): Record<string, unknown> {
  return {
    Name: name,
    AirflowVersion: airflowVersion,
    ExecutionRoleArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/mwaa-${name}`,
    SourceBucketArn: 'arn:aws:s3:::mwaa-dags',
    DagS3Path: 'dags',
    NetworkConfiguration: { SubnetIds: ['subnet-a', 'subnet-b'], SecurityGroupIds: ['sg-1'] },
  };
}
