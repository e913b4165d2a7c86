/**
 * Login and logout change state (AssumeRole + a web login token; expired session cookies), so a
 * request another site started must not perform them by itself: it gets a page with a
 * same-origin link instead. Pages also carry HSTS.
 */
import { describe, expect, it } from '@jest/globals';
import type { AuditEntry } from '../../../../functions/authenticator/audit.ts';
import { createRouter, fromAnotherSite } from '../../../../functions/authenticator/routes.ts';
import { albEvent, fakeLogin, fakeRbac, NOW_MS } from '../../../helpers/sso-fakes.ts';

function router() {
  const audit: AuditEntry[] = [];
  const login = fakeLogin();
  const route = createRouter({
    verifier: { verify: async () => ({ email: 'ada@example.com', groups: [] }) },
    rbac: fakeRbac([{ principal: 'user#ada@example.com', environment: 'env#prod', roles: ['Admin'] }]),
    login,
    audit: { record: (entry) => audit.push(entry) },
    sessionCookieName: 'AWSELBAuthSessionCookie',
    logoutUrl: undefined,
    now: () => NOW_MS,
  });
  return { route, audit, login };
}

const loginQuery = { mwaa_env: ['prod'], rbac_role: ['Admin'] };
const site = (value: string) => ({ 'sec-fetch-site': [value] });

describe('Function: fromAnotherSite', () => {
  it.each([
    [{}, false],
    [site('same-origin'), false],
    [site('none'), false],
    [site('cross-site'), true],
    [site('same-site'), true],
    [{ origin: ['https://evil.example'], host: ['airflow.example.com'] }, true],
    [{ origin: ['null'], host: ['airflow.example.com'] }, true],
    [{ origin: ['https://airflow.example.com'], host: ['airflow.example.com'] }, false],
    // Sec-Fetch-Site wins over Origin: browsers that send it compute it over redirects too.
    [{ ...site('same-origin'), origin: ['https://evil.example'], host: ['airflow.example.com'] }, false],
  ])('%j -> %s', (headers, expected) => {
    expect(fromAnotherSite(albEvent('/', { headers }))).toBe(expected);
  });
});

describe('Function: authenticator routes from another site', () => {
  it('asks before logging in when another site sent the browser, and logs in when the link is followed', async () => {
    const { route, login, audit } = router();
    const crossSite = await route(
      albEvent('/aws_mwaa/aws-console-sso', { token: 't', query: loginQuery, headers: site('cross-site') }),
    );
    expect(crossSite.statusCode).toBe(200);
    expect(crossSite.body).toContain('id="confirm"');
    expect(crossSite.body).toContain('href="/aws_mwaa/aws-console-sso?mwaa_env=prod&amp;rbac_role=Admin"');
    expect(login.calls).toEqual([]);
    expect(audit.at(-1)).toMatchObject({ action: 'login', outcome: 'confirm', reason: 'cross-site' });

    const followed = await route(
      albEvent('/aws_mwaa/aws-console-sso', { token: 't', query: loginQuery, headers: site('same-origin') }),
    );
    expect(followed.statusCode).toBe(302);
    expect(login.calls).toEqual([{ email: 'ada@example.com', environment: 'prod', role: 'Admin' }]);
  });

  it('still refuses a bad link from another site with the usual error, not a confirmation', async () => {
    const { route, login } = router();
    const response = await route(
      albEvent('/aws_mwaa/aws-console-sso', {
        token: 't',
        query: { mwaa_env: ['<x>'] },
        headers: site('cross-site'),
      }),
    );
    expect(response.statusCode).toBe(400);
    expect(login.calls).toEqual([]);
  });

  it('does not sign out on a request from another site, and does on the confirmation link', async () => {
    const { route } = router();
    const cookie = { cookie: ['AWSELBAuthSessionCookie-0=abc'] };
    const crossSite = await route(albEvent('/logout', { headers: { ...cookie, ...site('cross-site') } }));
    expect(crossSite.statusCode).toBe(200);
    expect(crossSite.multiValueHeaders['Set-Cookie']).toBeUndefined();
    expect(crossSite.body).toContain('id="continue" href="/logout"');

    const confirmed = await route(albEvent('/logout', { headers: { ...cookie, ...site('same-origin') } }));
    expect(confirmed.multiValueHeaders['Set-Cookie']).toContain(
      'AWSELBAuthSessionCookie-0=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; HttpOnly',
    );
  });

  it('sends HSTS on every page', async () => {
    const { route } = router();
    for (const event of [
      albEvent('/', { token: 't' }),
      albEvent('/logout'),
      albEvent('/aws_mwaa/aws-console-sso', { token: 't', query: loginQuery }),
      albEvent('/nowhere'),
    ]) {
      expect((await route(event)).multiValueHeaders['Strict-Transport-Security']).toEqual([
        'max-age=31536000',
      ]);
    }
  });
});
