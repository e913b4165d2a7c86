/**
 * `npm run bench -- pause-resume`: what one pause + resume cycle costs in Step Functions state
 * transitions, Lambda invocations and MWAA API calls, and how long after MWAA reaches a status
 * the workflow acts on it (emulated clock), beside the reference implementation's 60-second
 * polling child workflow.
 *
 * It runs the real state machines on the local cloud with the scripted transfer function of the
 * workflow tests (test/integration/fixtures/pause-resume-template.yaml): the number of
 * invocations is decided by the ASL, not by what the function does inside, so the counts are
 * those of a deployment; the transfer's own duration is not part of this benchmark.
 */
import { CreateEnvironmentCommand, GetEnvironmentCommand, MWAAClient } from '@aws-sdk/client-mwaa';
import { type LocalCloud, startLocalCloud } from '../local/index.ts';
import { LIFECYCLE_MS } from '../local/mwaa/index.ts';
import { createEnvironmentInput, mwaaFor } from '../test/helpers/local-mwaa.ts';
import type { BenchResult } from './lib/types.ts';

export const name = 'pause-resume';

const templatePath = new URL('../test/integration/fixtures/pause-resume-template.yaml', import.meta.url)
  .pathname;
const CYCLES = 3;
const POLL_SETTINGS = [60, 15] as const;

interface HistoryEvent {
  type: string;
  timestamp?: string | number | Date;
  stateEnteredEventDetails?: { name?: string };
  previousEventId?: number;
  id?: number;
}

interface CycleMeasure {
  pollSeconds: number;
  transitions: { pause: number; resume: number };
  lambdaInvocations: number;
  mwaaCalls: number;
  /** Emulated seconds between MWAA reaching DELETED / AVAILABLE and the workflow seeing it. */
  deleteReactionSeconds: number;
  createReactionSeconds: number;
}

const ms = (t: HistoryEvent['timestamp']) => (t instanceof Date ? t.getTime() : new Date(t ?? 0).getTime());

/** Emulated time at which the named Task state's result was recorded, per occurrence. */
function taskResults(history: HistoryEvent[], stateName: string): number[] {
  const times: number[] = [];
  let inState = false;
  for (const event of history) {
    if (event.type.endsWith('StateEntered')) inState = event.stateEnteredEventDetails?.name === stateName;
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

async function cycle(cloud: LocalCloud, environment: string, pollSeconds: number) {
  const input = { environment, pollSeconds, heartbeatSeconds: 3600, exportTimeoutSeconds: 7200 };
  const before = cloud.invocationCount('MetadataTransferFunction');
  const run = async (machine: string) => {
    const arn = await cloud.startExecution(machine, input);
    const outcome = await cloud.waitForExecution(arn, { timeoutMs: 120_000 });
    if (outcome.status !== 'SUCCEEDED')
      throw new Error(`${machine} ${outcome.status}: ${outcome.error} ${outcome.cause}`);
    return cloud.stepFunctions.history(arn) as unknown as HistoryEvent[];
  };
  const pause = await run('PauseEnvironmentStateMachine');
  const resume = await run('ResumeEnvironmentStateMachine');
  const entered = (h: HistoryEvent[]) => h.filter((e) => e.type.endsWith('StateEntered')).length;
  const mwaaCalls = [...pause, ...resume].filter(
    (e) => e.type === 'TaskScheduled' && JSON.stringify(e).includes('aws-sdk:mwaa'),
  ).length;
  // MWAA finishes deleting LIFECYCLE_MS.delete after DeleteEnvironment returned; the workflow
  // acts when a poll first sees it gone.
  const deleted = (taskResults(pause, 'DeleteEnvironment')[0] ?? 0) + LIFECYCLE_MS.delete;
  const seenGone = taskResults(pause, 'CheckDeletion').find((t) => t >= deleted) ?? Number.NaN;
  const created = (taskResults(resume, 'Recreate')[0] ?? 0) + LIFECYCLE_MS.create;
  const seenAvailable = taskResults(resume, 'CheckCreation').find((t) => t >= created) ?? Number.NaN;
  return {
    pollSeconds,
    transitions: { pause: entered(pause), resume: entered(resume) },
    lambdaInvocations: cloud.invocationCount('MetadataTransferFunction') - before,
    mwaaCalls,
    deleteReactionSeconds: (seenGone - deleted) / 1000,
    createReactionSeconds: (seenAvailable - created) / 1000,
  } satisfies CycleMeasure;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export async function run(): Promise<BenchResult> {
  const cloud = await startLocalCloud({ templatePath, clockSpeed: 2000 });
  const local = await mwaaFor(cloud);
  const measures: CycleMeasure[] = [];
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
    for (const pollSeconds of POLL_SETTINGS) {
      for (let i = 0; i < CYCLES; i += 1) {
        const environment = `bench-${pollSeconds}-${i}`;
        await mwaa.send(new CreateEnvironmentCommand(createEnvironmentInput(environment, '2.10.3') as never));
        await waitAvailable(mwaa, environment);
        measures.push(await cycle(cloud, environment, pollSeconds));
      }
    }
  } finally {
    await local.close();
    await cloud.stop();
  }

  const rows = POLL_SETTINGS.map((pollSeconds) => {
    const of = measures.filter((m) => m.pollSeconds === pollSeconds);
    return [
      `mwaa-ops, poll ${pollSeconds} s`,
      fmt(mean(of.map((m) => m.transitions.pause)), 0),
      fmt(mean(of.map((m) => m.transitions.resume)), 0),
      fmt(mean(of.map((m) => m.lambdaInvocations)), 0),
      fmt(mean(of.map((m) => m.mwaaCalls)), 0),
      fmt(mean(of.map((m) => m.deleteReactionSeconds))),
      fmt(mean(of.map((m) => m.createReactionSeconds))),
    ];
  });
  // The reference polls GetEnvironment every 60 s in a child workflow (Wait + GetEnvironment +
  // Choice per poll, plus the child's start/end): modelled, not measured, for the same 15/25-minute
  // delete/create the emulator uses.
  const refPolls = (minutes: number) => Math.ceil((minutes * 60) / 60) + 1;
  const refPollTransitions = 3 * (refPolls(15) + refPolls(25)) + 2 * 3;
  rows.push([
    'reference, 60 s polling child workflow (model)',
    'n/a',
    'n/a',
    'n/a',
    String(refPolls(15) + refPolls(25)),
    '0–60 (mean 30)',
    '0–60 (mean 30); never ends on CREATE_FAILED',
  ]);
  return {
    notes: [
      `${CYCLES} pause + resume cycles per poll interval on the local cloud (clock ×2000; MWAA deletes in ${LIFECYCLE_MS.delete / 60_000} and creates in ${LIFECYCLE_MS.create / 60_000} emulated minutes).`,
      'Transitions = states entered (what Step Functions Standard bills); Lambda invocations = MetadataTransferFunction calls; MWAA calls = aws-sdk:mwaa tasks of the workflows (the function makes its own, not counted).',
      'Reaction = emulated seconds between MWAA reaching DELETED / AVAILABLE and the first poll that sees it. Polling every p seconds gives a delay in [0, p).',
      `The reference row is a model: its polling alone costs about ${refPollTransitions} transitions per cycle at 60 s, with the same expected delay as ours at 60 s; a shorter pollSeconds trades transitions for reaction time.`,
    ],
    tables: [
      {
        title: 'Per pause + resume cycle (mean)',
        columns: [
          'workflow',
          'pause transitions',
          'resume transitions',
          'Lambda invocations',
          'MWAA calls',
          'delete → acted (s)',
          'create → acted (s)',
        ],
        rows,
      },
    ],
    data: { cycles: measures, reference: { pollSeconds: 60, modelledPollTransitions: refPollTransitions } },
  };
}
