/**
 * `npm start`: boot the local cloud from template.yaml and walk through what mwaa-ops does,
 * offline. Exits 0 only if every step did what it should.
 *
 *   npm start                   the walkthrough, then stop
 *   npm start -- --serve        the walkthrough, then keep running and print URLs to click through;
 *                               writes .mwaa-ops/local-cloud.json for `mwaa-ops --local ...`
 *   npm start -- --log          also print the local cloud's own log lines
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { webServerUrl } from '../functions/shared/web-server-url.ts';
import { type LocalCloud, startLocalCloud } from '../local/index.ts';
import { demoClients } from './clients.ts';
import { DEMO_ENVIRONMENT, environmentChapter } from './environment.ts';
import { createNarrator } from './narrator.ts';
import { pauseResumeChapter } from './pause-resume.ts';
import { ssoChapter } from './sso.ts';
import { triggeringChapter } from './triggering.ts';
import { upgradeChapter } from './upgrade.ts';

const { values } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    log: { type: 'boolean', default: false },
    speed: { type: 'string', default: '1500' },
  },
});

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const narrator = createNarrator();
const started = Date.now();

process.stdout.write(
  'mwaa-ops — offline walkthrough\n' +
    'Everything below runs on this machine: emulated S3, DynamoDB, Step Functions, SQS, SNS, EventBridge,\n' +
    'Scheduler, STS, MWAA with Airflow, and an ALB with an OIDC identity provider, all built from template.yaml.\n' +
    'The functions are the same bundles `sam build` deploys.\n',
);

let cloud: LocalCloud | undefined;
narrator.chapter(
  'The local cloud',
  'Reading template.yaml and starting an emulator per service on 127.0.0.1.',
);
await narrator.step('start the local cloud', async () => {
  cloud = await startLocalCloud({ clockSpeed: Number(values.speed), log: values.log });
  const m = cloud.model;
  return (
    `${m.functions.length} functions, ${m.tables.length} tables, ${m.buckets.length} buckets, ` +
    `${m.stateMachines.length} state machines, ${m.queues.length} queues, ${m.topics.length} topics — ready in ${cloud.startupMs} ms`
  );
});

if (cloud) {
  const clients = demoClients(cloud);
  await environmentChapter(cloud, clients, narrator);
  await triggeringChapter(cloud, clients, narrator);
  await ssoChapter(cloud, clients, narrator);
  await pauseResumeChapter(cloud, narrator);
  await upgradeChapter(cloud, clients, narrator);
}

const ok = narrator.summary();
process.stdout.write(`Wall time: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

if (values.serve && cloud) {
  const running = cloud;
  const file = join(root, '.mwaa-ops', 'local-cloud.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(running.connectionFile(), null, 2)}\n`);
  const airflowUrls = running.mwaa
    .environments()
    .map((e) => `  Airflow ${e.name} (${e.airflowVersion}): ${webServerUrl(e.webServerHostname)}`);
  process.stdout.write(
    [
      '',
      'The local cloud keeps running (Ctrl-C to stop).',
      `  ALB listener:        ${running.alb.url}/`,
      `  Identity provider:   ${running.alb.idpUrl}`,
      ...airflowUrls,
      `  CLI:                 npx mwaa-ops --local flows list   (reads ${file})`,
      '',
    ].join('\n'),
  );
  const stop = async () => {
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} else {
  await cloud?.stop();
  process.exit(ok ? 0 : 1);
}

export { DEMO_ENVIRONMENT };
