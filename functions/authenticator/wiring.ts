/**
 * Builds the authenticator from an environment map: configuration, SDK adapters, caches and
 * the router. index.ts calls it once per container; tests and benchmarks call it with their
 * own map (endpoints of the local cloud) and, where they measure, their own clients.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { STSClient } from '@aws-sdk/client-sts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamodbClient, stsClient } from '../shared/aws-clients.ts';
import type { Env } from '../shared/config.ts';
import { loggerAudit } from './audit.ts';
import { type MwaaMinterOptions, mwaaWebLoginMinter, stsRoleAssumer } from './aws-adapters.ts';
import { readConfig } from './config.ts';
import { createLoginService } from './login.ts';
import { createKeyFetcher } from './public-keys.ts';
import { dynamoRbacStore } from './rbac-store.ts';
import { createRouter } from './routes.ts';
import { createTokenVerifier } from './token.ts';

export interface AuthenticatorOverrides {
  dynamodb?: DynamoDBDocumentClient;
  sts?: Pick<STSClient, 'send'>;
  /** Fetch used for the public-key endpoint. */
  fetch?: typeof fetch;
  buildMwaaClient?: MwaaMinterOptions['buildClient'];
  now?: () => number;
}

export function createAuthenticator(
  env: Env,
  log: Pick<Logger, 'info' | 'error'>,
  overrides: AuthenticatorOverrides = {},
) {
  const config = readConfig(env);
  return createRouter({
    verifier: createTokenVerifier({
      ...config,
      keys: createKeyFetcher({
        endpoint: config.publicKeyEndpoint,
        timeoutMs: config.keyFetchTimeoutMs,
        ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
      }),
      ...(overrides.now ? { now: overrides.now } : {}),
    }),
    rbac: dynamoRbacStore(overrides.dynamodb ?? dynamodbClient(env), config.rbacTableName),
    login: createLoginService({
      assumer: stsRoleAssumer(overrides.sts ?? stsClient(env)),
      minter: mwaaWebLoginMinter({
        env,
        ...(overrides.buildMwaaClient ? { buildClient: overrides.buildMwaaClient } : {}),
      }),
      roleArns: config.loginRoleArns,
      sessionDurationSeconds: config.sessionDurationSeconds,
      ...(overrides.now ? { now: overrides.now } : {}),
    }),
    audit: loggerAudit(log),
    sessionCookieName: config.sessionCookieName,
    logoutUrl: config.logoutUrl,
    onUnexpected: (error) => log.error('Unexpected failure', { error }),
    ...(overrides.now ? { now: overrides.now } : {}),
  });
}
