/** The Airflow client: one per container, built from the shared AWS clients. */
import { endpointFor, mwaaClient, shared as sharedClient } from '../aws-clients.ts';
import { logger } from '../observability.ts';
import { createCliTransport } from './cli-transport.ts';
import { type AirflowClient, createAirflowClient } from './client.ts';
import { createInvokeRestApiTransport } from './invoke-rest-api.ts';

export * from './client.ts';
export * from './errors.ts';
export type { RestRequest, RestResponse } from './invoke-rest-api.ts';

let shared: AirflowClient | undefined;

/** The container-wide Airflow client (MWAA endpoint and credentials from the environment). */
export function airflowClient(env: NodeJS.ProcessEnv = process.env): AirflowClient {
  if (shared) return shared;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const mwaa = sharedClient(mwaaClient);
  const endpoint = endpointFor('MWAA', env);
  shared = createAirflowClient({
    mwaa,
    rest: createInvokeRestApiTransport({
      region,
      // Sign with the MWAA client's own credential chain: one chain per container.
      credentials: () => mwaa.config.credentials(),
      ...(endpoint === undefined ? {} : { endpoint }),
    }),
    cli: createCliTransport({ mwaa }),
    // A 409 that was not our run is worth a line: it means runs of the DAG share logical dates.
    onConflict: (info) =>
      logger.warn('Airflow answered 409 but no run has our id (logical date taken); trying the next date', {
        ...info,
      }),
  });
  return shared;
}
