/**
 * The local cloud core on a fixture template: S3 and DynamoDB through unchanged SDK v3 clients,
 * S3 notifications to a function, the Lambda runtime (context, timeouts, async retries and
 * destinations), fault injection, and a state machine built from the template.
 */

import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LambdaInvokeError, LambdaServiceError, type LocalCloud, startLocalCloud } from '../../index.ts';

const templatePath = new URL('../../../test/integration/fixtures/cloud-template.yaml', import.meta.url)
  .pathname;

let cloud: LocalCloud;
let s3: S3Client;
let dynamodb: DynamoDBClient;
let bucket: string;
let table: string;

/** Poll until `probe` returns a value (emulated services deliver asynchronously). */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  // Async retries wait 1 and 2 emulated minutes; at 1000x that is 60 and 120 ms.
  cloud = await startLocalCloud({ templatePath, clockSpeed: 1000 });
  // Clients get nothing but what a handler gets: region and credentials from the cloud's env.
  const config = {
    region: cloud.env.AWS_REGION,
    credentials: {
      accessKeyId: cloud.env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: cloud.env.AWS_SECRET_ACCESS_KEY as string,
    },
    maxAttempts: 1,
  };
  s3 = new S3Client({ ...config, endpoint: cloud.env.AWS_ENDPOINT_URL_S3 });
  dynamodb = new DynamoDBClient({ ...config, endpoint: cloud.env.AWS_ENDPOINT_URL_DYNAMODB });
  bucket = cloud.ref('UploadBucket');
  table = cloud.ref('RecordTable');
}, 30_000);

afterAll(async () => {
  s3?.destroy();
  dynamodb?.destroy();
  await cloud?.stop();
});

describe('startLocalCloud', () => {
  it('serves every endpoint on 127.0.0.1 and hands out region and dummy credentials', () => {
    for (const key of ['S3', 'DYNAMODB', 'LAMBDA', 'SFN', 'STS', 'SNS', 'SQS', 'EVENTBRIDGE', 'SCHEDULER']) {
      expect(cloud.env[`AWS_ENDPOINT_URL_${key}`]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
    expect(cloud.env).toMatchObject({
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    });
  });

  it('gives functions their resolved template environment', () => {
    expect(cloud.functionEnv('ContextProbeFunction')).toEqual({
      RECORD_TABLE_NAME: table,
      STAGE: 'test',
      ALERT_TOPIC_ARN: cloud.ref('AlertTopic'),
      BUCKET_NAME: bucket,
      ROLE_ARN: expect.stringMatching(/^arn:aws:iam::000000000000:role\/mwaa-ops-ProbeRole-[A-Z0-9]{12}$/),
      QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/mwaa-ops-failures',
      MODE: 'test-mode',
    });
  });

  it('serves MWAA/Airflow and the ALB beside the template’s services', () => {
    expect(cloud.env.AWS_ENDPOINT_URL_MWAA).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(() => cloud.airflow('no-such-env')).toThrow(/no-such-env/);
    expect(cloud.alb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cloud.alb.publicKeyEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
  });
});

describe('S3 (s3rver behind the proxy)', () => {
  it('puts, gets, heads, lists and deletes objects', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'crud/one.json',
        Body: '{"a":1}',
        ContentType: 'application/json',
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'crud/one.json' }));
    expect(await got.Body?.transformToString()).toBe('{"a":1}');
    expect(got.ContentType).toBe('application/json');
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'crud/one.json' }));
    expect(head.ContentLength).toBe(7);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'crud/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['crud/one.json']);
    expect(listed.KeyCount).toBe(1);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'crud/one.json' }));
    const after = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'crud/' }));
    expect(after.Contents ?? []).toEqual([]);
  });

  it('pages listings with continuation tokens (no OpenSSL legacy provider needed)', async () => {
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: `paged/${i}.txt`, Body: String(i) })),
      ),
    );
    const pages: string[][] = [];
    for await (const page of paginateListObjectsV2(
      { client: s3, pageSize: 2 },
      { Bucket: bucket, Prefix: 'paged/' },
    )) {
      pages.push((page.Contents ?? []).map((o) => o.Key as string));
    }
    expect(pages).toEqual([['paged/0.txt', 'paged/1.txt'], ['paged/2.txt', 'paged/3.txt'], ['paged/4.txt']]);
  });

  it('stores streamed (aws-chunked) uploads without the chunk framing', async () => {
    const { Readable } = await import('node:stream');
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'stream/body.txt',
        Body: Readable.from([Buffer.from('streamed '), Buffer.from('body')]),
        ContentLength: 13,
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'stream/body.txt' }));
    expect(await got.Body?.transformToString()).toBe('streamed body');
  });

  it('answers a missing key with NoSuchKey, as S3 does', async () => {
    const error = await s3
      .send(new GetObjectCommand({ Bucket: bucket, Key: 'missing.txt' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoSuchKey);
    expect((error as NoSuchKey).$metadata.httpStatusCode).toBe(404);
  });

  it('delivers an upload to the notified function with the key encoded as S3 encodes it', async () => {
    const key = 'dir/a file ü+%.txt';
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'hello' }));
    const encoded = 'dir/a+file+%C3%BC%2B%25.txt';
    const item = await eventually(async () => {
      const { Item } = await dynamodb.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: 'upload' }, sk: { S: encoded } } }),
      );
      return Item;
    });
    const record = JSON.parse(item.record?.S as string);
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventName: 'ObjectCreated:Put',
      s3: {
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { key: encoded, size: 5, eTag: '5d41402abc4b2a76b9719d911017c592' },
      },
    });
    expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]{16,}$/);
    // The bucket is versioned: the event names the version the PutObject response announced.
    expect(put.VersionId).toMatch(/^[\w.]{32}$/);
    expect(record.s3.object.versionId).toBe(put.VersionId);
    expect(decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '))).toBe(key);
  });

  it('applies the notification prefix filter to the decoded key', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'other/x.txt', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/after.txt', Body: 'x' }));
    await eventually(async () => {
      const { Item } = await dynamodb.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: 'upload' }, sk: { S: 'dir/after.txt' } } }),
      );
      return Item;
    });
    const { Item } = await dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'upload' }, sk: { S: 'other/x.txt' } } }),
    );
    expect(Item).toBeUndefined();
  });

  it('sends Object Created to EventBridge when the bucket enables it', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'eb/report.csv', Body: 'a,b' }));
    const event = await eventually(async () =>
      cloud.events
        .events()
        .find((e) => (e.detail as { object?: { key?: string } })?.object?.key === 'eb/report.csv'),
    );
    expect(event).toMatchObject({
      source: 'aws.s3',
      'detail-type': 'Object Created',
      resources: [`arn:aws:s3:::${bucket}`],
      detail: { bucket: { name: bucket }, object: { key: 'eb/report.csv', size: 3 }, reason: 'PutObject' },
    });
  });

  it('surfaces an injected SlowDown as the SDK error S3 would cause', async () => {
    // S3 really sends SlowDown, but its model does not define it: the SDK's base exception.
    cloud.faults.inject({ service: 's3', operation: 'PutObject', error: 'SlowDown', unmodeled: true });
    const error = await s3
      .send(new PutObjectCommand({ Bucket: bucket, Key: 'faulted.txt', Body: 'x' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3ServiceException);
    expect((error as S3ServiceException).name).toBe('SlowDown');
    expect((error as S3ServiceException).$metadata.httpStatusCode).toBe(503);
    // One call only: the next one succeeds.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'faulted.txt', Body: 'x' }));
  });
});

describe('DynamoDB (dynalite behind the proxy)', () => {
  it('puts, gets and queries a global secondary index', async () => {
    await dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'q#1' }, sk: { S: 'a' }, kind: { S: 'query-test' } },
      }),
    );
    await dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'q#2' }, sk: { S: 'b' }, kind: { S: 'query-test' } },
      }),
    );
    const { Item } = await dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'q#1' }, sk: { S: 'a' } } }),
    );
    expect(Item?.kind?.S).toBe('query-test');
    const { Items } = await dynamodb.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'byKind',
        KeyConditionExpression: 'kind = :k',
        ExpressionAttributeValues: { ':k': { S: 'query-test' } },
      }),
    );
    expect(Items?.map((i) => i.pk?.S)).toEqual(['q#1', 'q#2']);
  });

  it('fails a conditional write with ConditionalCheckFailedException', async () => {
    const put = () =>
      dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'lock' }, sk: { S: 'env' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put();
    await expect(put()).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  it('surfaces an injected ProvisionedThroughputExceededException', async () => {
    cloud.faults.inject({
      service: 'dynamodb',
      operation: 'PutItem',
      error: 'ProvisionedThroughputExceededException',
    });
    const error = await dynamodb
      .send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'x' }, sk: { S: 'y' } } }))
      .catch((e: unknown) => e as Error & { $metadata: { httpStatusCode: number } });
    expect((error as Error).name).toBe('ProvisionedThroughputExceededException');
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
  });
});

describe('Lambda runtime', () => {
  it('passes a Lambda-like context and keeps the module warm between invocations', async () => {
    const first = (await cloud.invoke('ContextProbeFunction', {})) as Record<string, unknown>;
    const second = (await cloud.invoke('ContextProbeFunction', {})) as Record<string, unknown>;
    expect(first).toMatchObject({
      functionName: 'mwaa-ops-probe',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:mwaa-ops-probe',
      memoryLimitInMB: '512',
      logGroupName: '/aws/lambda/mwaa-ops-probe',
      env: {
        STAGE: 'test',
        OPTIONAL: null,
        AWS_LAMBDA_FUNCTION_NAME: 'mwaa-ops-probe',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
        AWS_ENDPOINT_URL_DYNAMODB: cloud.env.AWS_ENDPOINT_URL_DYNAMODB,
      },
    });
    expect(first.awsRequestId).not.toBe(second.awsRequestId);
    expect(second.invocations).toBe((first.invocations as number) + 1);
    expect(first.remainingMs).toBeGreaterThan(0);
    expect(first.remainingMs).toBeLessThanOrEqual(1000);
    expect(cloud.logs('ContextProbeFunction').some((line) => line.includes('"probe invoked"'))).toBe(true);
  });

  it("reports a thrown error as Lambda's errorType/errorMessage", async () => {
    const error = await cloud.invoke('ContextProbeFunction', { fail: 'bad input' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LambdaInvokeError);
    expect(error).toMatchObject({ errorType: 'ProbeError', errorMessage: 'bad input' });
  });

  it('stops an invocation at its timeout with "Task timed out"', async () => {
    const error = await cloud.invoke('ContextProbeFunction', { sleepMs: 3000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LambdaInvokeError);
    expect((error as LambdaInvokeError).errorType).toBe('Sandbox.Timedout');
    expect((error as LambdaInvokeError).errorMessage).toMatch(/Task timed out after 1\.00 seconds$/);
    // The environment was replaced: the next invocation is a cold start, and it works.
    const next = (await cloud.invoke('ContextProbeFunction', {})) as { invocations: number };
    expect(next.invocations).toBe(1);
  });

  it('surfaces an injected Lambda service error, then invokes normally', async () => {
    cloud.faults.inject({
      service: 'lambda',
      operation: 'Invoke',
      error: 'TooManyRequestsException',
      status: 429,
    });
    const error = await cloud.invoke('ContextProbeFunction', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LambdaServiceError);
    expect(error).toMatchObject({
      name: 'TooManyRequestsException',
      $fault: 'client',
      $metadata: { httpStatusCode: 429 },
    });
    await expect(cloud.invoke('ContextProbeFunction', {})).resolves.toMatchObject({
      functionName: 'mwaa-ops-probe',
    });
  });

  it('retries a failing asynchronous invocation, then sends the failure record to its SQS destination', async () => {
    cloud.invokeAsync('FlakyFunction', { id: 'async-1' });
    await cloud.settled();
    const { Item } = await dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'attempts' }, sk: { S: 'async-1' } } }),
    );
    expect(Item?.attempts?.N).toBe('3');
    const queueArn = cloud.model.queues.find((q) => q.logicalId === 'FailureQueue')?.arn as string;
    const messages = cloud.sqs.messages(queueArn).map((m) => JSON.parse(m.body));
    const record = messages.find((m) => m.requestPayload?.id === 'async-1');
    expect(record).toMatchObject({
      version: '1.0',
      requestContext: {
        functionArn: `${cloud.model.functions.find((f) => f.logicalId === 'FlakyFunction')?.arn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { id: 'async-1' },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'FlakyError', errorMessage: 'always fails (async-1)' },
    });
  });
});

describe('Lambda API', () => {
  it('invokes through @aws-sdk/client-lambda: payload, function error, log tail, async and missing function', async () => {
    const lambda = new LambdaClient({
      region: cloud.env.AWS_REGION,
      endpoint: cloud.env.AWS_ENDPOINT_URL_LAMBDA,
      credentials: {
        accessKeyId: cloud.env.AWS_ACCESS_KEY_ID,
        secretAccessKey: cloud.env.AWS_SECRET_ACCESS_KEY,
      },
      maxAttempts: 1,
    });
    try {
      const ok = await lambda.send(
        new InvokeCommand({ FunctionName: 'mwaa-ops-probe', Payload: JSON.stringify({}), LogType: 'Tail' }),
      );
      expect(ok.StatusCode).toBe(200);
      expect(ok.FunctionError).toBeUndefined();
      expect(JSON.parse(new TextDecoder().decode(ok.Payload))).toMatchObject({
        functionName: 'mwaa-ops-probe',
      });
      expect(Buffer.from(ok.LogResult ?? '', 'base64').toString()).toMatch(
        /START RequestId: .*REPORT RequestId/s,
      );

      const failed = await lambda.send(
        new InvokeCommand({ FunctionName: 'mwaa-ops-probe', Payload: JSON.stringify({ fail: 'nope' }) }),
      );
      expect(failed.FunctionError).toBe('Unhandled');
      expect(JSON.parse(new TextDecoder().decode(failed.Payload))).toMatchObject({
        errorType: 'ProbeError',
        errorMessage: 'nope',
      });

      const queued = await lambda.send(
        new InvokeCommand({ FunctionName: 'mwaa-ops-probe', InvocationType: 'Event', Payload: '{}' }),
      );
      expect(queued.StatusCode).toBe(202);

      await expect(
        lambda.send(new InvokeCommand({ FunctionName: 'missing', Payload: '{}' })),
      ).rejects.toBeInstanceOf(ResourceNotFoundException);
    } finally {
      lambda.destroy();
    }
  });
});

describe('Step Functions from the template', () => {
  it('runs the fixture state machine with its DefinitionSubstitutions resolved', async () => {
    const arn = await cloud.startExecution('PipelineStateMachine', { from: 'test' }, 'pipeline-run-1');
    const outcome = await cloud.waitForExecution(arn, { timeoutMs: 20_000 });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toMatchObject({
      from: 'test',
      probe: { functionName: 'mwaa-ops-probe', stage: 'test' },
    });
    const { Item } = await dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'pipeline' }, sk: { S: 'pipeline-run-1' } } }),
    );
    expect(Item?.kind?.S).toBe('execution');
  }, 30_000);
});
