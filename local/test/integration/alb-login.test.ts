/**
 * Browser test: headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser) logs
 * in through the local ALB and its identity provider and lands on a page rendered by a fake
 * target function from the forwarded `x-amzn-oidc-data` token.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { importSPKI, jwtVerify } from 'jose';
import type { BrowserContext } from 'playwright-core';
import {
  decodeJson,
  eventHeader,
  type FakeFunction,
  fakeTargets,
  testContext,
} from '../../../test/helpers/alb-fakes.ts';
import { launchProfileBrowser } from '../../../test/helpers/chromium.ts';
import { escapeHtml } from '../../alb/html.ts';
import { type AlbHandle, startAlb } from '../../alb/index.ts';

const ALB_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/mwaa-ops/50dc6c495c0c9188';
/** Echo the signed-in user from the token payload, escaped, as a target function would. */
const whoAmI: FakeFunction = (event) => {
  const token = eventHeader(event, 'x-amzn-oidc-data');
  const claims = token ? decodeJson(token.split('.')[1] ?? '') : {};
  const groups = Array.isArray(claims.groups) ? claims.groups.length : 0;
  return {
    statusCode: 200,
    statusDescription: '200 OK',
    multiValueHeaders: { 'Content-Type': ['text/html; charset=utf-8'] },
    body:
      '<!doctype html><html><head><title>Signed in</title></head><body>' +
      `<p id="email">${escapeHtml(claims.email ?? 'nobody')}</p><p id="groups">${groups}</p></body></html>`,
    isBase64Encoded: false,
  };
};

describe('ALB login in a browser', () => {
  const ctx = testContext();
  const targets = fakeTargets({ AppFunction: whoAmI });
  let alb: AlbHandle;
  let chromium: Awaited<ReturnType<typeof launchProfileBrowser>>;
  let browser: BrowserContext;

  beforeAll(async () => {
    alb = await startAlb(ctx, {
      targets,
      albArn: ALB_ARN,
      clientId: 'mwaa-ops-local',
      rules: [{ priority: 10, pathPatterns: ['/*'], authenticate: true, targetFunction: 'AppFunction' }],
      users: [{ email: 'ada@example.com', name: 'Ada', groups: ['data-eng'] }],
    });
    chromium = await launchProfileBrowser();
    browser = chromium.browser;
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await alb?.close();
    ctx.clock.dispose();
  }, 30_000);

  it('goes from the listener to the IdP login page and back to the target as the chosen user', async () => {
    const page = await browser.newPage();
    await page.goto(`${alb.url}/aws_mwaa/landing?env=demo`);
    expect(page.url().startsWith(`${alb.idpUrl}/authorize?`)).toBe(true);
    await page.getByRole('button', { name: 'Sign in as ada@example.com' }).click();
    await page.waitForURL(`${alb.url}/aws_mwaa/landing?env=demo`);
    expect(await page.locator('#email').textContent()).toBe('ada@example.com');

    const event = targets.invocations.at(-1)?.event ?? {};
    const token = eventHeader(event, 'x-amzn-oidc-data') ?? '';
    const kid = String(decodeJson(token.split('.')[0] ?? '').kid);
    const key = await importSPKI(await (await fetch(`${alb.publicKeyEndpoint}/${kid}`)).text(), 'ES256');
    const { payload } = await jwtVerify(token, key, { algorithms: ['ES256'], issuer: alb.idpUrl });
    expect(payload.email).toBe('ada@example.com');
    await page.close();
  }, 60_000);

  it('signs in a typed-in user with many groups, whose session the browser keeps in several cookie shards', async () => {
    await browser.clearCookies();
    const page = await browser.newPage();
    await page.goto(`${alb.url}/`);
    const groups = Array.from({ length: 300 }, (_, i) => `team-${String(i).padStart(4, '0')}`).join(', ');
    await page.fill('#email', 'grace+ops@example.com');
    await page.fill('#groups', groups);
    await page.click('#sign-in');
    await page.waitForURL(`${alb.url}/`);
    expect(await page.locator('#email').textContent()).toBe('grace+ops@example.com');
    expect(await page.locator('#groups').textContent()).toBe('300');
    const shards = (await browser.cookies(alb.url)).filter((c) =>
      c.name.startsWith('AWSELBAuthSessionCookie-'),
    );
    expect(shards.length).toBeGreaterThanOrEqual(2);

    // The session survives a reload: the browser sends every shard back.
    await page.reload();
    expect(page.url()).toBe(`${alb.url}/`);
    expect(await page.locator('#groups').textContent()).toBe('300');
    await page.close();
  }, 60_000);
});
