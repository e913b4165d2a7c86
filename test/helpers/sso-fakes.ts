/**
 * Test doubles for the authenticator: ES256 keys and tokens built exactly as an ALB builds them
 * (padded base64url segments, raw r‖s signature over the padded text), hostile variants of
 * them, a key endpoint fetch that records every URL, and recording RBAC / login fakes.
 */
import { createHmac, sign } from 'node:crypto';
import type { LoginService } from '../../functions/authenticator/login.ts';
import type { RbacGrant, RbacKey, RbacStore } from '../../functions/authenticator/rbac.ts';
import { type AlbSigningKey, createSigningKey } from '../../local/alb/keys.ts';
import { base64UrlPadded, buildOidcDataToken } from '../../local/alb/token.ts';

export const ALB_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/sso/0123456789abcdef';
export const OTHER_ALB_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:999999999999:loadbalancer/app/evil/fedcba9876543210';
export const ISSUER = 'https://idp.example.com';
export const CLIENT_ID = 'mwaa-ops-client';
export const KEY_ENDPOINT = 'https://public-keys.auth.elb.eu-west-1.amazonaws.com';
/** A fixed "now" for deterministic expiry checks (epoch ms). */
export const NOW_MS = Date.UTC(2026, 10, 26, 12, 0, 0);
export const NOW_S = NOW_MS / 1000;

export { type AlbSigningKey, createSigningKey };

/** A genuine token, as the ALB sends it. */
export function albToken(
  key: AlbSigningKey,
  claims: Record<string, unknown>,
  overrides: { signer?: string; clientId?: string; issuer?: string; exp?: number } = {},
): string {
  return buildOidcDataToken({
    key,
    issuer: overrides.issuer ?? ISSUER,
    clientId: overrides.clientId ?? CLIENT_ID,
    signer: overrides.signer ?? ALB_ARN,
    exp: overrides.exp ?? NOW_S + 120,
    claims,
  });
}

/** A token from arbitrary header and payload objects, signed however the test says. */
export function customToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signature: (signingInput: string) => Buffer,
): string {
  const signingInput = `${base64UrlPadded(JSON.stringify(header))}.${base64UrlPadded(JSON.stringify(payload))}`;
  return `${signingInput}.${base64UrlPadded(signature(signingInput))}`;
}

export const es256 =
  (key: AlbSigningKey, encoding: 'ieee-p1363' | 'der' = 'ieee-p1363') =>
  (input: string) =>
    sign('sha256', Buffer.from(input, 'ascii'), { key: key.privateKey, dsaEncoding: encoding });

export const hs256 = (secret: string) => (input: string) =>
  createHmac('sha256', secret).update(input).digest();

/** The header an ALB writes for `key`. */
export function albHeader(
  key: AlbSigningKey,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    typ: 'JWT',
    kid: key.kid,
    alg: 'ES256',
    iss: ISSUER,
    client: CLIENT_ID,
    signer: ALB_ARN,
    exp: NOW_S + 120,
    ...overrides,
  };
}

/** A fetch serving the PEMs of `keys` at `<KEY_ENDPOINT>/<kid>` and recording each URL. */
export function keyEndpointFetch(keys: AlbSigningKey[], options: { delayMs?: number } = {}) {
  const urls: string[] = [];
  const fetchFn = (async (input: string | URL | Request) => {
    const url = String(input);
    urls.push(url);
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    const key = keys.find((k) => url === `${KEY_ENDPOINT}/${k.kid}`);
    return key ? new Response(key.publicKeyPem, { status: 200 }) : new Response('Not Found', { status: 404 });
  }) as typeof fetch;
  return { fetch: fetchFn, urls };
}

/** An in-memory RbacStore that records every call. */
export function fakeRbac(grants: RbacGrant[] = []) {
  const calls: Array<{ op: 'getMany' | 'listByPrincipal'; arg: unknown }> = [];
  const store: RbacStore & { calls: typeof calls; grants: RbacGrant[] } = {
    calls,
    grants,
    async getMany(keys: readonly RbacKey[]) {
      calls.push({ op: 'getMany', arg: keys });
      return grants.filter((g) =>
        keys.some((k) => k.principal === g.principal && k.environment === g.environment),
      );
    },
    async listByPrincipal(principal: string) {
      calls.push({ op: 'listByPrincipal', arg: principal });
      return grants.filter((g) => g.principal === principal);
    },
  };
  return store;
}

/** A LoginService that records calls and answers a fixed Airflow URL. */
export function fakeLogin() {
  const calls: Array<{ email: string; environment: string; role: string }> = [];
  const service: LoginService & { calls: typeof calls } = {
    calls,
    async login(identity, environment, role) {
      const { email } = identity;
      calls.push({ email, environment, role });
      return {
        location: `https://airflow.example.com/aws_mwaa/aws-console-sso?login=true#token-for-${role}`,
        sessionName: email,
      };
    },
  };
  return service;
}

/** A minimal ALB event (multi-value headers on). */
export function albEvent(
  path: string,
  options: {
    token?: string;
    query?: Record<string, string[]>;
    headers?: Record<string, string[]>;
    method?: string;
  } = {},
) {
  return {
    requestContext: {
      elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/sso/1' },
    },
    httpMethod: options.method ?? 'GET',
    path,
    multiValueQueryStringParameters: options.query ?? {},
    multiValueHeaders: {
      ...(options.token === undefined ? {} : { 'x-amzn-oidc-data': [options.token] }),
      ...(options.headers ?? {}),
    },
    body: '',
    isBase64Encoded: false,
  };
}
