import { beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditEntry } from '../../../../functions/authenticator/audit.ts';
import { accessOf, parseGrant, type RbacGrant, rolesFor } from '../../../../functions/authenticator/rbac.ts';
import { createRouter } from '../../../../functions/authenticator/routes.ts';
import type { TokenVerifier } from '../../../../functions/authenticator/token.ts';
import { albEvent, fakeLogin, fakeRbac, NOW_MS, NOW_S } from '../../../helpers/sso-fakes.ts';

const ada = { email: 'ada@example.com', groups: ['data-eng', 'on-call'] };

const grants: RbacGrant[] = [
  { principal: 'user#ada@example.com', environment: 'env#prod', roles: ['Viewer'] },
  { principal: 'group#data-eng', environment: 'env#prod', roles: ['User'] },
  { principal: 'group#on-call', environment: 'env#*', roles: ['Op'] },
  { principal: 'user#ada@example.com', environment: 'env#dev', roles: ['Admin'], expiresAt: NOW_S - 1 },
  { principal: 'user#ada@example.com', environment: 'env#stage', roles: ['Admin'], expiresAt: NOW_S + 3600 },
  // Look-alikes that must not match by substring or prefix.
  { principal: 'user#ada@example.com.evil', environment: 'env#prod', roles: ['Admin'] },
  { principal: 'group#data-eng-admins', environment: 'env#prod', roles: ['Admin'] },
  { principal: 'user#ada@example.com', environment: 'env#prod-2', roles: ['Admin'] },
];

describe('Function: rolesFor', () => {
  it('unions the user’s and the groups’ grants for the environment and for env#*', async () => {
    const store = fakeRbac(grants);
    expect(await rolesFor(store, ada, 'prod', NOW_S)).toEqual(['Op', 'User', 'Viewer']);
    expect(store.calls).toHaveLength(1);
    expect(store.calls[0]?.op).toBe('getMany');
  });

  it('asks for exactly the (principal, environment) keys of this person', async () => {
    const store = fakeRbac(grants);
    await rolesFor(store, ada, 'prod', NOW_S);
    const keys = store.calls[0]?.arg as Array<{ principal: string; environment: string }>;
    expect(keys.map((k) => `${k.principal} ${k.environment}`).sort()).toEqual([
      'group#data-eng env#*',
      'group#data-eng env#prod',
      'group#on-call env#*',
      'group#on-call env#prod',
      'user#ada@example.com env#*',
      'user#ada@example.com env#prod',
    ]);
  });

  it('skips expired grants and keeps unexpired ones', async () => {
    const store = fakeRbac(grants);
    expect(await rolesFor(store, ada, 'dev', NOW_S)).toEqual(['Op']);
    expect(await rolesFor(store, ada, 'stage', NOW_S)).toEqual(['Admin', 'Op']);
  });

  it('gives nothing to someone without grants, and nothing from look-alike principals or environments', async () => {
    const store = fakeRbac(grants);
    expect(await rolesFor(store, { email: 'eve@example.com', groups: ['data'] }, 'prod', NOW_S)).toEqual([]);
    expect(await rolesFor(store, { email: 'ada@example.com', groups: [] }, 'prod', NOW_S)).toEqual([
      'Viewer',
    ]);
    expect(await rolesFor(store, { email: 'ada@example.com', groups: [] }, 'prod-', NOW_S)).toEqual([]);
  });

  it('ignores records a faulty store returns for keys it was not asked for', async () => {
    const store = fakeRbac();
    store.getMany = async () => [
      { principal: 'user#mallory@example.com', environment: 'env#prod', roles: ['Admin'] },
    ];
    expect(await rolesFor(store, ada, 'prod', NOW_S)).toEqual([]);
  });
});

describe('Function: parseGrant', () => {
  it('keeps only exact role names from a string set or a list', () => {
    const grant = parseGrant({
      principal: 'user#a@b.c',
      environment: 'env#x',
      roles: new Set(['Admin', 'admin', 'Administrator', 'Op ', 'Operator', 'PowerUser', 'Viewer']),
    });
    expect(grant?.roles).toEqual(['Admin', 'Viewer']);
    expect(parseGrant({ principal: 'p', environment: 'e', roles: ['User', 'Users'] })?.roles).toEqual([
      'User',
    ]);
  });

  it('reads expiresAt as epoch seconds or an ISO date, and fails closed on garbage', () => {
    expect(parseGrant({ principal: 'p', environment: 'e', roles: ['User'], expiresAt: 100 })?.expiresAt).toBe(
      100,
    );
    expect(
      parseGrant({ principal: 'p', environment: 'e', roles: ['User'], expiresAt: '1970-01-01T00:01:40Z' })
        ?.expiresAt,
    ).toBe(100);
    expect(
      parseGrant({ principal: 'p', environment: 'e', roles: ['User'], expiresAt: 'soon' }),
    ).toBeUndefined();
  });
});

describe('Function: accessOf', () => {
  it('lists each environment with its roles, wildcard roles added to each', async () => {
    const access = await accessOf(fakeRbac(grants), ada, NOW_S);
    expect(Object.fromEntries(access)).toEqual({
      '*': ['Op'],
      prod: ['Op', 'User', 'Viewer'],
      'prod-2': ['Admin', 'Op'],
      stage: ['Admin', 'Op'],
    });
  });
});

describe('Function: authenticator login authorization', () => {
  let verifier: TokenVerifier;
  beforeAll(() => {
    verifier = { verify: async () => ada };
  });

  function router() {
    const rbac = fakeRbac(grants);
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
    return { route, rbac, login, audit };
  }
  const loginEvent = (query: Record<string, string[]>) =>
    albEvent('/aws_mwaa/aws-console-sso', { token: 't', query });

  it('logs in with the requested role when it is held', async () => {
    const { route, login, audit } = router();
    const response = await route(loginEvent({ mwaa_env: ['prod'], rbac_role: ['User'] }));
    expect(response.statusCode).toBe(302);
    expect(response.multiValueHeaders.Location).toEqual([
      'https://airflow.example.com/aws_mwaa/aws-console-sso?login=true#token-for-User',
    ]);
    expect(response.multiValueHeaders['Cache-Control']).toEqual(['no-store']);
    expect(login.calls).toEqual([{ email: 'ada@example.com', environment: 'prod', role: 'User' }]);
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'login',
        outcome: 'allowed',
        user: 'ada@example.com',
        environment: 'prod',
        role: 'User',
        status: 302,
      }),
    ]);
  });

  it('picks the highest held role when none is requested', async () => {
    const { route, login } = router();
    expect((await route(loginEvent({ mwaa_env: ['prod'] }))).statusCode).toBe(302);
    expect(login.calls[0]?.role).toBe('Op');
  });

  it.each([
    ['Admin', 'role-not-granted'],
    ['admin', 'invalid-role'],
    ['Op,Admin', 'invalid-role'],
    ['AdminX', 'invalid-role'],
  ])('refuses the escalation attempt rbac_role=%s', async (role, reason) => {
    const { route, login, audit } = router();
    const response = await route(loginEvent({ mwaa_env: ['prod'], rbac_role: [role] }));
    expect(response.statusCode).toBe(reason === 'invalid-role' ? 400 : 403);
    expect(login.calls).toEqual([]);
    expect(audit[0]).toMatchObject({ outcome: 'denied', reason });
  });

  it('refuses a repeated role parameter instead of picking one', async () => {
    const { route, login } = router();
    const response = await route(loginEvent({ mwaa_env: ['prod'], rbac_role: ['Viewer', 'Admin'] }));
    expect(response.statusCode).toBe(400);
    expect(login.calls).toEqual([]);
  });

  it('answers 403 for an environment without a grant and 400 for a malformed name', async () => {
    const { route, rbac } = router();
    expect((await route(loginEvent({ mwaa_env: ['dev'], rbac_role: ['Admin'] }))).statusCode).toBe(403);
    const callsBefore = rbac.calls.length;
    expect((await route(loginEvent({ mwaa_env: ['../prod'] }))).statusCode).toBe(400);
    expect((await route(loginEvent({}))).statusCode).toBe(400);
    expect(rbac.calls.length).toBe(callsBefore);
  });

  it('URL-decodes parameters the ALB passes raw', async () => {
    const { route, login } = router();
    expect((await route(loginEvent({ mwaa_env: ['prod'], rbac_role: ['%55ser'] }))).statusCode).toBe(302);
    expect(login.calls[0]?.role).toBe('User');
  });
});
