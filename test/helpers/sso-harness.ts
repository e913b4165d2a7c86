/**
 * SSO on the standalone emulators: the local ALB + IdP (listener rules read from template.yaml),
 * STS, MWAA and DynamoDB (RbacTable as template.yaml declares it), with the authenticator built
 * from the environment template.yaml gives AuthenticatorFunction and run in-process as the
 * ALB's Lambda target. The SSO benchmark uses it to inject latency into the key fetch too.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateEnvironmentCommand, GetEnvironmentCommand, MWAAClient } from '@aws-sdk/client-mwaa';
import { createAuthenticator } from '../../functions/authenticator/wiring.ts';
import { type AlbHandle, rulesFromTemplate, startAlb } from '../../local/alb/index.ts';
import { createClock } from '../../local/core/clock.ts';
import { createFaultRegistry } from '../../local/core/faults.ts';
import type { Targets } from '../../local/core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../../local/core/service.ts';
import { startDynamoDb } from '../../local/dynamodb/index.ts';
import { type MwaaHandle, startMwaa } from '../../local/mwaa/index.ts';
import { type StsHandle, startSts } from '../../local/sts/index.ts';
import { buildModel, parseTemplate } from '../../local/template/build-model.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const SSO_ALB_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/mwaa-ops-local/0123456789abcdef`;
export const SSO_ISSUER = 'https://idp.mwaa-ops.local';
export const SSO_CLIENT_ID = 'mwaa-ops-local';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** The template parameters that switch SSO on locally. */
export const SSO_PARAMETERS: Record<string, string> = {
  EnableSso: 'true',
  SsoLoadBalancerArn: SSO_ALB_ARN,
  SsoListenerArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/mwaa-ops-local/0123456789abcdef/fedcba9876543210`,
  OidcIssuer: SSO_ISSUER,
  OidcClientId: SSO_CLIENT_ID,
  OidcClientSecretId: 'mwaa-ops/local-oidc',
};

export interface AuditLine {
  message: string;
  fields: Record<string, unknown>;
}

export interface SsoHarness {
  ctx: ServiceContext;
  alb: AlbHandle;
  mwaa: MwaaHandle;
  sts: StsHandle;
  /** Variables for SDK clients and the CLI's --local file. */
  env: Record<string, string>;
  /** The env the authenticator runs with (template values + local endpoints). */
  functionEnv: Record<string, string>;
  rbacTableName: string;
  /** Every line the authenticator logged (audit lines included), serialised as logged. */
  logLines: string[];
  audit(): Array<Record<string, unknown>>;
  invocations(): number;
  createEnvironment(name: string): Promise<void>;
  stop(): Promise<void>;
}

const noop = async () => undefined;

export async function startSsoHarness(options: { clockSpeed?: number } = {}): Promise<SsoHarness> {
  const ctx: ServiceContext = {
    clock: createClock(options.clockSpeed ?? 1),
    faults: createFaultRegistry(),
    region: REGION,
    accountId: ACCOUNT,
    log: () => undefined,
  };
  const raw = parseTemplate(readFileSync(join(root, 'template.yaml'), 'utf8'));
  const model = buildModel(raw, {
    root,
    region: REGION,
    accountId: ACCOUNT,
    stackName: 'mwaa-ops',
    parameters: SSO_PARAMETERS,
  });
  const fn = model.functions.find((f) => f.logicalId === 'AuthenticatorFunction');
  const table = model.tables.find((t) => t.logicalId === 'RbacTable');
  if (!fn || !table)
    throw new Error('template.yaml with EnableSso=true has no AuthenticatorFunction or RbacTable');

  const handles: EmulatorHandle[] = [];
  const sts = await startSts(ctx);
  handles.push(sts);
  const [dynamo, mwaa] = await Promise.all([
    startDynamoDb(ctx, { tables: [table] }),
    startMwaa(ctx, {
      targets: {
        invokeFunction: noop,
        startExecution: async () => 'arn',
        publish: noop,
        sendMessage: noop,
        putEvents: noop,
        deliver: noop,
      },
      identityForAccessKey: (accessKeyId) => sts.session(accessKeyId)?.assumedRoleArn,
    }),
  ]);
  handles.push(dynamo, mwaa);

  let route: ((event: never) => Promise<unknown>) | undefined;
  let count = 0;
  const targets: Targets = {
    async invokeFunction(name, event) {
      if (name !== 'AuthenticatorFunction' || !route) throw new Error(`no function ${name}`);
      count += 1;
      return route(event as never);
    },
    startExecution: async () => 'arn',
    publish: noop,
    sendMessage: noop,
    putEvents: noop,
    deliver: noop,
  };
  const alb = await startAlb(ctx, {
    targets,
    albArn: SSO_ALB_ARN,
    clientId: SSO_CLIENT_ID,
    issuer: SSO_ISSUER,
    rules: rulesFromTemplate(raw as Record<string, unknown>),
  });
  handles.push(alb);

  const env: Record<string, string> = {
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_ENDPOINT_URL_MWAA: mwaa.url,
  };
  // The SDK takes credentials from process.env, as in Lambda.
  process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
  process.env.AWS_REGION = REGION;
  const functionEnv = { ...fn.environment, ...env, ALB_PUBLIC_KEY_ENDPOINT: alb.publicKeyEndpoint };
  const logLines: string[] = [];
  const log = {
    info: (message: string, fields?: unknown) =>
      void logLines.push(JSON.stringify({ level: 'INFO', message, ...(fields as object) })),
    error: (message: string, fields?: unknown) =>
      void logLines.push(JSON.stringify({ level: 'ERROR', message, ...(fields as object) })),
  };
  route = createAuthenticator(functionEnv, log as never) as never;

  const client = new MWAAClient({
    endpoint: mwaa.url,
    disableHostPrefix: true,
    region: REGION,
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
  return {
    ctx,
    alb,
    mwaa,
    sts,
    env,
    functionEnv,
    rbacTableName: table.name,
    logLines,
    audit: () =>
      logLines
        .map((line) => JSON.parse(line) as { message: string; audit?: Record<string, unknown> })
        .filter((line) => line.message === 'sso.audit')
        .map((line) => line.audit ?? {}),
    invocations: () => count,
    async createEnvironment(name) {
      await client.send(
        new CreateEnvironmentCommand({
          Name: name,
          ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/exec`,
          SourceBucketArn: 'arn:aws:s3:::dags',
          DagS3Path: 'dags',
          NetworkConfiguration: { SubnetIds: ['a', 'b'], SecurityGroupIds: ['sg'] },
        }),
      );
      for (let i = 0; i < 600; i += 1) {
        const { Environment } = await client.send(new GetEnvironmentCommand({ Name: name }));
        if (Environment?.Status === 'AVAILABLE') return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`environment ${name} did not become AVAILABLE`);
    },
    async stop() {
      client.destroy();
      ctx.clock.dispose();
      await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
    },
  };
}
