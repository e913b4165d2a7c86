/**
 * Benchmark `triggering`: AWS/Airflow calls per triggered object and triggers per second through
 * one warm S3DagTriggerFunction (the real bundle, in its worker) on the local cloud, with a fixed
 * latency injected into every AWS call, next to a baseline that, like the published sample,
 * creates a CLI token and posts `dags trigger` to the CLI endpoint for every object.
 *
 * Calls are counted by the local cloud's emulators (every AWS API call passes the fault
 * registry); the baseline's CLI-endpoint POST, which no AWS API sees, is counted by hand.
 */
import { CreateCliTokenCommand } from '@aws-sdk/client-mwaa';
import { demoClients } from '../demo/clients.ts';
import { validateFlow } from '../functions/shared/flows/model.ts';
import { createFlowRepository } from '../functions/shared/flows/repository.ts';
import { webServerUrl } from '../functions/shared/web-server-url.ts';
import { type LocalCloud, startLocalCloud } from '../local/index.ts';
import { createAvailableEnvironment } from '../test/helpers/environments.ts';
import { formatMs } from './lib/format.ts';
import { summarize } from './lib/stats.ts';
import type { BenchResult } from './lib/types.ts';

export const name = 'triggering';

const LATENCY_MS = Number(process.env.BENCH_TRIGGER_LATENCY_MS ?? 20);
const TRIGGERS = Number(process.env.BENCH_TRIGGERS ?? 60);
const WARMUP = 5;
const ENV = 'bench-env';

function s3Event(bucket: string, key: string, sequencer: string) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        eventTime: new Date().toISOString(),
        s3: { bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key, size: 10, sequencer } },
      },
    ],
  };
}

const totalCalls = (calls: Readonly<Record<string, number>>) =>
  Object.values(calls).reduce((a, b) => a + b, 0);

async function measure(count: number, once: (i: number) => Promise<void>) {
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    const t0 = performance.now();
    await once(i);
    samples.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: count / seconds, latency: summarize(samples) };
}

export async function run(): Promise<BenchResult> {
  const cloud: LocalCloud = await startLocalCloud({ clockSpeed: 1000 });
  try {
    const clients = demoClients(cloud);
    await createAvailableEnvironment(cloud, ENV, '2.10.3');
    cloud.airflow(ENV).addDag('load', { paused: false });
    const bucket = cloud.ref('LandingBucket');
    const checked = validateFlow({
      flowId: 'bench',
      environment: ENV,
      dagId: 'load',
      s3: [{ bucket, prefix: 'in/' }],
    });
    if (!checked.ok) throw new Error(checked.problems.join('; '));
    await createFlowRepository({ ddb: clients.ddb, tableName: cloud.ref('FlowsTable') }).put(checked.flow);
    for (const service of ['mwaa', 'dynamodb', 'sqs', 'sts']) {
      cloud.faults.inject({
        service,
        operation: '*',
        error: 'Latency',
        delayMs: LATENCY_MS,
        times: Infinity,
      });
    }

    // mwaa-ops: the deployed handler, warm.
    for (let i = 0; i < WARMUP; i += 1) {
      await cloud.invoke('S3DagTriggerFunction', s3Event(bucket, `in/warm-${i}.csv`, `w${i}`));
    }
    cloud.faults.resetCalls();
    const ours = await measure(TRIGGERS, async (i) => {
      const out = (await cloud.invoke('S3DagTriggerFunction', s3Event(bucket, `in/${i}.csv`, `s${i}`))) as {
        triggered: number;
      };
      if (out.triggered !== 1) throw new Error(`trigger ${i} did not start a run: ${JSON.stringify(out)}`);
    });
    // The invocation itself is not a call the handler makes.
    const { 'lambda:Invoke': _invocations, ...ourCalls } = cloud.faults.calls();

    // Baseline: a CLI token per object, then the CLI endpoint (no run id, no idempotency).
    cloud.faults.resetCalls();
    let cliPosts = 0;
    const baseline = await measure(TRIGGERS, async (i) => {
      const token = await clients.mwaa.send(new CreateCliTokenCommand({ Name: ENV }));
      await new Promise((resolve) => setTimeout(resolve, LATENCY_MS));
      cliPosts += 1;
      const response = await fetch(`${webServerUrl(token.WebServerHostname ?? '')}/aws_mwaa/cli`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.CliToken}`, 'content-type': 'text/plain' },
        body: `dags trigger load -c '{"key": "in/baseline-${i}.csv"}'`,
      });
      const body = (await response.json()) as { stdout?: string };
      if (
        !Buffer.from(body.stdout ?? '', 'base64')
          .toString()
          .includes('load')
      )
        throw new Error('baseline trigger failed');
    });
    const baselineCalls = { ...cloud.faults.calls(), 'airflow:CliEndpoint': cliPosts };

    const ratio = ours.perSecond / baseline.perSecond;
    const row = (label: string, m: typeof ours, calls: Record<string, number>) => [
      label,
      m.perSecond.toFixed(1),
      formatMs(m.latency.median),
      formatMs(m.latency.p90),
      (totalCalls(calls) / TRIGGERS).toFixed(2),
      Object.entries(calls)
        .map(([k, v]) => `${k} ${(v / TRIGGERS).toFixed(2)}`)
        .join(', '),
    ];
    return {
      notes: [
        `${TRIGGERS} triggers per variant after ${WARMUP} warm-up triggers, ${LATENCY_MS} ms injected per AWS call, clock speed 1000.`,
        'mwaa-ops = the S3DagTriggerFunction bundle invoked in its warm worker (flows cached, DAG paused-state cached).',
        'Baseline = CreateCliToken + POST /aws_mwaa/cli per object, in the bench process (the published sample’s pattern).',
        `Throughput ratio mwaa-ops / baseline: ${ratio.toFixed(2)}×.`,
      ],
      tables: [
        {
          title: 'Triggers through one warm handler',
          columns: [
            'variant',
            'triggers/s',
            'median',
            'p90',
            'calls/trigger',
            'calls by operation (per trigger)',
          ],
          rows: [
            row('mwaa-ops', ours, ourCalls),
            row('baseline (CLI token per trigger)', baseline, baselineCalls),
          ],
        },
      ],
      data: {
        latencyMs: LATENCY_MS,
        triggers: TRIGGERS,
        ours: { ...ours, calls: ourCalls, callsPerTrigger: totalCalls(ourCalls) / TRIGGERS },
        baseline: {
          ...baseline,
          calls: baselineCalls,
          callsPerTrigger: totalCalls(baselineCalls) / TRIGGERS,
        },
        ratio,
      },
    };
  } finally {
    await cloud.stop();
  }
}
