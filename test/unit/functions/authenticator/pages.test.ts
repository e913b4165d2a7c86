import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import type { AuditEntry } from '../../../../functions/authenticator/audit.ts';
import { TokenRejectedError } from '../../../../functions/authenticator/errors.ts';
import { escapeHtml, expireSessionCookies, landingPage } from '../../../../functions/authenticator/pages.ts';
import { createRouter } from '../../../../functions/authenticator/routes.ts';
import { albEvent, fakeLogin, fakeRbac, NOW_MS } from '../../../helpers/sso-fakes.ts';

const XSS = '<script>alert(1)</script>"\'`&';

function router(logoutUrl?: string) {
  const audit: AuditEntry[] = [];
  const rbac = fakeRbac([
    { principal: 'user#ada@example.com', environment: `env#${XSS}`, roles: ['Viewer'] },
    { principal: 'user#ada@example.com', environment: 'env#prod', roles: ['User', 'Viewer'] },
  ]);
  const route = createRouter({
    // Accepts any token; a missing header is refused, as the real verifier refuses it.
    verifier: {
      verify: async (token) => {
        if (token === undefined) throw new TokenRejectedError('missing-token');
        return { email: 'ada@example.com', groups: [] };
      },
    },
    rbac,
    login: fakeLogin(),
    audit: { record: (entry) => audit.push(entry) },
    sessionCookieName: 'AWSELBAuthSessionCookie',
    logoutUrl,
    now: () => NOW_MS,
  });
  return { route, audit, rbac };
}

describe('Function: escapeHtml', () => {
  it('escapes every character that can end an element or an attribute', () => {
    expect(escapeHtml(XSS)).toBe('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&#96;&amp;');
  });
});

describe('Function: landingPage', () => {
  it('escapes environment names from the table and encodes them in links', () => {
    const html = landingPage('ada@example.com', new Map([[XSS, ['Viewer' as const]]]));
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('mwaa_env=%3Cscript%3Ealert(1)%3C%2Fscript%3E');
  });

  it('offers a form for wildcard grants and says so when there is no access', () => {
    expect(landingPage('a@b.c', new Map([['*', ['Op' as const]]]))).toContain('id="any-environment"');
    expect(landingPage('a@b.c', new Map())).toContain('id="no-access"');
  });
});

describe('Function: authenticator routes', () => {
  it('lists the environments with one login link per role', async () => {
    const { route } = router();
    const response = await route(albEvent('/', { token: 't' }));
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('href="/aws_mwaa/aws-console-sso?mwaa_env=prod&amp;rbac_role=User"');
    expect(response.body).toContain('href="/aws_mwaa/aws-console-sso?mwaa_env=prod&amp;rbac_role=Viewer"');
    expect(response.body).not.toContain('<script>alert');
  });

  it('reflects nothing from the request into error pages', async () => {
    const { route } = router();
    const queries: Array<Record<string, string[]>> = [
      { mwaa_env: [encodeURIComponent(XSS)] },
      { mwaa_env: ['prod'], rbac_role: [XSS] },
    ];
    for (const query of queries) {
      const response = await route(albEvent('/aws_mwaa/aws-console-sso', { token: 't', query }));
      expect(response.statusCode).toBe(400);
      expect(response.body).not.toContain('script');
      expect(response.multiValueHeaders['Content-Type']).toEqual(['text/html; charset=utf-8']);
      expect(response.multiValueHeaders['Content-Security-Policy']?.[0]).toContain("default-src 'none'");
    }
  });

  it('expires every session cookie shard on logout, the standard four and any others sent', async () => {
    const { route, rbac, audit } = router();
    const response = await route(
      albEvent('/logout', {
        headers: {
          cookie: [
            'AWSELBAuthSessionCookie-0=a; AWSELBAuthSessionCookie-5=b; other=c',
            'AWSELBAuthSessionCookie-11=d',
          ],
        },
      }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('id="signed-out"');
    const names = (response.multiValueHeaders['Set-Cookie'] ?? []).map((line) => line.split('=')[0]);
    expect(names).toEqual([
      'AWSELBAuthSessionCookie-0',
      'AWSELBAuthSessionCookie-1',
      'AWSELBAuthSessionCookie-11',
      'AWSELBAuthSessionCookie-2',
      'AWSELBAuthSessionCookie-3',
      'AWSELBAuthSessionCookie-5',
    ]);
    for (const line of response.multiValueHeaders['Set-Cookie'] ?? []) {
      expect(line).toContain('Max-Age=0');
      expect(line).toContain('Path=/');
    }
    expect(rbac.calls).toEqual([]);
    expect(audit).toEqual([expect.objectContaining({ action: 'logout', outcome: 'signed-out' })]);
  });

  it('redirects to the IdP logout URL when configured, with Secure cookies behind HTTPS', async () => {
    const { route } = router('https://idp.example.com/logout?client_id=x');
    const response = await route(albEvent('/logout', { headers: { 'x-forwarded-proto': ['https'] } }));
    expect(response.statusCode).toBe(302);
    expect(response.multiValueHeaders.Location).toEqual(['https://idp.example.com/logout?client_id=x']);
    expect(response.multiValueHeaders['Set-Cookie']).toHaveLength(4);
    expect(response.multiValueHeaders['Set-Cookie']?.every((line) => line.endsWith('; Secure'))).toBe(true);
  });

  it('ignores cookies that only look like shards', () => {
    const lines = expireSessionCookies(
      ['AWSELBAuthSessionCookie-x=1; AWSELBAuthSessionCookie-0a=2'],
      'AWSELBAuthSessionCookie',
      false,
    );
    expect(lines).toHaveLength(4);
  });

  it('answers the health check without a token, 404 elsewhere and 405 for other methods', async () => {
    const { route, rbac } = router();
    expect(await route(albEvent('/health'))).toMatchObject({ statusCode: 200, body: 'ok' });
    expect((await route(albEvent('/admin', { token: 't' }))).statusCode).toBe(404);
    expect((await route(albEvent('/', { token: 't', method: 'POST' }))).statusCode).toBe(405);
    expect(rbac.calls).toEqual([]);
  });

  it('turns an unexpected failure into a generic 502 without details', async () => {
    const audit: AuditEntry[] = [];
    const unexpected: Array<{ name: string }> = [];
    const route = createRouter({
      verifier: { verify: async () => ({ email: 'ada@example.com', groups: [] }) },
      rbac: {
        getMany: async () => {
          throw new Error('secret-ish internal detail');
        },
        listByPrincipal: async () => [],
      },
      login: fakeLogin(),
      audit: { record: (entry) => audit.push(entry) },
      sessionCookieName: 'AWSELBAuthSessionCookie',
      logoutUrl: undefined,
      onUnexpected: (error) => unexpected.push(error),
    });
    const response = await route(
      albEvent('/aws_mwaa/aws-console-sso', { token: 't', query: { mwaa_env: ['prod'] } }),
    );
    expect(response.statusCode).toBe(502);
    expect(response.body).not.toContain('secret-ish');
    expect(unexpected).toHaveLength(1);
    expect(audit[0]).toMatchObject({ outcome: 'error', reason: 'unexpected', user: 'ada@example.com' });
  });

  it.each([
    ['events/alb/sso-health.json', 200],
    ['events/alb/sso-login-unsigned.json', 401],
  ])('answers the sample event %s with %i', async (file, status) => {
    const { route, rbac } = router();
    const event = JSON.parse(readFileSync(new URL(`../../../../${file}`, import.meta.url), 'utf8'));
    expect((await route(event)).statusCode).toBe(status);
    expect(rbac.calls).toEqual([]);
  });
});
