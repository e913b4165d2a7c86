/**
 * Browser SSO in headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH) on the local
 * cloud: sign in at the local IdP through the local ALB (AuthenticatorFunction's bundle behind it), pick an environment and role on the authenticator's
 * landing page, and land in the Airflow UI as that person with that role. The MWAA web token
 * travels in the URL fragment, which only a browser running the landing page's script follows.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BrowserContext, Page } from 'playwright-core';
import { sessionNameFor } from '../../../functions/authenticator/identity.ts';
import { subjectFor } from '../../../local/alb/idp.ts';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import { launchProfileBrowser } from '../../helpers/chromium.ts';
import { runCliOnCloud } from '../../helpers/cli-run.ts';
import { createAvailableEnvironment } from '../../helpers/environments.ts';

let cloud: LocalCloud;
/** The local cloud's parts these tests use. */
const h = {
  get alb() {
    return cloud.alb;
  },
  get mwaa() {
    return cloud.mwaa;
  },
};
let chromium: Awaited<ReturnType<typeof launchProfileBrowser>>;
let browser: BrowserContext;

async function grant(...args: string[]) {
  const { code, stderr } = await runCliOnCloud(cloud, ['rbac', 'grant', ...args]);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
}

async function signIn(page: Page, email: string, groups = '') {
  await page.goto(`${h.alb.url}/`);
  expect(page.url().startsWith(`${h.alb.idpUrl}/authorize?`)).toBe(true);
  await page.fill('#email', email);
  await page.fill('#groups', groups);
  await page.click('#sign-in');
  await page.waitForURL(`${h.alb.url}/`);
}

beforeAll(async () => {
  cloud = await startLocalCloud({ clockSpeed: 2000 });
  await createAvailableEnvironment(cloud, 'analytics', '2.10.3');
  h.mwaa.airflow('analytics').addDag('daily_report');
  await grant('--user', 'dana@example.com', '--env', 'analytics', '--role', 'Viewer');
  await grant('--group', 'analysts', '--env', 'analytics', '--role', 'User');
  chromium = await launchProfileBrowser();
  browser = chromium.browser;
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await cloud?.stop();
}, 30_000);

describe('SSO login in a browser', () => {
  it('signs in through the ALB, picks a role on the landing page and lands in Airflow as that user and role', async () => {
    const page = await browser.newPage();
    await signIn(page, 'dana@example.com', 'analysts');
    expect(await page.textContent('#user')).toBe('dana@example.com');
    const links = page.locator('li[data-env="analytics"] a');
    expect(await links.allTextContents()).toEqual(['User', 'Viewer']);

    await page.click('li[data-env="analytics"] a[data-role="Viewer"]');
    await page.waitForURL(/\/home$/);
    const session = sessionNameFor({
      email: 'dana@example.com',
      issuer: cloud.functionEnv('AuthenticatorFunction').OIDC_ISSUER ?? '',
      subject: subjectFor('dana@example.com'),
    });
    // MWAA cuts Airflow user names at 64 characters; the session name starts with its hash.
    expect(await page.textContent('#user')).toBe(`assumed-role/mwaa-ops-sso-Viewer/${session}`.slice(0, 64));
    expect(await page.textContent('#role')).toBe('Viewer');
    expect(await page.textContent('#dags')).toContain('daily_report');
    await page.close();
  }, 60_000);

  it('does not log in or out from a link on another site until the person confirms', async () => {
    await browser.clearCookies();
    const page = await browser.newPage();
    await signIn(page, 'dana@example.com');
    // Another site: the ALB's address with the other loopback name (a different host is a different site).
    const alb = new URL(h.alb.url);
    const otherHost = alb.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
    const login = `${h.alb.url}/aws_mwaa/aws-console-sso?mwaa_env=analytics&rbac_role=Viewer`;
    const attacker: Server = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<a id="login" href="${login}">win</a> <a id="logout" href="${h.alb.url}/logout">x</a>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, otherHost, resolve));
    const attackerUrl = `http://${otherHost}:${(attacker.address() as AddressInfo).port}/`;
    try {
      // Every login the authenticator performs is one `allowed` audit line.
      const logins = () =>
        cloud
          .logs('AuthenticatorFunction')
          .filter((line) => line.includes('"sso.audit"') && line.includes('"action":"login"'))
          .map((line) => (JSON.parse(line) as { audit: { outcome: string } }).audit.outcome);
      const allowed = () => logins().filter((outcome) => outcome === 'allowed').length;
      const before = allowed();
      await page.goto(attackerUrl);
      await page.click('#login');
      await page.waitForURL(login);
      expect(await page.textContent('#confirm')).toContain('analytics');
      expect(allowed()).toBe(before);
      expect(logins().at(-1)).toBe('confirm');
      await page.click('#continue');
      await page.waitForURL(/\/home$/);
      expect(await page.textContent('#role')).toBe('Viewer');
      expect(allowed()).toBe(before + 1);

      await page.goto(attackerUrl);
      await page.click('#logout');
      await page.waitForURL(`${h.alb.url}/logout`);
      expect(await page.textContent('#confirm')).toContain('sign out');
      const shards = async () =>
        (await browser.cookies(h.alb.url)).filter((c) => c.name.startsWith('AWSELBAuthSessionCookie-'));
      expect((await shards()).length).toBeGreaterThan(0);
      await page.click('#continue');
      expect(await page.textContent('#signed-out')).toContain('signed out');
      expect(await shards()).toEqual([]);
    } finally {
      attacker.closeAllConnections(); // Chromium keeps connections alive; close() would wait for them
      await new Promise((resolve) => attacker.close(resolve));
      await page.close();
    }
  }, 60_000);

  it('shows a 403 page to a signed-in user without a grant, and signs out', async () => {
    await browser.clearCookies();
    const page = await browser.newPage();
    await signIn(page, 'mallory@example.com');
    expect(await page.textContent('#no-access')).toContain('no access');
    const denied = await page.goto(
      `${h.alb.url}/aws_mwaa/aws-console-sso?mwaa_env=analytics&rbac_role=Admin`,
    );
    expect(denied?.status()).toBe(403);
    expect(await page.textContent('#message')).toContain('no access');

    await page.goto(`${h.alb.url}/logout`);
    expect(await page.textContent('#signed-out')).toContain('signed out');
    const shards = (await browser.cookies(h.alb.url)).filter((c) =>
      c.name.startsWith('AWSELBAuthSessionCookie-'),
    );
    expect(shards).toEqual([]);
    await page.close();
  }, 60_000);
});
