/**
 * Benchmark `sso`: logins per second and AWS calls per login through one warm authenticator,
 * with a fixed latency injected into every AWS call (DynamoDB, STS, MWAA through the emulators'
 * fault registry; the public-key endpoint through the fetch the authenticator is given), next
 * to a baseline that, like the published sample, fetches the ALB key and assumes the role on
 * every login. Runs on the standalone emulators (test/helpers/sso-harness.ts) until the local
 * cloud wires SSO.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MWAAClient } from '@aws-sdk/client-mwaa';
import { MWAAClient as SdkMwaaClient } from '@aws-sdk/client-mwaa';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { runCli } from '../cli/main.ts';
import { mwaaWebLoginMinter, stsRoleAssumer } from '../functions/authenticator/aws-adapters.ts';
import { readConfig } from '../functions/authenticator/config.ts';
import { createLoginService } from '../functions/authenticator/login.ts';
import { createKeyFetcher } from '../functions/authenticator/public-keys.ts';
import { dynamoRbacStore } from '../functions/authenticator/rbac-store.ts';
import { type AlbEvent, createRouter } from '../functions/authenticator/routes.ts';
import { createTokenVerifier } from '../functions/authenticator/token.ts';
import { endpointFor } from '../functions/shared/aws-clients.ts';
import { startSsoHarness } from '../test/helpers/sso-harness.ts';
import { formatMs } from './lib/format.ts';
import { summarize } from './lib/stats.ts';
import type { BenchResult } from './lib/types.ts';

export const name = 'sso';

/** Injected latency per AWS call (real ms); BENCH_SSO_LATENCY_MS overrides. */
export const DEFAULT_LATENCY_MS = 20;
/** Measured logins per variant; BENCH_SSO_LOGINS overrides. */
export const DEFAULT_LOGINS = 60;
const WARMUP = 5;

interface Counter {
  calls: Record<string, number>;
}

/** Count every SDK operation a client sends. */
function counted<T extends { middlewareStack: { add: (...args: never[]) => void } }>(
  client: T,
  counter: Counter,
  service: string,
): T {
  (client.middlewareStack.add as (mw: unknown, options: unknown) => void)(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        const key = `${service}:${(context.commandName ?? 'unknown').replace(/Command$/, '')}`;
        counter.calls[key] = (counter.calls[key] ?? 0) + 1;
        return next(args);
      },
    { step: 'initialize', name: 'benchCallCounter' },
  );
  return client;
}

function countedFetch(counter: Counter, delayMs: number): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    counter.calls['elb:GetPublicKey'] = (counter.calls['elb:GetPublicKey'] ?? 0) + 1;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return fetch(input, init);
  }) as typeof fetch;
}

interface VariantResult {
  label: string;
  loginsPerSecond: number;
  callsPerLogin: Record<string, number>;
  totalCallsPerLogin: number;
  latency: ReturnType<typeof summarize>;
}

export async function runBench(): Promise<BenchResult> {
  const latencyMs = Number(process.env.BENCH_SSO_LATENCY_MS ?? DEFAULT_LATENCY_MS);
  const logins = Number(process.env.BENCH_SSO_LOGINS ?? DEFAULT_LOGINS);
  const h = await startSsoHarness({ clockSpeed: 2000 });
  try {
    await h.createEnvironment('bench');
    const file = JSON.stringify(h.env);
    const code = await runCli(
      [
        '--local',
        '/bench.json',
        'rbac',
        'grant',
        '--group',
        'bench',
        '--env',
        'bench',
        '--role',
        'User',
        '--table',
        h.rbacTableName,
      ],
      {
        stdout: () => undefined,
        stderr: () => undefined,
        sources: { env: {}, cwd: '/', projectRoot: '/', readFile: () => file, stdoutIsTTY: false },
      },
    );
    if (code !== 0) throw new Error('could not seed the bench grant');

    for (const service of ['dynamodb', 'sts', 'mwaa']) {
      h.ctx.faults.inject({
        service,
        operation: '*',
        error: 'Latency',
        delayMs: latencyMs,
        times: Number.POSITIVE_INFINITY,
      });
    }
    const config = readConfig(h.functionEnv);
    const silent = { record: () => undefined };
    const event = (email: string): AlbEvent => ({
      httpMethod: 'GET',
      path: '/aws_mwaa/aws-console-sso',
      multiValueQueryStringParameters: { mwaa_env: ['bench'], rbac_role: ['User'] },
      multiValueHeaders: {
        'x-amzn-oidc-data': [h.alb.mintToken({ email, email_verified: true, groups: ['bench'] })],
      },
    });

    async function measure(label: string, cached: boolean): Promise<VariantResult> {
      const counter: Counter = { calls: {} };
      const doc = DynamoDBDocumentClient.from(
        counted(
          new DynamoDBClient({ endpoint: endpointFor('DYNAMODB', h.functionEnv) as string }),
          counter,
          'dynamodb',
        ),
      );
      const sts = counted(
        new STSClient({ endpoint: endpointFor('STS', h.functionEnv) as string }),
        counter,
        'sts',
      );
      const buildClient = (config: ConstructorParameters<typeof SdkMwaaClient>[0] & object): MWAAClient =>
        counted(new SdkMwaaClient(config), counter, 'mwaa');
      const fetchFn = countedFetch(counter, latencyMs);
      const keyFetcher = () =>
        createKeyFetcher({ endpoint: config.publicKeyEndpoint, timeoutMs: 5000, fetch: fetchFn });
      const loginDeps = {
        assumer: stsRoleAssumer(sts),
        minter: mwaaWebLoginMinter({ env: h.functionEnv, buildClient }),
        roleArns: config.loginRoleArns,
        sessionDurationSeconds: config.sessionDurationSeconds,
      };
      const warmKeys = keyFetcher();
      const warmLogin = createLoginService(loginDeps);
      const route = createRouter({
        verifier: createTokenVerifier({
          ...config,
          // The baseline fetches the key on every login, as the published sample does.
          keys: cached ? warmKeys : { get: (kid) => keyFetcher().get(kid) },
        }),
        rbac: dynamoRbacStore(doc, config.rbacTableName),
        // The baseline assumes the role on every login.
        login: cached ? warmLogin : { login: (...args) => createLoginService(loginDeps).login(...args) },
        audit: silent,
        sessionCookieName: config.sessionCookieName,
        logoutUrl: undefined,
      });
      // Ten users, as a team signing in through one warm container.
      const users = Array.from({ length: 10 }, (_, i) => `user${i}@example.com`);
      for (let i = 0; i < WARMUP; i += 1) {
        for (const user of users) await route(event(user));
      }
      counter.calls = {};
      const samples: number[] = [];
      const started = performance.now();
      for (let i = 0; i < logins; i += 1) {
        const request = event(users[i % users.length] as string);
        const t0 = performance.now();
        const response = await route(request);
        samples.push(performance.now() - t0);
        if (response.statusCode !== 302) throw new Error(`${label}: login answered ${response.statusCode}`);
      }
      const elapsed = performance.now() - started;
      doc.destroy();
      sts.destroy();
      const callsPerLogin = Object.fromEntries(
        Object.entries(counter.calls)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, v / logins]),
      );
      return {
        label,
        loginsPerSecond: (logins * 1000) / elapsed,
        callsPerLogin,
        totalCallsPerLogin: Object.values(counter.calls).reduce((a, b) => a + b, 0) / logins,
        latency: summarize(samples),
      };
    }

    const baseline = await measure('baseline (key fetch + AssumeRole every login)', false);
    const warm = await measure('mwaa-ops authenticator (cached keys and role credentials)', true);
    const ratio = warm.loginsPerSecond / baseline.loginsPerSecond;
    const row = (r: VariantResult) => [
      r.label,
      r.loginsPerSecond.toFixed(1),
      r.totalCallsPerLogin.toFixed(2),
      Object.entries(r.callsPerLogin)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', '),
      formatMs(r.latency.median),
      formatMs(r.latency.p90),
    ];
    return {
      notes: [
        `${logins} sequential logins (10 users, after ${WARMUP} warm-up rounds) through one warm handler; ` +
          `${latencyMs} ms injected into every AWS call (DynamoDB, STS, MWAA via the emulators' faults, the key endpoint via fetch).`,
        `Warm authenticator vs baseline: ${ratio.toFixed(2)}× the logins per second, ` +
          `${warm.totalCallsPerLogin.toFixed(2)} vs ${baseline.totalCallsPerLogin.toFixed(2)} AWS calls per login.`,
      ],
      tables: [
        {
          title: 'SSO logins through one warm handler',
          columns: ['variant', 'logins/s', 'AWS calls/login', 'calls by operation', 'median', 'p90'],
          rows: [row(baseline), row(warm)],
        },
      ],
      data: { latencyMs, logins, ratio, baseline, warm },
    };
  } finally {
    h.ctx.faults.clear();
    await h.stop();
  }
}

export { runBench as run };
