/**
 * After a stale lock was taken over (pause, resume): the stopped holder may have left a backup
 * attempt behind (its child running, its export pausing DAGs). Stop the child, wait for its
 * export runs to end, and re-enable the DAGs it paused, so the environment is as it was before.
 */
import { type States, substitution } from '../types.ts';
import { unpauseActiveDags } from './dags.ts';
import { catchAll, lambdaRetry, SFN_RETRY } from './retry.ts';

const ATTEMPT = '$.registry.item.backupAttempt.M';

export interface FindStaleAttemptOptions {
  comment: string;
  /** Where to go when the stopped holder left no attempt of its own. */
  otherwise: string;
  /** Where to go with its attempt read into $.stale. */
  next: string;
}

/** HasStaleBackupAttempt, IsStaleHoldersBackupAttempt, ReadStaleBackupAttempt. */
export function findStaleBackupAttempt({ comment, otherwise, next }: FindStaleAttemptOptions): States {
  return {
    HasStaleBackupAttempt: {
      Type: 'Choice',
      Comment: comment,
      Choices: [{ Variable: `${ATTEMPT}.lockOwner.S`, IsPresent: true, Next: 'IsStaleHoldersBackupAttempt' }],
      Default: otherwise,
    },
    IsStaleHoldersBackupAttempt: {
      Type: 'Choice',
      Comment:
        "Only the stopped holder's own attempt matters: an older record belongs to an operation that ended and cleaned up.",
      Choices: [
        {
          Variable: `${ATTEMPT}.lockOwner.S`,
          StringEqualsPath: '$.holder.executionArn',
          Next: 'ReadStaleBackupAttempt',
        },
      ],
      Default: otherwise,
    },
    ReadStaleBackupAttempt: {
      Type: 'Pass',
      Parameters: {
        'childArn.$': `${ATTEMPT}.childArn.S`,
        'bucket.$': `${ATTEMPT}.bucket.S`,
        'prefix.$': `${ATTEMPT}.prefix.S`,
        'backupId.$': `${ATTEMPT}.backupId.S`,
      },
      ResultPath: '$.stale',
      Next: next,
    },
  };
}

export interface StopStaleBackupOptions {
  /** The metadata-transfer errors not retried. */
  errors: readonly string[];
  /** StaleExportStillRunning: its Comment and its PreviousExportRunningError cause (States.Format). */
  stillRunningComment: string;
  stillRunningCause: string;
  /** Where to go once the stale attempt is cleaned up. */
  next: string;
  onError?: string;
}

/** StopStaleBackup … AfterStaleRestore; the entry state is StopStaleBackup. */
export function stopStaleBackup({
  errors,
  stillRunningComment,
  stillRunningCause,
  next,
  onError = 'HasFailureCause',
}: StopStaleBackupOptions): States {
  return {
    StopStaleBackup: {
      Type: 'Task',
      Comment:
        "Stop the stopped holder's backup child if it still runs (AWS stops a .sync child with its parent, best effort; this makes sure). A child that has ended already is fine.",
      Resource: 'arn:aws:states:::aws-sdk:sfn:stopExecution',
      Parameters: {
        'ExecutionArn.$': '$.stale.childArn',
        Error: 'MwaaOps.LockTakenOver',
        Cause: 'The operation that started this backup was stopped; another operation took over its lock.',
      },
      ResultPath: null,
      Retry: SFN_RETRY,
      Catch: catchAll('StartStaleExportWait', '$.stale.stopError'),
      Next: 'StartStaleExportWait',
    },
    StartStaleExportWait: {
      Type: 'Pass',
      Comment:
        'The first look comes one poll interval after the child was stopped, so an export it was triggering as it stopped is visible by then.',
      Parameters: { waitedSeconds: 0 },
      ResultPath: '$.staleWait',
      Next: 'WaitForStaleExports',
    },
    CheckStaleExports: {
      Type: 'Task',
      Comment:
        "The stopped attempt's export DAG run may still be running (and pausing DAGs): nothing is read or backed up until no export run is queued or running.",
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: substitution('MetadataTransferFunctionArn'),
        Payload: { action: 'runningExports', 'environment.$': '$.config.environment' },
      },
      ResultSelector: { 'running.$': '$.Payload.running', 'runIds.$': '$.Payload.runIds' },
      ResultPath: '$.staleWait.exports',
      Retry: lambdaRetry(errors),
      Catch: catchAll(onError),
      Next: 'AreStaleExportsDone',
    },
    AreStaleExportsDone: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.staleWait.exports.running', NumericEquals: 0, Next: 'RestoreStaleDags' },
        {
          Variable: '$.staleWait.waitedSeconds',
          NumericGreaterThanEqualsPath: '$.config.exportTimeoutSeconds',
          Next: 'StaleExportStillRunning',
        },
      ],
      Default: 'WaitForStaleExports',
    },
    WaitForStaleExports: {
      Type: 'Wait',
      SecondsPath: '$.config.pollSeconds',
      Next: 'CountStaleExportWait',
    },
    CountStaleExportWait: {
      Type: 'Pass',
      Parameters: { 'waitedSeconds.$': 'States.MathAdd($.staleWait.waitedSeconds, $.config.pollSeconds)' },
      ResultPath: '$.staleWait',
      Next: 'CheckStaleExports',
    },
    StaleExportStillRunning: {
      Type: 'Pass',
      Comment: stillRunningComment,
      Parameters: { Error: 'PreviousExportRunningError', 'Cause.$': stillRunningCause },
      ResultPath: '$.error',
      Next: 'RestoreStaleDags',
    },
    RestoreStaleDags: unpauseActiveDags({
      comment:
        "Re-enable the DAGs the stopped attempt's export paused (its active-dags.json): the environment is left as it was before that attempt.",
      backupPath: '$.stale',
      resultPath: '$.stale.restored',
      errors,
      catch: catchAll('AfterStaleRestore', '$.stale.restoreError'),
      next: 'AfterStaleRestore',
    }),
    AfterStaleRestore: {
      Type: 'Choice',
      Choices: [{ Variable: '$.error', IsPresent: true, Next: onError }],
      Default: next,
    },
  };
}
