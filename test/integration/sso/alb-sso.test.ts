/**
 * Browser SSO end to end on the local cloud: the local ALB (listener rules from template.yaml)
 * with its IdP, AuthenticatorFunction's bundle in its Lambda worker with the environment
 * template.yaml gives it, STS, MWAA and RbacTable — all from startLocalCloud. Grants are written
 * with the CLI (`mwaa-ops rbac grant`).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sessionNameFor } from '../../../functions/authenticator/identity.ts';
import { subjectFor } from '../../../local/alb/idp.ts';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import { CookieJar } from '../../helpers/alb-fakes.ts';
import { runCliOnCloud } from '../../helpers/cli-run.ts';
import { createAvailableEnvironment } from '../../helpers/environments.ts';

let cloud: LocalCloud;

/** The parts of the cloud these tests use, named as the tests read best. */
const h = {
  get alb() {
    return cloud.alb;
  },
  get mwaa() {
    return cloud.mwaa;
  },
  get sts() {
    return cloud.sts;
  },
  get env(): Record<string, string> {
    return cloud.env;
  },
  get rbacTableName() {
    return cloud.ref('RbacTable');
  },
  /** Every line the authenticator logged, as it logged them (JSON). */
  get logLines() {
    return cloud.logs('AuthenticatorFunction').filter((line) => line.trim().startsWith('{'));
  },
  audit(): Array<Record<string, unknown>> {
    return this.logLines
      .map((line) => JSON.parse(line) as { message?: string; audit?: Record<string, unknown> })
      .filter((line) => line.message === 'sso.audit')
      .map((line) => line.audit ?? {});
  },
  createEnvironment: (name: string) => createAvailableEnvironment(cloud, name, '2.10.3'),
};

/** The CLI against the cloud; the table comes from the stack output RbacTableName in its file. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await runCliOnCloud(cloud, args);
  return { code, out: stdout, err: stderr };
}

/** Sign in at the IdP as `email` (with groups) starting from `path`; returns the ALB's answer to `path`. */
async function signIn(jar: CookieJar, path: string, email: string, groups: string[] = []): Promise<Response> {
  const first = await jar.fetch(`${h.alb.url}${path}`);
  expect(first.status).toBe(302);
  const authorize = new URL(first.headers.get('location') ?? '');
  await (await jar.fetch(authorize.toString())).text();
  const form = new URLSearchParams(authorize.searchParams);
  form.set('email', email);
  form.set('groups', groups.join(', '));
  form.set('email_verified', 'true');
  const submitted = await jar.fetch(`${h.alb.idpUrl}/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  expect(submitted.status).toBe(302);
  const callback = await jar.fetch(submitted.headers.get('location') ?? '');
  expect(callback.status).toBe(302);
  return jar.fetch(callback.headers.get('location') ?? '');
}

/** The session name the authenticator derives for a person the local IdP signs in. */
const sessionOf = (email: string) =>
  sessionNameFor({
    email,
    issuer: cloud.functionEnv('AuthenticatorFunction').OIDC_ISSUER ?? '',
    subject: subjectFor(email),
  });

const loginPath = (env: string, role?: string) =>
  `/aws_mwaa/aws-console-sso?mwaa_env=${env}${role ? `&rbac_role=${role}` : ''}`;

/** Follow the authenticator's redirect as the MWAA landing page does: post the #token, read /home. */
async function enterAirflow(location: string): Promise<{ user: string; role: string }> {
  const url = new URL(location);
  const token = url.hash.slice(1);
  const posted = await fetch(`${url.origin}${url.pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
    redirect: 'manual',
  });
  expect(posted.status).toBe(302);
  const cookie = (posted.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const home = await (await fetch(`${url.origin}/home`, { headers: { cookie } })).text();
  const pick = (id: string) => new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(home)?.[1] ?? '';
  return { user: pick('user'), role: pick('role') };
}

beforeAll(async () => {
  cloud = await startLocalCloud({ clockSpeed: 2000 });
  await Promise.all([h.createEnvironment('prod'), h.createEnvironment('dev')]);
  const grants: string[][] = [
    ['--user', 'ada@example.com', '--env', 'prod', '--role', 'Viewer'],
    ['--group', 'data-eng', '--env', 'prod', '--role', 'User'],
    ['--group', 'platform', '--env', '*', '--role', 'Op'],
    ['--user', 'temp@example.com', '--env', 'prod', '--role', 'Admin', '--expires', '1h'],
    ['--user', 'kate@example.com', '--env', 'dev', '--role', 'Admin'],
  ];
  for (const grant of grants) expect((await cli('rbac', 'grant', ...grant)).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
});

describe('SSO through the local ALB', () => {
  it('logs a user with a grant into Airflow as themselves, with the role asked for', async () => {
    const jar = new CookieJar();
    const response = await signIn(jar, loginPath('prod', 'Viewer'), 'ada@example.com');
    expect(response.status).toBe(302);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const location = response.headers.get('location') ?? '';
    const host = h.mwaa.environments().find((e) => e.name === 'prod')?.webServerHostname;
    expect(location.startsWith(`http://${host}/aws_mwaa/aws-console-sso?login=true#`)).toBe(true);
    expect(await enterAirflow(location)).toEqual({
      // MWAA cuts Airflow user names at 64 characters; the hash leads, so what is cut is readable text.
      user: `assumed-role/mwaa-ops-sso-Viewer/${sessionOf('ada@example.com')}`.slice(0, 64),
      role: 'Viewer',
    });
    expect(sessionOf('ada@example.com')).toMatch(/^[0-9a-f]{16}\.ada@example\.com$/);
    const assume = h.sts
      .calls()
      .filter((c) => c.operation === 'AssumeRole')
      .at(-1);
    expect(assume?.params).toMatchObject({
      RoleArn: cloud.functionEnv('AuthenticatorFunction').LOGIN_ROLE_ARN_VIEWER,
      RoleSessionName: sessionOf('ada@example.com'),
      SourceIdentity: sessionOf('ada@example.com'),
    });
  }, 60_000);

  it('unions group grants: a data-eng member gets User, and the highest role when none is asked', async () => {
    const jar = new CookieJar();
    const response = await signIn(jar, loginPath('prod'), 'ada@example.com', ['data-eng']);
    expect(response.status).toBe(302);
    expect((await enterAirflow(response.headers.get('location') ?? '')).role).toBe('User');
  }, 60_000);

  it('honours a wildcard grant on every environment', async () => {
    const jar = new CookieJar();
    const response = await signIn(jar, loginPath('dev', 'Op'), 'bo@example.com', ['platform']);
    expect(response.status).toBe(302);
    expect(await enterAirflow(response.headers.get('location') ?? '')).toEqual({
      user: `assumed-role/mwaa-ops-sso-Op/${sessionOf('bo@example.com')}`.slice(0, 64),
      role: 'Op',
    });
  }, 60_000);

  it('answers 403 to a user without a grant and to role escalation attempts', async () => {
    const nobody = await signIn(new CookieJar(), loginPath('prod'), 'eve@example.com');
    expect(nobody.status).toBe(403);
    const jar = new CookieJar();
    expect((await signIn(jar, loginPath('prod', 'Admin'), 'ada@example.com')).status).toBe(403);
    for (const role of ['Op', 'admin', 'Viewer%2CAdmin']) {
      const response = await jar.fetch(`${h.alb.url}${loginPath('prod', role)}`);
      expect([400, 403]).toContain(response.status);
      expect(response.headers.get('location')).toBeNull();
    }
    // ada holds Viewer on prod but nothing on dev.
    expect((await jar.fetch(`${h.alb.url}${loginPath('dev', 'Viewer')}`)).status).toBe(403);
  }, 60_000);

  it("never lets a look-alike address inherit another person's grant (Kelvin sign)", async () => {
    // kate@example.com holds Admin on dev; U+212A lower-cases to "k" with toLowerCase().
    const lookAlike = '\u212Aate@example.com';
    const response = await signIn(new CookieJar(), loginPath('dev', 'Admin'), lookAlike);
    expect(response.status).toBe(401);
    expect(response.headers.get('location')).toBeNull();
    const refused = await cli('rbac', 'grant', '--user', lookAlike, '--env', 'dev', '--role', 'Viewer');
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('compatibility characters');
    const genuine = await signIn(new CookieJar(), loginPath('dev', 'Admin'), 'kate@example.com');
    expect(genuine.status).toBe(302);
  }, 60_000);

  it('stops honouring a grant once it has expired', async () => {
    const jar = new CookieJar();
    const before = await signIn(jar, loginPath('prod', 'Admin'), 'temp@example.com');
    expect(before.status).toBe(302);
    // Re-grant with an expiry that has already passed, as DynamoDB TTL deletion may lag.
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const { DynamoDBDocumentClient, PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: h.env.AWS_ENDPOINT_URL_DYNAMODB,
        region: 'us-east-1',
        credentials: { accessKeyId: h.env.AWS_ACCESS_KEY_ID!, secretAccessKey: h.env.AWS_SECRET_ACCESS_KEY! },
      }),
    );
    await doc.send(
      new PutCommand({
        TableName: h.rbacTableName,
        Item: {
          principal: 'user#temp@example.com',
          environment: 'env#prod',
          roles: new Set(['Admin']),
          expiresAt: Math.floor(Date.now() / 1000) - 1,
        },
      }),
    );
    doc.destroy();
    expect((await jar.fetch(`${h.alb.url}${loginPath('prod', 'Admin')}`)).status).toBe(403);
  }, 60_000);

  it('answers 404 for an environment that does not exist, even with a wildcard grant', async () => {
    const response = await signIn(new CookieJar(), loginPath('missing-env', 'Op'), 'bo@example.com', [
      'platform',
    ]);
    expect(response.status).toBe(404);
  }, 60_000);

  it('lists the environments and roles on the landing page', async () => {
    const response = await signIn(new CookieJar(), '/', 'ada@example.com', ['data-eng', 'platform']);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('data-env="prod"');
    expect(html).toContain('href="/aws_mwaa/aws-console-sso?mwaa_env=prod&amp;rbac_role=Op"');
    expect(html).toContain('id="any-environment"');
  }, 60_000);

  it('logs out by expiring every session cookie shard, without authentication', async () => {
    const jar = new CookieJar();
    const groups = Array.from({ length: 300 }, (_, i) => `team-${String(i).padStart(4, '0')}`);
    expect((await signIn(jar, '/', 'many@example.com', groups)).status).toBe(200);
    const shards = [...jar.cookies.keys()].filter((name) => name.startsWith('AWSELBAuthSessionCookie-'));
    expect(shards.length).toBeGreaterThanOrEqual(2);
    const logout = await jar.fetch(`${h.alb.url}/logout`);
    expect(logout.status).toBe(200);
    expect(await logout.text()).toContain('id="signed-out"');
    expect([...jar.cookies.keys()].filter((name) => name.startsWith('AWSELBAuthSessionCookie-'))).toEqual([]);
    // The session is gone: the landing page sends the browser to the IdP again.
    const after = await jar.fetch(`${h.alb.url}/`);
    expect(after.status).toBe(302);
    expect(after.headers.get('location')).toContain(`${h.alb.idpUrl}/authorize`);
  }, 60_000);

  it('answers the health check without a session', async () => {
    const response = await fetch(`${h.alb.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
  });

  it('writes one audit line per decision and never a token, cookie or credential', () => {
    const audit = h.audit();
    expect(audit.length).toBeGreaterThanOrEqual(10);
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'login',
        outcome: 'allowed',
        user: 'ada@example.com',
        environment: 'prod',
        role: 'Viewer',
      }),
    );
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'login',
        outcome: 'denied',
        user: 'eve@example.com',
        reason: 'no-grant',
      }),
    );
    const text = h.logLines.join('\n');
    for (const secret of ['AWSELBAuthSessionCookie-0=', 'eyJ', 'ASIA', 'IQoJb3JpZ2luX2Vj', 'web-']) {
      expect(text).not.toContain(secret);
    }
  });

  it('lists the grants with the CLI', async () => {
    const { code, out } = await cli('--output', 'json', 'rbac', 'list', '--env', 'prod');
    expect(code).toBe(0);
    const principals = (JSON.parse(out) as Array<{ principal: string }>).map((g) => g.principal).sort();
    expect(principals).toEqual(['group#data-eng', 'user#ada@example.com', 'user#temp@example.com']);
  });
});
