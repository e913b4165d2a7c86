/**
 * The local MWAA on its own: the unchanged `@aws-sdk/client-mwaa` against the control plane,
 * InvokeRestApi signed as AWS signs it, the CLI endpoint and the web login, on a fast clock.
 */

import { Sha256 } from '@aws-crypto/sha256-js';
import {
  CreateCliTokenCommand,
  CreateEnvironmentCommand,
  type CreateEnvironmentCommandInput,
  CreateWebLoginTokenCommand,
  DeleteEnvironmentCommand,
  GetEnvironmentCommand,
  ListEnvironmentsCommand,
  MWAAClient,
  UpdateEnvironmentCommand,
} from '@aws-sdk/client-mwaa';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { webServerUrl } from '../../../functions/shared/web-server-url.ts';
import { createClock } from '../../core/clock.ts';
import { createFaultRegistry } from '../../core/faults.ts';
import type { Targets } from '../../core/model.ts';
import type { ServiceContext } from '../../core/service.ts';
import { type MwaaHandle, startMwaa } from '../../mwaa/index.ts';

const ACCOUNT = '123456789012';
const ALICE = { accessKeyId: 'ASIAALICE', secretAccessKey: 'alice-secret', sessionToken: 'alice-session' };
const DEFAULT_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const BOB = { accessKeyId: 'ASIABOB', secretAccessKey: 'bob-secret' };
const CALLERS: Record<string, string> = {
  [ALICE.accessKeyId]: `arn:aws:sts::${ACCOUNT}:assumed-role/mwaa-dev-Op/alice@example.com`,
  [BOB.accessKeyId]: `arn:aws:sts::${ACCOUNT}:assumed-role/mwaa-dev-Viewer/bob@example.com`,
};

type PutEventsEntry = Parameters<Targets['putEvents']>[0][number];

const events: PutEventsEntry[] = [];
const targets: Targets = {
  invokeFunction: async () => undefined,
  startExecution: async () => 'arn:aws:states:us-east-1:123456789012:execution:x:y',
  publish: async () => undefined,
  sendMessage: async () => undefined,
  putEvents: async (entries) => {
    events.push(...entries);
  },
  deliver: async () => undefined,
};

const ctx: ServiceContext = {
  clock: createClock(2000),
  faults: createFaultRegistry(),
  region: 'us-east-1',
  accountId: ACCOUNT,
  log: () => undefined,
};

let mwaa: MwaaHandle;
let client: MWAAClient;
let aliceClient: MWAAClient;

const clientFor = (credentials: typeof DEFAULT_CREDENTIALS) =>
  new MWAAClient({
    endpoint: mwaa.url,
    disableHostPrefix: true,
    credentials,
    region: 'us-east-1',
    maxAttempts: 1,
  });

const createInput = (Name: string, AirflowVersion = '2.10.3') => ({
  Name,
  AirflowVersion,
  ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/mwaa-execution`,
  SourceBucketArn: 'arn:aws:s3:::mwaa-dags-bucket',
  DagS3Path: 'dags',
  NetworkConfiguration: { SubnetIds: ['subnet-a', 'subnet-b'], SecurityGroupIds: ['sg-1'] },
});

const realSleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll GetEnvironment until the status is reached; returns every status seen on the way. */
async function waitForStatus(name: string, status: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Environment } = await client.send(new GetEnvironmentCommand({ Name: name }));
    if (Environment?.Status === status) return Environment;
    if (Date.now() > deadline) throw new Error(`${name} still ${Environment?.Status}, wanted ${status}`);
    await realSleep(40);
  }
}

async function createAvailable(name: string, version?: string) {
  await client.send(new CreateEnvironmentCommand(createInput(name, version)));
  return waitForStatus(name, 'AVAILABLE');
}

/** InvokeRestApi as AWS expects it: a SigV4-signed POST /restapi/{Name} with signing name `airflow`. */
async function invokeRestApi(
  name: string,
  input: { Path: string; Method: string; QueryParameters?: unknown; Body?: unknown },
  options: { service?: string; unsigned?: boolean; credentials?: typeof DEFAULT_CREDENTIALS } = {},
) {
  const url = new URL(`/restapi/${encodeURIComponent(name)}`, mwaa.url);
  const request = new HttpRequest({
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    method: 'POST',
    path: url.pathname,
    headers: { host: url.host, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  const signer = new SignatureV4({
    service: options.service ?? 'airflow',
    region: 'us-east-1',
    credentials: options.credentials ?? DEFAULT_CREDENTIALS,
    sha256: Sha256,
  });
  const signed = options.unsigned ? request : await signer.sign(request);
  const response = await fetch(url, {
    method: 'POST',
    headers: signed.headers as Record<string, string>,
    body: signed.body as string,
  });
  return {
    status: response.status,
    errorType: response.headers.get('x-amzn-errortype'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function cli(hostname: string, token: string, command: string) {
  const response = await fetch(`${webServerUrl(hostname)}/aws_mwaa/cli`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
    body: command,
  });
  if (response.status !== 200) return { status: response.status, stdout: '', stderr: '' };
  const body = (await response.json()) as { stdout: string; stderr: string };
  return {
    status: response.status,
    stdout: Buffer.from(body.stdout, 'base64').toString('utf8'),
    stderr: Buffer.from(body.stderr, 'base64').toString('utf8'),
  };
}

const eventsFor = (name: string) =>
  events.filter((e) => JSON.parse(e.Detail).Name === name).map((e) => JSON.parse(e.Detail).Status as string);

beforeAll(async () => {
  mwaa = await startMwaa(ctx, {
    targets,
    tokenRealFloorMs: 1_500,
    identityForAccessKey: (akid) => CALLERS[akid],
  });
  client = clientFor(DEFAULT_CREDENTIALS);
  aliceClient = clientFor(ALICE);
  await createAvailable('dev');
  mwaa.airflow('dev').addDag('export_dag');
});

afterAll(async () => {
  client?.destroy();
  aliceClient?.destroy();
  await mwaa?.close();
  ctx.clock.dispose();
});

describe('MWAA control plane', () => {
  it('creates an environment that becomes AVAILABLE on the clock and emits status events', async () => {
    const { Arn } = await client.send(new CreateEnvironmentCommand(createInput('created-env')));
    expect(Arn).toBe(`arn:aws:airflow:us-east-1:${ACCOUNT}:environment/created-env`);
    const first = await client.send(new GetEnvironmentCommand({ Name: 'created-env' }));
    expect(first.Environment?.Status).toBe('CREATING');
    const env = await waitForStatus('created-env', 'AVAILABLE');
    expect(env.AirflowVersion).toBe('2.10.3');
    expect(env.WebserverUrl).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(env.CreatedAt).toBeInstanceOf(Date);
    expect(env.LastUpdate?.Status).toBe('SUCCESS');
    expect(env.NetworkConfiguration?.SubnetIds).toEqual(['subnet-a', 'subnet-b']);
    expect(eventsFor('created-env')).toEqual(['CREATING', 'AVAILABLE']);
    const event = events.find((e) => JSON.parse(e.Detail).Name === 'created-env');
    expect(event).toMatchObject({
      Source: 'aws.airflow',
      DetailType: 'MWAA Environment Status Change',
      Resources: [Arn],
    });
    const listed = await client.send(new ListEnvironmentsCommand({}));
    expect(listed.Environments).toEqual(expect.arrayContaining(['created-env', 'dev']));
  });

  it('answers bad input with the errors MWAA returns', async () => {
    await expect(
      client.send(new CreateEnvironmentCommand(createInput('bad-version', '2.6.3'))),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
    const { ExecutionRoleArn: _omitted, ...missingRole } = createInput('missing-role');
    await expect(
      client.send(new CreateEnvironmentCommand(missingRole as CreateEnvironmentCommandInput)),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("'executionRoleArn'"),
    });
    await expect(client.send(new CreateEnvironmentCommand(createInput('dev')))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('already exists'),
    });
    await expect(
      client.send(new CreateEnvironmentCommand(createInput('9-starts-with-digit'))),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(client.send(new GetEnvironmentCommand({ Name: 'nobody-home' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    expect(mwaa.environments().map((e) => e.name)).not.toContain('bad-version');
  });

  it('surfaces an injected ServiceUnavailableException through the SDK', async () => {
    // MWAA's model has no ThrottlingException (faults.inject refuses it); this is a 5xx it defines.
    ctx.faults.inject({ service: 'mwaa', operation: 'GetEnvironment', error: 'ServiceUnavailableException' });
    await expect(client.send(new GetEnvironmentCommand({ Name: 'dev' }))).rejects.toMatchObject({
      name: 'ServiceUnavailableException',
      $metadata: { httpStatusCode: 503 },
    });
    const after = await client.send(new GetEnvironmentCommand({ Name: 'dev' }));
    expect(after.Environment?.Status).toBe('AVAILABLE');
  });

  it('updates in place (UPDATING → AVAILABLE) and upgrades through CREATING_SNAPSHOT', async () => {
    await createAvailable('upgrade-me', '2.10.3');
    await client.send(new UpdateEnvironmentCommand({ Name: 'upgrade-me', MaxWorkers: 5 }));
    await expect(
      client.send(new UpdateEnvironmentCommand({ Name: 'upgrade-me', MaxWorkers: 6 })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
    const updated = await waitForStatus('upgrade-me', 'AVAILABLE');
    expect(updated.MaxWorkers).toBe(5);

    mwaa.airflow('upgrade-me').addDag('keep_me');
    mwaa.airflow('upgrade-me').triggerDagRun('keep_me', { runId: 'before-upgrade' });
    await client.send(new UpdateEnvironmentCommand({ Name: 'upgrade-me', AirflowVersion: '2.11.0' }));
    const upgraded = await waitForStatus('upgrade-me', 'AVAILABLE');
    expect(upgraded.AirflowVersion).toBe('2.11.0');
    const history = mwaa.environments().find((e) => e.name === 'upgrade-me')?.history;
    expect(history).toEqual([
      'CREATING',
      'AVAILABLE',
      'UPDATING',
      'AVAILABLE',
      'UPDATING',
      'CREATING_SNAPSHOT',
      'UPDATING',
      'AVAILABLE',
    ]);
    expect(eventsFor('upgrade-me')).toEqual(history);
    expect(
      mwaa
        .airflow('upgrade-me')
        .dagRuns('keep_me')
        .map((r) => r.run_id),
    ).toEqual(['before-upgrade']);
  });

  it('refuses a version change MWAA does not allow', async () => {
    await expect(
      client.send(new UpdateEnvironmentCommand({ Name: 'dev', AirflowVersion: '3.0.6' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('2.11'),
    });
  });

  it('migrates the metadata store when upgrading from 2.11 to 3.x', async () => {
    await createAvailable('to-three', '2.11.0');
    const airflow = mwaa.airflow('to-three');
    airflow.addDag('carried');
    airflow.triggerDagRun('carried', { runId: 'old-run' });
    expect(airflow.store.columns('dag_run')).toContain('execution_date');
    await client.send(new UpdateEnvironmentCommand({ Name: 'to-three', AirflowVersion: '3.0.6' }));
    await waitForStatus('to-three', 'AVAILABLE');
    const columns = airflow.store.columns('dag_run');
    expect(columns).toContain('logical_date');
    expect(columns).not.toContain('execution_date');
    expect(columns).not.toContain('external_trigger');
    expect(airflow.dagRuns('carried')[0]?.logical_date).toEqual(expect.any(String));
  });

  it('rolls back to UPDATE_FAILED or ends UNAVAILABLE when a failure is injected', async () => {
    await createAvailable('rollback-env', '2.10.1');
    mwaa.failNext('rollback-env', 'ROLLBACK');
    await client.send(new UpdateEnvironmentCommand({ Name: 'rollback-env', AirflowVersion: '2.10.3' }));
    const failed = await waitForStatus('rollback-env', 'UPDATE_FAILED');
    expect(failed.AirflowVersion).toBe('2.10.1');
    expect(failed.LastUpdate?.Status).toBe('FAILED');
    expect(failed.LastUpdate?.Error?.ErrorMessage).toEqual(expect.any(String));
    expect(eventsFor('rollback-env').slice(-2)).toEqual(['ROLLING_BACK', 'UPDATE_FAILED']);

    mwaa.failNext('rollback-env', 'UNAVAILABLE');
    await client.send(new UpdateEnvironmentCommand({ Name: 'rollback-env', MinWorkers: 2 }));
    const broken = await waitForStatus('rollback-env', 'UNAVAILABLE');
    expect(broken.MinWorkers).toBe(1);
    expect(eventsFor('rollback-env').slice(-3)).toEqual(['UPDATING', 'ROLLING_BACK', 'UNAVAILABLE']);
  });

  it('ends in CREATE_FAILED when the creation failure is injected', async () => {
    mwaa.failNext('doomed', 'CREATE_FAILED');
    await client.send(new CreateEnvironmentCommand(createInput('doomed')));
    const env = await waitForStatus('doomed', 'CREATE_FAILED');
    expect(env.LastUpdate?.Error?.ErrorCode).toEqual(expect.any(String));
    expect(eventsFor('doomed')).toEqual(['CREATING', 'CREATE_FAILED']);
  });

  it('deletes an environment: DELETING, then ResourceNotFoundException', async () => {
    await createAvailable('short-lived');
    await client.send(new DeleteEnvironmentCommand({ Name: 'short-lived' }));
    expect((await client.send(new GetEnvironmentCommand({ Name: 'short-lived' }))).Environment?.Status).toBe(
      'DELETING',
    );
    const deadline = Date.now() + 5_000;
    let error: unknown;
    while (!error && Date.now() < deadline) {
      error = await client.send(new GetEnvironmentCommand({ Name: 'short-lived' })).then(
        () => undefined,
        (e: unknown) => e,
      );
      await realSleep(40);
    }
    expect(error).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(eventsFor('short-lived').slice(-2)).toEqual(['DELETING', 'DELETED']);
  });
});

describe('InvokeRestApi', () => {
  it('calls the Airflow 2 REST API and reports a duplicate run id as a 409 RestApiClientException', async () => {
    const dags = await invokeRestApi('dev', { Path: '/dags', Method: 'GET' });
    expect(dags.status).toBe(200);
    expect(dags.body.RestApiStatusCode).toBe(200);
    expect(dags.body.RestApiResponse).toMatchObject({
      dags: [expect.objectContaining({ dag_id: 'export_dag', is_paused: false })],
      total_entries: 1,
    });

    const trigger = {
      Path: '/dags/export_dag/dagRuns',
      Method: 'POST',
      Body: { dag_run_id: 'rest-run-1', conf: { bucket: 'b' } },
    };
    const first = await invokeRestApi('dev', trigger);
    expect(first.body.RestApiStatusCode).toBe(200);
    expect(first.body.RestApiResponse).toMatchObject({
      dag_run_id: 'rest-run-1',
      state: 'queued',
      external_trigger: true,
      conf: { bucket: 'b' },
      execution_date: expect.any(String),
    });

    const second = await invokeRestApi('dev', trigger);
    expect(second.status).toBe(400);
    expect(second.errorType).toBe('RestApiClientException');
    expect(second.body.RestApiStatusCode).toBe(409);
    expect(second.body.RestApiResponse).toMatchObject({
      status: 409,
      title: 'Conflict',
      detail: expect.stringContaining('rest-run-1'),
    });

    const run = await mwaa.airflow('dev').waitForRun('export_dag', 'rest-run-1');
    expect(run.state).toBe('success');
    const listed = await invokeRestApi('dev', {
      Path: '/dags/export_dag/dagRuns',
      Method: 'GET',
      QueryParameters: { state: 'success' },
    });
    expect(listed.body.RestApiResponse).toMatchObject({
      dag_runs: [expect.objectContaining({ dag_run_id: 'rest-run-1' })],
    });
    const tis = await invokeRestApi('dev', {
      Path: '/dags/export_dag/dagRuns/rest-run-1/taskInstances',
      Method: 'GET',
    });
    expect(tis.body.RestApiResponse).toMatchObject({
      task_instances: [expect.objectContaining({ state: 'success', try_number: 1 })],
    });
  });

  it('returns 404 for an unknown DAG and keeps variables, connections and pools', async () => {
    const missing = await invokeRestApi('dev', { Path: '/dags/nope/dagRuns', Method: 'POST', Body: {} });
    expect(missing.body).toMatchObject({
      RestApiStatusCode: 404,
      RestApiResponse: { title: 'DAG not found' },
    });

    await invokeRestApi('dev', {
      Path: '/variables',
      Method: 'POST',
      Body: { key: 'region', value: 'eu-west-1' },
    });
    await invokeRestApi('dev', {
      Path: '/variables/region',
      Method: 'PATCH',
      Body: { key: 'region', value: 'us-east-1' },
    });
    expect(mwaa.airflow('dev').variables()).toMatchObject({ region: 'us-east-1' });
    const deleted = await invokeRestApi('dev', { Path: '/variables/region', Method: 'DELETE' });
    expect(deleted.body.RestApiStatusCode).toBe(204);
    expect(mwaa.airflow('dev').variables()).toEqual({});

    await invokeRestApi('dev', {
      Path: '/connections',
      Method: 'POST',
      Body: { connection_id: 'db', conn_type: 'postgres', host: 'h', password: 's3cret' },
    });
    const conn = await invokeRestApi('dev', { Path: '/connections/db', Method: 'GET' });
    expect(conn.body.RestApiResponse).toMatchObject({
      connection_id: 'db',
      conn_type: 'postgres',
      host: 'h',
    });
    expect(conn.body.RestApiResponse).not.toHaveProperty('password');
    expect(mwaa.airflow('dev').connections()[0]).toMatchObject({ conn_id: 'db', password: 's3cret' });

    await invokeRestApi('dev', { Path: '/pools', Method: 'POST', Body: { name: 'exports', slots: 3 } });
    const pools = await invokeRestApi('dev', { Path: '/pools', Method: 'GET' });
    expect(pools.body.RestApiResponse).toMatchObject({ total_entries: 2 });
    const defaultPool = await invokeRestApi('dev', { Path: '/pools/default_pool', Method: 'DELETE' });
    expect(defaultPool.body.RestApiStatusCode).toBe(400);
  });

  it('requires a SigV4 signature scoped to airflow', async () => {
    const unsigned = await invokeRestApi('dev', { Path: '/dags', Method: 'GET' }, { unsigned: true });
    expect(unsigned.status).toBe(403);
    expect(unsigned.errorType).toBe('MissingAuthenticationTokenException');
    const wrongService = await invokeRestApi(
      'dev',
      { Path: '/dags', Method: 'GET' },
      { service: 'execute-api' },
    );
    expect(wrongService.status).toBe(403);
    const unknown = await invokeRestApi('nobody-home', { Path: '/dags', Method: 'GET' });
    expect(unknown.errorType).toBe('ResourceNotFoundException');
  });

  it("applies the caller's Airflow role: a Viewer reads but cannot trigger", async () => {
    const read = await invokeRestApi('dev', { Path: '/dags', Method: 'GET' }, { credentials: BOB });
    expect(read.body.RestApiStatusCode).toBe(200);
    const write = await invokeRestApi(
      'dev',
      { Path: '/dags/export_dag/dagRuns', Method: 'POST', Body: { dag_run_id: 'by-viewer' } },
      { credentials: BOB },
    );
    expect(write.errorType).toBe('RestApiClientException');
    expect(write.body.RestApiStatusCode).toBe(403);
    expect(
      mwaa
        .airflow('dev')
        .dagRuns('export_dag')
        .map((r) => r.run_id),
    ).not.toContain('by-viewer');
  });

  it('serves /api/v2 on Airflow 3, where triggering needs logical_date (null allowed)', async () => {
    await createAvailable('three', '3.0.6');
    mwaa.airflow('three').addDag('export_dag');
    const withoutDate = await invokeRestApi('three', {
      Path: '/dags/export_dag/dagRuns',
      Method: 'POST',
      Body: { dag_run_id: 'v3-run' },
    });
    expect(withoutDate.errorType).toBe('RestApiClientException');
    expect(withoutDate.body.RestApiStatusCode).toBe(422);
    const ok = await invokeRestApi('three', {
      Path: '/dags/export_dag/dagRuns',
      Method: 'POST',
      Body: { dag_run_id: 'v3-run', logical_date: null, conf: {} },
    });
    expect(ok.body.RestApiStatusCode).toBe(200);
    expect(ok.body.RestApiResponse).toMatchObject({
      dag_run_id: 'v3-run',
      logical_date: null,
      state: 'queued',
    });
    expect(ok.body.RestApiResponse).not.toHaveProperty('external_trigger');
    const again = await invokeRestApi('three', {
      Path: '/dags/export_dag/dagRuns',
      Method: 'POST',
      Body: { dag_run_id: 'v3-run', logical_date: null },
    });
    expect(again.body.RestApiStatusCode).toBe(409);

    const host = mwaa.environments().find((e) => e.name === 'three')?.webServerHostname as string;
    const { CliToken } = await client.send(new CreateCliTokenCommand({ Name: 'three' }));
    const cliRun = await cli(host, CliToken as string, 'dags trigger export_dag -r v3-cli -o json');
    const [shaped] = JSON.parse(cliRun.stdout) as Array<Record<string, unknown>>;
    expect(shaped).toMatchObject({
      dag_run_id: 'v3-cli',
      triggered_by: 'cli',
      logical_date: expect.any(String),
    });
    expect(shaped).not.toHaveProperty('external_trigger');

    const v1 = await fetch(`${webServerUrl(host)}/api/v1/dags`);
    expect(v1.status).toBe(404);
    const v2 = await fetch(`${webServerUrl(host)}/api/v2/dags`);
    expect(v2.status).toBe(401);
  });
});

describe('Airflow CLI endpoint', () => {
  it('runs dags trigger with shell quoting and answers base64 stdout/stderr as MWAA does', async () => {
    const { CliToken, WebServerHostname } = await client.send(new CreateCliTokenCommand({ Name: 'dev' }));
    const token = CliToken as string;
    const host = WebServerHostname as string;
    const result = await cli(
      host,
      token,
      `dags trigger export_dag -r cli-run-1 -c '{"key": "a b", "n": 1}' -o json`,
    );
    expect(result.status).toBe(200);
    expect(result.stderr).toMatch(/Warning/);
    const [run] = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(run).toMatchObject({
      dag_id: 'export_dag',
      dag_run_id: 'cli-run-1',
      conf: { key: 'a b', n: 1 },
      external_trigger: 'True',
      state: 'queued',
    });

    const duplicate = await cli(host, token, 'dags trigger export_dag -r cli-run-1 -o json');
    expect(duplicate.status).toBe(200);
    expect(duplicate.stdout).toBe('');
    expect(duplicate.stderr).toContain('DagRunAlreadyExists');

    const list = JSON.parse((await cli(host, token, 'dags list -o json')).stdout) as Array<
      Record<string, unknown>
    >;
    expect(list).toEqual([expect.objectContaining({ dag_id: 'export_dag', paused: 'False' })]);
    expect((await cli(host, token, 'dags pause export_dag')).stdout).toContain('paused: True');
    expect((await cli(host, token, 'dags unpause export_dag')).stdout).toContain('paused: False');
    const runs = JSON.parse((await cli(host, token, 'dags list-runs -d export_dag -o json')).stdout) as Array<
      Record<string, unknown>
    >;
    expect(runs.map((r) => r.run_id)).toContain('cli-run-1');
    expect((await cli(host, token, 'version')).stdout.trim()).toBe('2.10.3');
    mwaa.airflow('dev').setVariable('answer', '42');
    expect(JSON.parse((await cli(host, token, 'variables list -o json')).stdout)).toEqual([
      { key: 'answer' },
    ]);
  });

  it('answers 403 to a bad or expired CLI token', async () => {
    const { CliToken, WebServerHostname } = await client.send(new CreateCliTokenCommand({ Name: 'dev' }));
    expect((await cli(WebServerHostname as string, 'not-a-token', 'version')).status).toBe(403);
    await realSleep(1_600); // past both 60 emulated seconds and the 1.5 s real floor
    expect((await cli(WebServerHostname as string, CliToken as string, 'version')).status).toBe(403);
  });
});

describe('Web login', () => {
  it('logs the caller in once with a fresh token, as the user and role of their IAM session', async () => {
    const login = await aliceClient.send(new CreateWebLoginTokenCommand({ Name: 'dev' }));
    expect(login.IamIdentity).toBe('assumed-role/mwaa-dev-Op/alice@example.com');
    expect(login.AirflowIdentity).toBe('assumed-role/mwaa-dev-Op/alice@example.com');
    const base = webServerUrl(login.WebServerHostname as string);

    const landing = await fetch(`${base}/aws_mwaa/aws-console-sso?login=true`);
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain('location.hash');

    const post = (token: string) =>
      fetch(`${base}/aws_mwaa/aws-console-sso`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
        redirect: 'manual',
      });
    const signedIn = await post(login.WebToken as string);
    expect(signedIn.status).toBe(302);
    expect(signedIn.headers.get('location')).toBe('/home');
    const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const home = await fetch(`${base}/home`, { headers: { cookie } });
    const html = await home.text();
    expect(html).toContain('alice@example.com');
    expect(html).toMatch(/id="role">Op</);

    expect((await post(login.WebToken as string)).status).toBe(403); // single use
    const other = await client.send(new CreateWebLoginTokenCommand({ Name: 'created-env' }));
    expect((await post(other.WebToken as string)).status).toBe(403); // minted for another environment

    const api = await fetch(`${base}/api/v1/dags`, { headers: { cookie } });
    expect(api.status).toBe(200);
  });

  it('falls back to the local administrator for unknown credentials', async () => {
    const login = await client.send(new CreateWebLoginTokenCommand({ Name: 'dev' }));
    expect(login.AirflowIdentity).toBe('user/local-admin');
  });
});

describe('DAG runs on the clock', () => {
  it('fails a run of a DAG declared to fail and hands conf to a registered behaviour', async () => {
    const airflow = mwaa.airflow('dev');
    airflow.addDag('flaky', { fail: true, durationMs: 60_000, tasks: ['extract', 'load'] });
    airflow.triggerDagRun('flaky', { runId: 'f1' });
    const failed = await airflow.waitForRun('flaky', 'f1');
    expect(failed.state).toBe('failed');
    expect(airflow.taskInstances('flaky', 'f1').map((t) => t.state)).toEqual(['failed', 'upstream_failed']);

    // A paused DAG's runs wait in the queue until it is unpaused.
    airflow.addDag('sleepy', { paused: true });
    airflow.triggerDagRun('sleepy', { runId: 's1' });
    await realSleep(150); // 300 emulated seconds, far past the queueing delay
    expect(airflow.dagRuns('sleepy')[0]?.state).toBe('queued');
    const unpaused = await invokeRestApi('dev', {
      Path: '/dags/sleepy',
      Method: 'PATCH',
      Body: { is_paused: false },
    });
    expect(unpaused.body.RestApiResponse).toMatchObject({ dag_id: 'sleepy', is_paused: false });
    expect((await airflow.waitForRun('sleepy', 's1')).state).toBe('success');

    const seen: unknown[] = [];
    mwaa.dagBehaviours.register(/^behaves_/, async ({ conf }) => {
      seen.push(conf);
      return 'success' as const;
    });
    airflow.addDag('behaves_well');
    airflow.triggerDagRun('behaves_well', { runId: 'b1', conf: { taskToken: 't' } });
    expect((await airflow.waitForRun('behaves_well', 'b1')).state).toBe('success');
    expect(seen).toEqual([{ taskToken: 't' }]);
    expect(Object.keys(airflow.dump())).toEqual([
      'dag',
      'dag_run',
      'task_instance',
      'log',
      'variable',
      'connection',
      'slot_pool',
    ]);
  });
});
