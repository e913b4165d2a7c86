/**
 * Headless Chromium for the browser tests: Debian's binary (`/usr/bin/chromium`, or
 * CHROMIUM_PATH), never a downloaded browser, with the flags this sandboxed machine needs
 * (no sandbox as root; no background networking, whose connections the closed network refuses).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The Chromium binary; fails with a message that says how to get one. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`Chromium not found at ${path}; install Debian's chromium or set CHROMIUM_PATH`);
  }
  return path;
}

/** A browser with a fresh, empty profile (one cookie jar for all its pages); `close` removes the profile. */
export async function launchProfileBrowser(): Promise<{ browser: BrowserContext; close(): Promise<void> }> {
  const executablePath = chromiumPath();
  const profile = await mkdtemp(join(tmpdir(), 'mwaa-ops-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    browser,
    async close() {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
