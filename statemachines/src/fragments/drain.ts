/**
 * The drain (pause and upgrade): optionally let running DAG runs finish before the backup, for at
 * most drainTimeoutSeconds, polling every drainPollSeconds.
 */
import { type States, substitution } from '../types.ts';
import { catchAll, lambdaRetry, METADATA_TRANSFER_ERRORS } from './retry.ts';

/** DrainRequested … CountDrainWait; then next. The entry state is DrainRequested. */
export function drain({ next, onError = 'HasFailureCause' }: { next: string; onError?: string }): States {
  return {
    DrainRequested: {
      Type: 'Choice',
      Comment: 'Optional: let running DAG runs finish first, for at most drainTimeoutSeconds.',
      Choices: [{ Variable: '$.config.drain', BooleanEquals: true, Next: 'StartDrain' }],
      Default: next,
    },
    StartDrain: {
      Type: 'Pass',
      Parameters: { waitedSeconds: 0 },
      ResultPath: '$.drain',
      Next: 'CountRunningRuns',
    },
    CountRunningRuns: {
      Type: 'Task',
      Comment: 'Running + queued DAG runs.',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: substitution('MetadataTransferFunctionArn'),
        Payload: { action: 'countRunning', 'environment.$': '$.config.environment' },
      },
      ResultSelector: { 'running.$': '$.Payload.running' },
      ResultPath: '$.drain.count',
      Retry: lambdaRetry(METADATA_TRANSFER_ERRORS),
      Catch: catchAll(onError),
      Next: 'AreRunsFinished',
    },
    AreRunsFinished: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.drain.count.running', NumericEquals: 0, Next: next },
        {
          Variable: '$.drain.waitedSeconds',
          NumericGreaterThanEqualsPath: '$.config.drainTimeoutSeconds',
          Next: next,
        },
      ],
      Default: 'WaitForRunsToFinish',
    },
    WaitForRunsToFinish: {
      Type: 'Wait',
      SecondsPath: '$.config.drainPollSeconds',
      Next: 'CountDrainWait',
    },
    CountDrainWait: {
      Type: 'Pass',
      Parameters: { 'waitedSeconds.$': 'States.MathAdd($.drain.waitedSeconds, $.config.drainPollSeconds)' },
      ResultPath: '$.drain',
      Next: 'CountRunningRuns',
    },
  };
}
