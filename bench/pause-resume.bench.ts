/**
 * `npm run bench -- pause-resume`: what one pause + resume cycle costs in Step Functions state
 * transitions (and dollars at $0.025 per 1,000), Lambda invocations and MWAA API calls, and how
 * long after MWAA reaches DELETED / AVAILABLE the workflow acts on it (emulated clock), with the
 * status waits woken by `MWAA Environment Status Change` events and with the events dropped
 * (polling only), beside the figures before the status waits (bench/baselines/pause-resume.json,
 * the result file at commit 7121049).
 *
 * It runs the real state machines and StatusEventsFunction on the local cloud with the scripted
 * transfer function of the workflow tests (test/integration/fixtures/pause-resume-template.yaml):
 * the number of invocations is decided by the ASL, not by what the function does inside, so the
 * counts are those of a deployment; the transfer's own duration is not part of this benchmark.
 */
import { readFileSync } from 'node:fs';
import { CreateEnvironmentCommand, GetEnvironmentCommand, MWAAClient } from '@aws-sdk/client-mwaa';
import { type LocalCloud, startLocalCloud } from '../local/index.ts';
import { LIFECYCLE_MS } from '../local/mwaa/index.ts';
import { createEnvironmentInput, mwaaFor } from '../test/helpers/local-mwaa.ts';
import type { BenchResult } from './lib/types.ts';

export const name = 'pause-resume';

const templatePath = new URL('../test/integration/fixtures/pause-resume-template.yaml', import.meta.url)
  .pathname;
const CYCLES = 3;
/** $ per state transition (Step Functions Standard, $0.025 per 1,000). */
const PRICE_PER_TRANSITION = 0.025 / 1000;

/** The runs: status events delivered or dropped, the fallback poll interval, the clock speed. */
const RUNS = [
  { label: 'events, poll 60 s', events: true, pollSeconds: 60 },
  { label: 'events, poll 300 s', events: true, pollSeconds: 300 },
  { label: 'events dropped (polling only), poll 60 s', events: false, pollSeconds: 60 },
] as const;
/**
 * The status waits run through a Lambda function (worker thread, SDK calls over HTTP): at the
 * workflow tests' ×2000 each real millisecond of that is 2 emulated seconds, and on a loaded
 * machine a stall of a second skews a reaction by half an hour. ×100 keeps that error to
 * 0.1 s per real millisecond; the baseline's waits were SDK integrations only, measured at ×2000.
 */
const CLOCK_SPEED = 100;

type Run = (typeof RUNS)[number];

interface HistoryEvent {
  type: string;
  timestamp?: string | number | Date;
  stateEnteredEventDetails?: { name?: string };
  previousEventId?: number;
  id?: number;
}

interface CycleMeasure {
  run: string;
  pollSeconds: number;
  events: boolean;
  clockSpeed: number;
  transitions: { pause: number; resume: number };
  lambdaInvocations: { transfer: number; statusEvents: number };
  /** aws-sdk:mwaa tasks of the workflows (what the baseline counted). */
  mwaaTasks: number;
  /** Every MWAA API call during the cycle (workflow tasks and StatusEventsFunction). */
  mwaaCalls: number;
  /** Emulated seconds between MWAA reaching DELETED / AVAILABLE and the workflow seeing it. */
  deleteReactionSeconds: number;
  createReactionSeconds: number;
}

const ms = (t: HistoryEvent['timestamp']) => (t instanceof Date ? t.getTime() : new Date(t ?? 0).getTime());

/** Emulated times at which the named Task states' results were recorded, in order. */
function taskResults(history: HistoryEvent[], stateNames: readonly string[]): number[] {
  const times: number[] = [];
  let inState = false;
  for (const event of history) {
    if (event.type.endsWith('StateEntered'))
      inState = stateNames.includes(event.stateEnteredEventDetails?.name ?? '');
    else if (inState && (event.type === 'TaskSucceeded' || event.type === 'TaskFailed'))
      times.push(ms(event.timestamp));
  }
  return times;
}

async function waitAvailable(mwaa: MWAAClient, environment: string): Promise<void> {
  for (;;) {
    const out = await mwaa.send(new GetEnvironmentCommand({ Name: environment }));
    if (out.Environment?.Status === 'AVAILABLE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const mwaaCallCount = (cloud: LocalCloud) =>
  Object.entries(cloud.faults.calls())
    .filter(([key]) => key.startsWith('mwaa:'))
    .reduce((sum, [, n]) => sum + n, 0);

async function cycle(cloud: LocalCloud, environment: string, run: Run): Promise<CycleMeasure> {
  const input = {
    environment,
    pollSeconds: run.pollSeconds,
    heartbeatSeconds: 3600,
    exportTimeoutSeconds: 7200,
  };
  const transferBefore = cloud.invocationCount('MetadataTransferFunction');
  const statusBefore = cloud.invocationCount('StatusEventsFunction');
  const callsBefore = mwaaCallCount(cloud);
  const execute = async (machine: string) => {
    const arn = await cloud.startExecution(machine, input);
    const outcome = await cloud.waitForExecution(arn, { timeoutMs: 300_000 });
    if (outcome.status !== 'SUCCEEDED')
      throw new Error(`${machine} ${outcome.status}: ${outcome.error} ${outcome.cause}`);
    return cloud.stepFunctions.history(arn) as unknown as HistoryEvent[];
  };
  const pause = await execute('PauseEnvironmentStateMachine');
  const resume = await execute('ResumeEnvironmentStateMachine');
  await cloud.settled();
  const entered = (h: HistoryEvent[]) => h.filter((e) => e.type.endsWith('StateEntered')).length;
  const mwaaTasks = [...pause, ...resume].filter(
    (e) => e.type === 'TaskScheduled' && JSON.stringify(e).includes('aws-sdk:mwaa'),
  ).length;
  // MWAA finishes deleting LIFECYCLE_MS.delete after DeleteEnvironment returned; the workflow
  // acts on the last answer of its wait (the event, or the poll that saw the environment gone).
  const deleted = (taskResults(pause, ['DeleteEnvironment'])[0] ?? 0) + LIFECYCLE_MS.delete;
  const seenGone = taskResults(pause, ['AwaitDeletion', 'CheckDeletion']).at(-1) ?? Number.NaN;
  const created = (taskResults(resume, ['Recreate'])[0] ?? 0) + LIFECYCLE_MS.create;
  const seenAvailable = taskResults(resume, ['AwaitCreation', 'CheckCreation']).at(-1) ?? Number.NaN;
  return {
    run: run.label,
    pollSeconds: run.pollSeconds,
    events: run.events,
    clockSpeed: CLOCK_SPEED,
    transitions: { pause: entered(pause), resume: entered(resume) },
    lambdaInvocations: {
      transfer: cloud.invocationCount('MetadataTransferFunction') - transferBefore,
      statusEvents: cloud.invocationCount('StatusEventsFunction') - statusBefore,
    },
    mwaaTasks,
    mwaaCalls: mwaaCallCount(cloud) - callsBefore,
    deleteReactionSeconds: Math.max(0, seenGone - deleted) / 1000,
    createReactionSeconds: Math.max(0, seenAvailable - created) / 1000,
  };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const dollars = (transitions: number) => `$${(transitions * PRICE_PER_TRANSITION).toFixed(5)}`;

interface BaselineCycle {
  pollSeconds: number;
  transitions: { pause: number; resume: number };
  lambdaInvocations: number;
  mwaaCalls: number;
  deleteReactionSeconds: number;
  createReactionSeconds: number;
}

/** The result file before the status waits (commit 7121049), kept as bench/baselines/pause-resume.json. */
function baselineCycles(): BaselineCycle[] {
  const file = new URL('./baselines/pause-resume.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { data: { cycles: BaselineCycle[] } }).data.cycles;
}

async function measure(run: Run, index: number): Promise<CycleMeasure[]> {
  const cloud = await startLocalCloud({ templatePath, clockSpeed: CLOCK_SPEED });
  const local = await mwaaFor(cloud);
  const out: CycleMeasure[] = [];
  try {
    const mwaa = new MWAAClient({
      region: cloud.env.AWS_REGION,
      credentials: {
        accessKeyId: cloud.env.AWS_ACCESS_KEY_ID,
        secretAccessKey: cloud.env.AWS_SECRET_ACCESS_KEY,
      },
      endpoint: cloud.env.AWS_ENDPOINT_URL_MWAA,
      disableHostPrefix: true,
    });
    for (let i = 0; i < CYCLES; i += 1) {
      const environment = `bench-${index}-${i}`;
      await mwaa.send(new CreateEnvironmentCommand(createEnvironmentInput(environment, '2.10.3') as never));
      await waitAvailable(mwaa, environment);
      if (!run.events) local.mwaa.dropStatusEvents(environment);
      const measured = await cycle(cloud, environment, run);
      // Progress on stderr: a run at a slow clock takes minutes.
      process.stderr.write(
        `pause-resume: ${run.label} cycle ${i + 1}: ${measured.transitions.pause}+${measured.transitions.resume} transitions, reactions ${measured.deleteReactionSeconds}/${measured.createReactionSeconds} s\n`,
      );
      out.push(measured);
    }
  } finally {
    await local.close();
    await cloud.stop();
  }
  return out;
}

export async function run(): Promise<BenchResult> {
  const measures: CycleMeasure[] = [];
  for (const [index, r] of RUNS.entries()) measures.push(...(await measure(r, index)));

  const row = (
    label: string,
    of: Array<{
      pause: number;
      resume: number;
      lambda: string;
      mwaa: string;
      del: number;
      cre: number;
    }>,
  ) => {
    const pause = mean(of.map((m) => m.pause));
    const resume = mean(of.map((m) => m.resume));
    const reactions = of.flatMap((m) => [m.del, m.cre]);
    return [
      label,
      fmt(pause, 0),
      fmt(resume, 0),
      fmt(pause + resume, 0),
      dollars(pause + resume),
      of[0]?.lambda ?? 'n/a',
      of[0]?.mwaa ?? 'n/a',
      fmt(median(of.map((m) => m.del))),
      fmt(median(of.map((m) => m.cre))),
      fmt(median(reactions)),
    ];
  };
  const rows = RUNS.map((r) => {
    const of = measures.filter((m) => m.run === r.label);
    return row(
      `now: ${r.label}`,
      of.map((m) => ({
        pause: m.transitions.pause,
        resume: m.transitions.resume,
        lambda: `${fmt(mean(of.map((x) => x.lambdaInvocations.transfer)), 0)} + ${fmt(mean(of.map((x) => x.lambdaInvocations.statusEvents)), 0)}`,
        mwaa: `${fmt(mean(of.map((x) => x.mwaaTasks)), 0)} / ${fmt(mean(of.map((x) => x.mwaaCalls)), 0)}`,
        del: m.deleteReactionSeconds,
        cre: m.createReactionSeconds,
      })),
    );
  });
  const baseline = baselineCycles();
  for (const pollSeconds of [60, 15]) {
    const of = baseline.filter((c) => c.pollSeconds === pollSeconds);
    rows.push(
      row(
        `baseline (7121049): polling, poll ${pollSeconds} s`,
        of.map((c) => ({
          pause: c.transitions.pause,
          resume: c.transitions.resume,
          lambda: `${fmt(mean(of.map((x) => x.lambdaInvocations)), 0)} + 0`,
          mwaa: `${fmt(mean(of.map((x) => x.mwaaCalls)), 0)} / n/a`,
          del: c.deleteReactionSeconds,
          cre: c.createReactionSeconds,
        })),
      ),
    );
  }
  return {
    notes: [
      `${CYCLES} pause + resume cycles per run on the local cloud (MWAA deletes in ${LIFECYCLE_MS.delete / 60_000} and creates in ${LIFECYCLE_MS.create / 60_000} emulated minutes).`,
      'Transitions = states entered (what Step Functions Standard bills), cost at $0.025 per 1,000. Lambda = MetadataTransferFunction + StatusEventsFunction invocations. MWAA = aws-sdk:mwaa tasks of the workflows / every MWAA API call (the status waits call GetEnvironment from the function).',
      'Reaction = emulated seconds between MWAA reaching DELETED / AVAILABLE and the answer of the wait that saw it (the event, or the poll); the median over delete and create reactions is the issue-15 figure (target ≤ 10 s).',
      'With events the wait ends on the event; pollSeconds is only the fallback interval. With events dropped, each interval without an event costs one state (the wait re-entered) instead of three (Wait, GetEnvironment, Choice).',
      `Clock ×${CLOCK_SPEED} for the runs now (the baseline ran at ×2000): emulated reaction includes real processing time × clock speed, 0.1 s per real millisecond here.`,
      'Baseline rows: the per-cycle data of bench/results/pause-resume.json at commit 7121049 (copied to bench/baselines/pause-resume.json), medians recomputed from its cycles.',
    ],
    tables: [
      {
        title: 'Per pause + resume cycle (transitions: mean; reaction: median)',
        columns: [
          'workflow',
          'pause transitions',
          'resume transitions',
          'transitions per cycle',
          'cost per cycle',
          'Lambda invocations',
          'MWAA tasks / calls',
          'delete → acted (s)',
          'create → acted (s)',
          'reaction median (s)',
        ],
        rows,
      },
    ],
    data: { cycles: measures, baseline: { commit: '7121049', cycles: baseline } },
  };
}
