/**
 * MWAA `InvokeRestApi`: Airflow's REST API proxied by the MWAA control plane.
 *
 * The newest `@aws-sdk/client-mwaa` on the registry (3.523.0) predates this operation, so we
 * sign the request ourselves: `POST /restapi/{Name}` on the `env.` host of the MWAA endpoint,
 * SigV4 with signing name `airflow`, JSON body `{Path, Method, QueryParameters?, Body?}`.
 * The answer is `{RestApiStatusCode, RestApiResponse}`; Airflow's own 4xx/5xx come back as
 * `RestApiClientException`/`RestApiServerException` carrying the same two fields, which we turn
 * back into a plain status + body so callers see Airflow's answer whichever way it travelled.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Provider } from '@smithy/types';
import {
  AirflowRequestError,
  AirflowServerError,
  AirflowThrottledError,
  EnvironmentUnavailableError,
} from './errors.ts';

export interface RestRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Airflow path including the API prefix, e.g. `/api/v1/dags/etl/dagRuns`. */
  path: string;
  query?: Record<string, string | number | boolean>;
  body?: unknown;
}

export interface RestResponse {
  status: number;
  body: unknown;
}

export interface RestTransport {
  call(environment: string, request: RestRequest): Promise<RestResponse>;
}

export interface InvokeRestApiOptions {
  region: string;
  credentials: AwsCredentialIdentity | Provider<AwsCredentialIdentity>;
  /** Endpoint override (the local cloud); otherwise `https://env.airflow.<region>.amazonaws.com`. */
  endpoint?: string;
  /** MWAA answers within 10 s; we give up a little later. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const THROTTLING = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ServiceQuotaExceededException',
]);

export function createInvokeRestApiTransport(options: InvokeRestApiOptions): RestTransport {
  const base = new URL(options.endpoint ?? `https://env.airflow.${options.region}.amazonaws.com`);
  const signer = new SignatureV4({
    service: 'airflow',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 12_000;

  return {
    async call(environment, request) {
      const body = JSON.stringify({
        Path: request.path,
        Method: request.method,
        ...(request.query === undefined ? {} : { QueryParameters: request.query }),
        ...(request.body === undefined ? {} : { Body: request.body }),
      });
      const basePath = base.pathname.replace(/\/+$/, '');
      const unsigned = new HttpRequest({
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port === '' ? undefined : Number(base.port),
        method: 'POST',
        path: `${basePath}/restapi/${encodeURIComponent(environment)}`,
        headers: { 'content-type': 'application/json', host: base.host },
        body,
      });
      const signed = await signer.sign(unsigned);
      const url = `${base.protocol}//${base.host}${signed.path}`;

      let response: Response;
      try {
        response = await doFetch(url, {
          method: 'POST',
          headers: signed.headers,
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (cause) {
        throw new AirflowServerError(
          `InvokeRestApi on ${environment} did not answer: ${(cause as Error).message}`,
          {
            cause,
            context: { environment },
          },
        );
      }
      const text = await response.text();
      const payload = parseJson(text);
      const errorType = (response.headers.get('x-amzn-errortype') ?? stringField(payload, '__type') ?? '')
        .split(':')[0]
        ?.split('#')
        .pop();

      if (response.ok || errorType === 'RestApiClientException' || errorType === 'RestApiServerException') {
        const status = numberField(payload, 'RestApiStatusCode');
        if (status !== undefined)
          return { status, body: (payload as Record<string, unknown>).RestApiResponse };
      }
      const message =
        stringField(payload, 'message') ?? stringField(payload, 'Message') ?? response.statusText;
      const context = { environment, status: response.status, errorType: errorType ?? '' };
      if (THROTTLING.has(errorType ?? '') || response.status === 429) {
        throw new AirflowThrottledError(`MWAA throttled InvokeRestApi on ${environment}: ${message}`, {
          status: response.status,
          context,
        });
      }
      if (errorType === 'ResourceNotFoundException') {
        throw new EnvironmentUnavailableError(`MWAA environment ${environment} was not found`, {
          status: response.status,
          context,
        });
      }
      if (response.status >= 500) {
        throw new AirflowServerError(`MWAA failed InvokeRestApi on ${environment}: ${errorType} ${message}`, {
          status: response.status,
          context,
        });
      }
      throw new AirflowRequestError(
        `MWAA rejected InvokeRestApi on ${environment}: ${errorType} ${message}`,
        {
          status: response.status,
          context,
        },
      );
    },
  };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stringField(value: unknown, key: string): string | undefined {
  const field = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return typeof field === 'string' ? field : undefined;
}

function numberField(value: unknown, key: string): number | undefined {
  const field = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return typeof field === 'number' ? field : undefined;
}
