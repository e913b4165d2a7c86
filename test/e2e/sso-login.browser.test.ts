/**
 * Browser SSO in headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH) on the local
 * cloud: sign in at the local IdP through the local ALB (AuthenticatorFunction's bundle behind it), pick an environment and role on the authenticator's
 * landing page, and land in the Airflow UI as that person with that role. The MWAA web token
 * travels in the URL fragment, which only a browser running the landing page's script follows.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BrowserContext, Page } from 'playwright-core';
import { type LocalCloud, startLocalCloud } from '../../local/index.ts';
import { launchProfileBrowser } from '../helpers/chromium.ts';
import { runCliOnCloud } from '../helpers/cli-run.ts';
import { createAvailableEnvironment } from '../helpers/environments.ts';

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
    expect(await page.textContent('#user')).toBe('assumed-role/mwaa-ops-sso-Viewer/dana@example.com');
    expect(await page.textContent('#role')).toBe('Viewer');
    expect(await page.textContent('#dags')).toContain('daily_report');
    await page.close();
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
