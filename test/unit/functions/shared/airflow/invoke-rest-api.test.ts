import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AirflowRequestError,
  AirflowThrottledError,
  EnvironmentUnavailableError,
} from '../../../../../functions/shared/airflow/errors.ts';
import { createInvokeRestApiTransport } from '../../../../../functions/shared/airflow/invoke-rest-api.ts';

// A loopback HTTP server stands in for MWAA so the real signing and wire format are exercised.
let seen: { req: IncomingMessage; body: string } | undefined;
let reply: { status: number; headers?: Record<string, string>; body: unknown } = { status: 200, body: {} };
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    seen = { req, body };
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  });
});
let endpoint = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const transport = () =>
  createInvokeRestApiTransport({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    endpoint,
  });

describe('InvokeRestApi transport', () => {
  it('POSTs a SigV4-signed {Path, Method, Body} to /restapi/<name> with signing name airflow', async () => {
    reply = { status: 200, body: { RestApiStatusCode: 200, RestApiResponse: { dag_run_id: 'r' } } };
    const out = await transport().call('my env', {
      method: 'POST',
      path: '/dags/d/dagRuns',
      body: { conf: {} },
    });
    expect(out).toEqual({ status: 200, body: { dag_run_id: 'r' } });
    expect(seen?.req.method).toBe('POST');
    expect(seen?.req.url).toBe('/restapi/my%20env');
    expect(JSON.parse(seen?.body ?? '')).toEqual({
      Path: '/dags/d/dagRuns',
      Method: 'POST',
      Body: { conf: {} },
    });
    expect(seen?.req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/airflow\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(seen?.req.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('returns Airflow’s status and body carried by RestApiClientException', async () => {
    reply = {
      status: 400,
      headers: { 'x-amzn-errortype': 'RestApiClientException' },
      body: { RestApiStatusCode: 409, RestApiResponse: { title: 'Conflict' } },
    };
    await expect(transport().call('env', { method: 'POST', path: '/x' })).resolves.toEqual({
      status: 409,
      body: { title: 'Conflict' },
    });
  });

  it('maps MWAA errors to throttled / unavailable / request errors', async () => {
    reply = {
      status: 429,
      headers: { 'x-amzn-errortype': 'ThrottlingException' },
      body: { message: 'Rate exceeded' },
    };
    await expect(transport().call('env', { method: 'GET', path: '/x' })).rejects.toBeInstanceOf(
      AirflowThrottledError,
    );
    reply = {
      status: 404,
      headers: { 'x-amzn-errortype': 'ResourceNotFoundException' },
      body: { message: 'no' },
    };
    await expect(transport().call('env', { method: 'GET', path: '/x' })).rejects.toBeInstanceOf(
      EnvironmentUnavailableError,
    );
    reply = {
      status: 403,
      headers: { 'x-amzn-errortype': 'AccessDeniedException' },
      body: { message: 'denied' },
    };
    await expect(transport().call('env', { method: 'GET', path: '/x' })).rejects.toBeInstanceOf(
      AirflowRequestError,
    );
  });
});
