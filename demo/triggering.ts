/** Chapter: a flow, an upload, the DAG run it started — exactly once. */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { validateFlow } from '../functions/shared/flows/model.ts';
import { createFlowRepository } from '../functions/shared/flows/repository.ts';
import type { LocalCloud } from '../local/index.ts';
import type { DemoClients } from './clients.ts';
import { DEMO_ENVIRONMENT } from './environment.ts';
import type { Narrator } from './narrator.ts';

export async function triggeringChapter(cloud: LocalCloud, clients: DemoClients, narrator: Narrator) {
  narrator.chapter(
    'Event-driven DAG triggering',
    'A flow in DynamoDB says which S3 objects start which DAG. S3 delivers events at least once; the run id makes it exactly once.',
  );
  const bucket = cloud.ref('LandingBucket');
  const airflow = () => cloud.airflow(DEMO_ENVIRONMENT);
  const key = 'sales/2026/Q4 report ü.csv';

  await narrator.step('deploy the DAG load_sales and put the flow "sales"', async () => {
    airflow().addDag('load_sales', { paused: false });
    const checked = validateFlow({
      flowId: 'sales',
      environment: DEMO_ENVIRONMENT,
      dagId: 'load_sales',
      conf: { input: '{{uri}}' },
      s3: [{ bucket, prefix: 'sales/', suffix: '.csv' }],
    });
    if (!checked.ok) throw new Error(checked.problems.join('; '));
    await createFlowRepository({ ddb: clients.ddb, tableName: cloud.ref('FlowsTable') }).put(checked.flow);
    return `flow sales: s3://${bucket}/sales/*.csv → ${DEMO_ENVIRONMENT}/load_sales`;
  });

  let runId = '';
  await narrator.step(`upload s3://${bucket}/${key}`, async () => {
    await clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'region,amount\nnorth,42\n' }),
    );
    await cloud.settled();
    const run = airflow()
      .dagRuns('load_sales')
      .find((r) => String(r.conf ?? '').includes('Q4 report'));
    if (!run) throw new Error('no DAG run was started for the upload');
    runId = String(run.run_id);
    const conf = typeof run.conf === 'string' ? JSON.parse(run.conf) : run.conf;
    return `S3 → S3DagTriggerFunction → InvokeRestApi: run ${runId}\nconf.input = ${conf.input}`;
  });

  await narrator.step('the same S3 event delivered again starts nothing new', async () => {
    const before = airflow().dagRuns('load_sales').length;
    const record = {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      eventTime: new Date(cloud.clock.now()).toISOString(),
      s3: {
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { key: 'sales/dup.csv', size: 1, sequencer: '00DEM0' },
      },
    };
    const first = await cloud.invoke('S3DagTriggerFunction', { Records: [record] });
    const second = await cloud.invoke('S3DagTriggerFunction', { Records: [record] });
    const after = airflow().dagRuns('load_sales').length;
    if (after !== before + 1) throw new Error(`expected one new run, got ${after - before}`);
    return `first delivery: ${JSON.stringify(first)}\nsecond delivery: ${JSON.stringify(second)}`;
  });

  await narrator.step('the DAG run completes', async () => {
    const done = await airflow().waitForRun('load_sales', runId);
    if (done.state !== 'success') throw new Error(`run ended ${String(done.state)}`);
    return `run ${runId}: ${String(done.state)}`;
  });
}
