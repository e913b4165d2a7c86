import { beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditEntry } from '../../../../functions/authenticator/audit.ts';
import { TokenRejectedError, UpstreamError } from '../../../../functions/authenticator/errors.ts';
import { createKeyFetcher } from '../../../../functions/authenticator/public-keys.ts';
import { createRouter } from '../../../../functions/authenticator/routes.ts';
import { createTokenVerifier } from '../../../../functions/authenticator/token.ts';
import { base64UrlPadded } from '../../../../local/alb/token.ts';
import {
  ALB_ARN,
  type AlbSigningKey,
  albEvent,
  albHeader,
  albToken,
  CLIENT_ID,
  createSigningKey,
  customToken,
  es256,
  fakeLogin,
  fakeRbac,
  hs256,
  ISSUER,
  KEY_ENDPOINT,
  keyEndpointFetch,
  NOW_MS,
  NOW_S,
  OTHER_ALB_ARN,
} from '../../../helpers/sso-fakes.ts';

let albKey: AlbSigningKey;
let otherKey: AlbSigningKey;

beforeAll(() => {
  albKey = createSigningKey();
  otherKey = createSigningKey();
});

const claims = { sub: 'u-1', email: 'Ada@Example.com', email_verified: true, groups: ['data-eng'] };

function setup() {
  const endpoint = keyEndpointFetch([albKey]);
  const verifier = createTokenVerifier({
    albArns: [ALB_ARN],
    issuer: ISSUER,
    clientId: CLIENT_ID,
    groupsClaim: 'groups',
    clockSkewSeconds: 30,
    keys: createKeyFetcher({ endpoint: KEY_ENDPOINT, timeoutMs: 1000, fetch: endpoint.fetch }),
    now: () => NOW_MS,
  });
  const rbac = fakeRbac([{ principal: 'user#ada@example.com', environment: 'env#prod', roles: ['Viewer'] }]);
  const login = fakeLogin();
  const audit: AuditEntry[] = [];
  const route = createRouter({
    verifier,
    rbac,
    login,
    audit: { record: (entry) => audit.push(entry) },
    sessionCookieName: 'AWSELBAuthSessionCookie',
    logoutUrl: undefined,
    now: () => NOW_MS,
  });
  return { verifier, rbac, login, audit, route, endpoint };
}

/** Re-sign nothing: replace the payload segment of a genuine token. */
function tamper(token: string, payload: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${base64UrlPadded(JSON.stringify(payload))}.${signature}`;
}

const payload = (extra: Record<string, unknown> = {}) => ({
  ...claims,
  exp: NOW_S + 120,
  iss: ISSUER,
  ...extra,
});

/** [name, token factory, expected reason] */
const hostile: Array<[string, () => string, string]> = [
  [
    'wrong signer (another account’s ALB)',
    () => albToken(albKey, claims, { signer: OTHER_ALB_ARN }),
    'untrusted-signer',
  ],
  ['wrong client', () => albToken(albKey, claims, { clientId: 'someone-else' }), 'wrong-client'],
  ['wrong issuer', () => albToken(albKey, claims, { issuer: 'https://evil.example.com' }), 'wrong-issuer'],
  ['expired', () => albToken(albKey, claims, { exp: NOW_S - 600 }), 'expired'],
  [
    'expired in the payload only',
    () => customToken(albHeader(albKey), payload({ exp: NOW_S - 600 }), es256(albKey)),
    'expired',
  ],
  [
    'not yet valid (nbf in the future)',
    () => customToken(albHeader(albKey), payload({ nbf: NOW_S + 600 }), es256(albKey)),
    'not-yet-valid',
  ],
  [
    'tampered payload (email changed after signing)',
    () => tamper(albToken(albKey, claims), payload({ email: 'admin@example.com' })),
    'bad-signature',
  ],
  [
    'padding stripped (signature covers the padded text)',
    () => {
      const token = albToken(albKey, { ...claims, email: 'ad@example.com' });
      return token.replace(/=+(?=\.)|=+$/g, '');
    },
    'bad-signature',
  ],
  [
    'alg none with an empty signature',
    () =>
      `${base64UrlPadded(JSON.stringify(albHeader(albKey, { alg: 'none' })))}.${base64UrlPadded(JSON.stringify(payload()))}.`,
    'malformed-token',
  ],
  [
    'alg none with a signature',
    () => customToken(albHeader(albKey, { alg: 'none' }), payload(), () => Buffer.from('x')),
    'unsupported-alg',
  ],
  [
    'HS256 keyed with the public key PEM',
    () => customToken(albHeader(albKey, { alg: 'HS256' }), payload(), hs256(albKey.publicKeyPem)),
    'unsupported-alg',
  ],
  [
    'DER-encoded signature',
    () => customToken(albHeader(albKey), payload(), es256(albKey, 'der')),
    'bad-signature',
  ],
  [
    'signed by another key under the known kid',
    () => customToken(albHeader(albKey), payload(), es256(otherKey)),
    'bad-signature',
  ],
  [
    'kid path traversal',
    () => customToken(albHeader(albKey, { kid: '../../../etc/passwd' }), payload(), es256(albKey)),
    'invalid-kid',
  ],
  [
    'kid as a URL',
    () =>
      customToken(albHeader(albKey, { kid: 'https://evil.example.com/key.pem' }), payload(), es256(albKey)),
    'invalid-kid',
  ],
  [
    'kid that is a UUID followed by a path',
    () => customToken(albHeader(albKey, { kid: `${albKey.kid}/../x` }), payload(), es256(albKey)),
    'invalid-kid',
  ],
  ['unknown kid', () => customToken(albHeader(otherKey), payload(), es256(otherKey)), 'unknown-kid'],
  ['missing email', () => albToken(albKey, { sub: 'u-1', groups: ['data-eng'] }), 'missing-email'],
  ['email that is not an address', () => albToken(albKey, { email: '<script>' }), 'missing-email'],
  [
    'email_verified false',
    () => albToken(albKey, { ...claims, email_verified: false }),
    'email-not-verified',
  ],
  [
    'email_verified missing (refused unless configured)',
    () => albToken(albKey, { sub: 'u-1', email: 'ada@example.com' }),
    'email-not-verified',
  ],
  [
    'email_verified as some other string',
    () => albToken(albKey, { ...claims, email_verified: 'yes' }),
    'email-not-verified',
  ],
  [
    // Kelvin sign: `toLowerCase()` folds it onto "k", which gave kate@ the grant of another person.
    'email with a compatibility character that would fold onto another address',
    () => albToken(albKey, { ...claims, email: '\u212Aate@example.com' }),
    'email-not-normalized',
  ],
  [
    'email with full-width letters',
    () => albToken(albKey, { ...claims, email: '\uFF41da@example.com' }),
    'email-not-normalized',
  ],
  ['oversized token', () => albToken(albKey, { ...claims, pad: 'x'.repeat(20_000) }), 'token-too-large'],
  [
    'oversized header',
    () => customToken(albHeader(albKey, { pad: 'x'.repeat(3000) }), payload(), es256(albKey)),
    'header-too-large',
  ],
  ['not a token at all', () => 'hello', 'malformed-token'],
  ['four segments', () => `${albToken(albKey, claims)}.AAAA`, 'malformed-token'],
];

describe('Function: authenticator token verification', () => {
  it('accepts a genuine ALB token with padded segments and reads email and groups', async () => {
    const { verifier } = setup();
    const token = albToken(albKey, claims);
    expect(token.split('.').some((segment) => segment.endsWith('='))).toBe(true);
    await expect(verifier.verify(token)).resolves.toEqual({
      email: 'ada@example.com',
      issuer: ISSUER,
      subject: 'u-1',
      groups: ['data-eng'],
    });
  });

  it('keeps non-ASCII letters as they are and folds only ASCII case', async () => {
    const { verifier } = setup();
    const identity = await verifier.verify(albToken(albKey, { ...claims, email: 'Ünal.KATE@Example.com' }));
    expect(identity.email).toBe('Ünal.kate@example.com');
  });

  it('accepts a token whose email_verified is absent when configured to, and reads groups from a configured claim', async () => {
    const endpoint = keyEndpointFetch([albKey]);
    const verifier = createTokenVerifier({
      albArns: ['arn:other', ALB_ARN],
      issuer: ISSUER,
      clientId: CLIENT_ID,
      groupsClaim: 'cognito:groups',
      clockSkewSeconds: 30,
      allowUnverifiedEmail: true,
      keys: createKeyFetcher({ endpoint: KEY_ENDPOINT, timeoutMs: 1000, fetch: endpoint.fetch }),
      now: () => NOW_MS,
    });
    const token = albToken(albKey, { email: 'bo@example.com', 'cognito:groups': ['ops', 'ops', 'eng'] });
    await expect(verifier.verify(token)).resolves.toEqual({
      email: 'bo@example.com',
      issuer: ISSUER,
      groups: ['ops', 'eng'],
    });
    await expect(
      verifier.verify(albToken(albKey, { email: 'bo@example.com', email_verified: false })),
    ).rejects.toMatchObject({ reason: 'email-not-verified' });
  });

  it('accepts a token within the clock skew of its expiry', async () => {
    const { verifier } = setup();
    await expect(verifier.verify(albToken(albKey, claims, { exp: NOW_S - 10 }))).resolves.toMatchObject({
      email: 'ada@example.com',
    });
  });

  it.each(hostile)('rejects %s', async (_name, build, reason) => {
    const { verifier } = setup();
    const rejection = verifier.verify(build());
    await expect(rejection).rejects.toBeInstanceOf(TokenRejectedError);
    await expect(rejection).rejects.toMatchObject({ reason, status: 401 });
  });

  it.each(hostile)('answers 401 to %s before any authorization call', async (_name, build, reason) => {
    const { route, rbac, login, audit } = setup();
    for (const path of ['/aws_mwaa/aws-console-sso', '/']) {
      const response = await route(albEvent(path, { token: build(), query: { mwaa_env: ['prod'] } }));
      expect(response.statusCode).toBe(401);
      expect(response.body).not.toContain('ada@example.com');
    }
    expect(rbac.calls).toEqual([]);
    expect(login.calls).toEqual([]);
    expect(audit.map((entry) => [entry.outcome, entry.reason])).toEqual([
      ['rejected', reason],
      ['rejected', reason],
    ]);
  });

  it('never puts a hostile kid into the key URL', async () => {
    const { verifier, endpoint } = setup();
    for (const kid of [
      '../../../etc/passwd',
      'https://evil.example.com/k',
      `${albKey.kid}?x=1`,
      '%2e%2e%2f',
    ]) {
      await expect(
        verifier.verify(customToken(albHeader(albKey, { kid }), payload(), es256(albKey))),
      ).rejects.toMatchObject({ reason: 'invalid-kid' });
    }
    expect(endpoint.urls).toEqual([]);
  });

  it('does not fetch a key for a token another ALB signed', async () => {
    const { verifier, endpoint } = setup();
    await expect(verifier.verify(albToken(albKey, claims, { signer: OTHER_ALB_ARN }))).rejects.toMatchObject({
      reason: 'untrusted-signer',
    });
    expect(endpoint.urls).toEqual([]);
  });

  it('rejects a request carrying two tokens, and one carrying none', async () => {
    const { route, rbac } = setup();
    const token = albToken(albKey, claims);
    const two = albEvent('/', { headers: { 'x-amzn-oidc-data': [token, token] } });
    expect((await route(two)).statusCode).toBe(401);
    expect((await route(albEvent('/'))).statusCode).toBe(401);
    expect(rbac.calls).toEqual([]);
  });
});

describe('Function: createKeyFetcher', () => {
  it('fetches each kid once, sharing one fetch between concurrent requests', async () => {
    const endpoint = keyEndpointFetch([albKey], { delayMs: 20 });
    const keys = createKeyFetcher({ endpoint: KEY_ENDPOINT, timeoutMs: 1000, fetch: endpoint.fetch });
    const results = await Promise.all(Array.from({ length: 10 }, () => keys.get(albKey.kid)));
    expect(new Set(results).size).toBe(1);
    await keys.get(albKey.kid);
    expect(endpoint.urls).toEqual([`${KEY_ENDPOINT}/${albKey.kid}`]);
  });

  it('treats an unknown kid as a rejected token and does not cache the failure', async () => {
    const endpoint = keyEndpointFetch([]);
    const keys = createKeyFetcher({ endpoint: KEY_ENDPOINT, timeoutMs: 1000, fetch: endpoint.fetch });
    await expect(keys.get(albKey.kid)).rejects.toMatchObject({
      name: 'TokenRejectedError',
      reason: 'unknown-kid',
    });
    await expect(keys.get(albKey.kid)).rejects.toMatchObject({ reason: 'unknown-kid' });
    expect(endpoint.urls).toHaveLength(2);
  });

  it('gives up after the timeout with a 502-class error', async () => {
    const hanging = ((_url: string, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as typeof fetch;
    const keys = createKeyFetcher({ endpoint: KEY_ENDPOINT, timeoutMs: 100, fetch: hanging });
    const started = Date.now();
    await expect(keys.get(albKey.kid)).rejects.toBeInstanceOf(UpstreamError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a key endpoint answer that is not a PEM public key', async () => {
    const fetchFn = (async () =>
      new Response('<html>captive portal</html>', { status: 200 })) as typeof fetch;
    const keys = createKeyFetcher({ endpoint: KEY_ENDPOINT, timeoutMs: 1000, fetch: fetchFn });
    await expect(keys.get(albKey.kid)).rejects.toMatchObject({ reason: 'key-malformed', status: 502 });
  });
});
