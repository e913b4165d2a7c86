/**
 * Unpausing the DAGs a backup's export paused (its active-dags.json): on failure, after a
 * rollback, on the upgraded environment, after a stale attempt.
 */
import { type State, substitution } from '../types.ts';
import { lambdaRetry } from './retry.ts';

export interface UnpauseActiveDagsOptions {
  comment: string;
  /** Where the backup is: bucket, prefix and backupId under this path. */
  backupPath?: string;
  resultPath?: string;
  /** The metadata-transfer errors not retried. */
  errors: readonly string[];
  catch: unknown[];
  next: string;
}

/** A metadata-transfer unpauseActiveDags task. */
export function unpauseActiveDags({
  comment,
  backupPath = '$.backup',
  resultPath = '$.reenable',
  errors,
  next,
  ...rest
}: UnpauseActiveDagsOptions): State {
  return {
    Type: 'Task',
    Comment: comment,
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: {
      FunctionName: substitution('MetadataTransferFunctionArn'),
      Payload: {
        action: 'unpauseActiveDags',
        'environment.$': '$.config.environment',
        'bucket.$': `${backupPath}.bucket`,
        'prefix.$': `${backupPath}.prefix`,
        'backupId.$': `${backupPath}.backupId`,
      },
    },
    ResultSelector: { 'unpaused.$': '$.Payload.unpaused' },
    ResultPath: resultPath,
    Retry: lambdaRetry(errors),
    Catch: rest.catch,
    Next: next,
  };
}
