/**
 * The MWAA web login in a real browser: the token travels in the URL fragment, which only the
 * landing page's script can read, so this is the one place that proves the page works.
 * Needs Debian's chromium (`/usr/bin/chromium`, or CHROMIUM_PATH).
 */
import {
  CreateEnvironmentCommand,
  CreateWebLoginTokenCommand,
  GetEnvironmentCommand,
  MWAAClient,
} from '@aws-sdk/client-mwaa';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Browser, chromium } from 'playwright-core';
import { webServerUrl } from '../../../functions/shared/web-server-url.ts';
import { CHROMIUM_ARGS, chromiumPath } from '../../../test/helpers/chromium.ts';
import { createClock } from '../../core/clock.ts';
import { createFaultRegistry } from '../../core/faults.ts';
import type { Targets } from '../../core/model.ts';
import type { ServiceContext } from '../../core/service.ts';
import { type MwaaHandle, startMwaa } from '../../mwaa/index.ts';

const noop = async () => undefined;
const targets: Targets = {
  invokeFunction: noop,
  startExecution: async () => 'arn',
  publish: noop,
  sendMessage: noop,
  putEvents: noop,
  deliver: noop,
};
const ctx: ServiceContext = {
  clock: createClock(2000),
  faults: createFaultRegistry(),
  region: 'us-east-1',
  accountId: '123456789012',
  log: () => undefined,
};

let mwaa: MwaaHandle;
let client: MWAAClient;
let browser: Browser;

beforeAll(async () => {
  const executablePath = chromiumPath();
  mwaa = await startMwaa(ctx, {
    targets,
    identityForAccessKey: () => 'arn:aws:sts::123456789012:assumed-role/browser-env-User/dana@example.com',
  });
  client = new MWAAClient({
    endpoint: mwaa.url,
    disableHostPrefix: true,
    credentials: { accessKeyId: 'ASIADANA', secretAccessKey: 'x' },
    region: 'us-east-1',
    maxAttempts: 1,
  });
  await client.send(
    new CreateEnvironmentCommand({
      Name: 'browser-env',
      ExecutionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      SourceBucketArn: 'arn:aws:s3:::dags',
      DagS3Path: 'dags',
      NetworkConfiguration: { SubnetIds: ['a', 'b'], SecurityGroupIds: ['sg'] },
    }),
  );
  for (let i = 0; i < 200; i += 1) {
    const { Environment } = await client.send(new GetEnvironmentCommand({ Name: 'browser-env' }));
    if (Environment?.Status === 'AVAILABLE') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  mwaa.airflow('browser-env').addDag('hello_dag');
  // A plain browser: each page gets its own cookie jar (the reused-token check needs a fresh one).
  browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  client?.destroy();
  await mwaa?.close();
  ctx.clock.dispose();
});

describe('MWAA web login in a browser', () => {
  it('signs in from the #token URL and shows the user, role and DAGs', async () => {
    const login = await client.send(new CreateWebLoginTokenCommand({ Name: 'browser-env' }));
    const page = await browser.newPage();
    const url = `${webServerUrl(login.WebServerHostname as string)}/aws_mwaa/aws-console-sso?login=true#${login.WebToken}`;
    await page.goto(url);
    await page.waitForURL(/\/home$/);
    expect(await page.textContent('#user')).toBe('assumed-role/browser-env-User/dana@example.com');
    expect(await page.textContent('#role')).toBe('User');
    expect(await page.textContent('#dags')).toContain('hello_dag');

    // The same token a second time is refused.
    const again = await browser.newPage();
    await again.goto(url);
    await again.waitForSelector('#reason');
    expect(await again.textContent('#reason')).toContain('used');
  }, 30_000);
});
