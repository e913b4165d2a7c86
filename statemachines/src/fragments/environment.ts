/** Reading the MWAA environment: its status and Airflow version at $.mwaa. */
import type { State, States } from '../types.ts';
import { catchAll, MWAA_RETRY } from './retry.ts';

/**
 * The GetEnvironment call every status read makes: status and Airflow version into $.mwaa.
 * Spread into a Task after its Comment; the state adds its own Catch and Next.
 */
export const READ_STATUS = {
  Resource: 'arn:aws:states:::aws-sdk:mwaa:getEnvironment',
  Parameters: { 'Name.$': '$.config.environment' },
  ResultSelector: {
    'status.$': '$.Environment.Status',
    'airflowVersion.$': '$.Environment.AirflowVersion',
  },
  ResultPath: '$.mwaa',
  Retry: MWAA_RETRY,
} as const;

/** GetEnvironment: status and version into $.mwaa; a missing environment goes to notFound. */
export function getEnvironment({
  comment,
  notFound,
  next,
  onError = 'HasFailureCause',
}: {
  comment: string;
  notFound: string;
  next: string;
  onError?: string;
}): State {
  return {
    Type: 'Task',
    Comment: comment,
    ...READ_STATUS,
    Catch: [
      { ErrorEquals: ['Mwaa.ResourceNotFoundException'], ResultPath: '$.notFound', Next: notFound },
      ...catchAll(onError),
    ],
    Next: next,
  };
}

/**
 * GetEnvironment … EnvironmentNotAvailable (pause, upgrade): go on only with an environment
 * that exists and is AVAILABLE; otherwise fail with nothing changed.
 */
export function requireAvailable({
  comment,
  notFoundCause,
  next,
  onError = 'HasFailureCause',
}: {
  comment: string;
  /** The EnvironmentNotFoundError cause (States.Format). */
  notFoundCause: string;
  next: string;
  onError?: string;
}): States {
  return {
    GetEnvironment: getEnvironment({
      comment,
      notFound: 'EnvironmentNotFound',
      next: 'IsEnvironmentAvailable',
      onError,
    }),
    EnvironmentNotFound: {
      Type: 'Pass',
      Parameters: { Error: 'EnvironmentNotFoundError', 'Cause.$': notFoundCause },
      ResultPath: '$.error',
      Next: onError,
    },
    IsEnvironmentAvailable: {
      Type: 'Choice',
      Choices: [{ Variable: '$.mwaa.status', StringEquals: 'AVAILABLE', Next: next }],
      Default: 'EnvironmentNotAvailable',
    },
    EnvironmentNotAvailable: {
      Type: 'Pass',
      Parameters: {
        Error: 'EnvironmentNotAvailableError',
        'Cause.$':
          "States.Format('Environment {} is {}, not AVAILABLE; nothing was changed.', $.config.environment, $.mwaa.status)",
      },
      ResultPath: '$.error',
      Next: onError,
    },
  };
}
