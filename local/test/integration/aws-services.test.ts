/**
 * The small AWS emulators (STS, SNS, SQS, EventBridge, Scheduler), each started on its own and
 * driven with the real SDK v3 client: answers and errors must be what the SDK expects from AWS.
 */
import { createHash } from 'node:crypto';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ResourceNotFoundException as EventsResourceNotFound,
  ThrottlingException as EventsThrottling,
  InvalidEventPatternException,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  ConflictException,
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ThrottlingException,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import {
  CreateTopicCommand,
  InvalidParameterException,
  ListTopicsCommand,
  NotFoundException,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  RequestThrottled,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { type Clock, createClock } from '../../core/clock.ts';
import { createFaultRegistry, type FaultRegistry } from '../../core/faults.ts';
import type { Targets } from '../../core/model.ts';
import type { ServiceContext } from '../../core/service.ts';
import { startEventBridge } from '../../eventbridge/index.ts';
import { startScheduler } from '../../scheduler/index.ts';
import { startSns } from '../../sns/index.ts';
import { startSqs } from '../../sqs/index.ts';
import { startSts } from '../../sts/index.ts';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

function clientConfig(endpoint: string) {
  return {
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    maxAttempts: 1,
  };
}

function context(clock: Clock = createClock()): ServiceContext & { faults: FaultRegistry } {
  return { clock, faults: createFaultRegistry(), region: REGION, accountId: ACCOUNT, log: () => {} };
}

/** A `Targets` that records every delivery instead of invoking anything. */
function recordingTargets() {
  const calls: Array<{ kind: string; target: string; payload: unknown; options?: unknown }> = [];
  const targets: Targets = {
    async invokeFunction(target, payload, options) {
      calls.push({ kind: 'invoke', target, payload, options });
      return undefined;
    },
    async startExecution(target, input) {
      calls.push({ kind: 'startExecution', target, payload: input });
      return `${target}:execution`;
    },
    async publish(target, message) {
      calls.push({ kind: 'publish', target, payload: message });
    },
    async sendMessage(target, body) {
      calls.push({ kind: 'sendMessage', target, payload: body });
    },
    async putEvents(entries) {
      calls.push({ kind: 'putEvents', target: 'events', payload: entries });
    },
    async deliver(target, payload) {
      calls.push({ kind: 'deliver', target, payload });
    },
  };
  return { targets, calls };
}

async function until(condition: () => boolean, timeoutMs = 3000) {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('STS emulator', () => {
  const ctx = context();
  let handle: Awaited<ReturnType<typeof startSts>>;
  let sts: STSClient;

  beforeAll(async () => {
    handle = await startSts(ctx);
    sts = new STSClient(clientConfig(handle.url));
  });
  afterAll(async () => {
    sts.destroy();
    await handle.close();
  });

  it('AssumeRole returns session credentials that expire after DurationSeconds on the emulated clock', async () => {
    const before = ctx.clock.now();
    const result = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/ops/AirflowAdmin`,
        RoleSessionName: 'alice@example.com',
        SourceIdentity: 'alice',
        DurationSeconds: 900,
      }),
    );
    expect(result.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(result.Credentials?.SecretAccessKey).toHaveLength(40);
    expect(result.Credentials?.SessionToken?.length).toBeGreaterThan(100);
    const expiresIn = (result.Credentials?.Expiration?.getTime() ?? 0) - before;
    expect(expiresIn).toBeGreaterThan(899_000);
    expect(expiresIn).toBeLessThan(902_000);
    expect(result.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/AirflowAdmin/alice@example.com`,
    );
    expect(result.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:alice@example\.com$/);
    expect(result.SourceIdentity).toBe('alice');
  });

  it('GetCallerIdentity answers for the base credentials and for assumed ones', async () => {
    const base = await sts.send(new GetCallerIdentityCommand({}));
    expect(base.Account).toBe(ACCOUNT);
    expect(base.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/local-cloud`);

    const assumed = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/Viewer`, RoleSessionName: 'bob' }),
    );
    const asBob = new STSClient({
      ...clientConfig(handle.url),
      credentials: {
        accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
        secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
        sessionToken: assumed.Credentials?.SessionToken ?? '',
      },
    });
    const identity = await asBob.send(new GetCallerIdentityCommand({}));
    asBob.destroy();
    expect(identity.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/Viewer/bob`);
    expect(identity.UserId).toBe(assumed.AssumedRoleUser?.AssumedRoleId);
  });

  it.each([
    ['a session name with a space', { RoleSessionName: 'alice smith' }, /roleSessionName/],
    ['a one-character session name', { RoleSessionName: 'a' }, /length between 2 and 64/],
    ['a 65-character session name', { RoleSessionName: 'a'.repeat(65) }, /length between 2 and 64/],
    ['a source identity starting with aws:', { SourceIdentity: 'aws:me' }, /aws:/],
    ['a duration under 900 seconds', { DurationSeconds: 899 }, /greater than or equal to 900/],
    ['a duration over 12 hours', { DurationSeconds: 43_201 }, /less than or equal to 43200/],
    ['a role ARN that is not a role', { RoleArn: `arn:aws:iam::${ACCOUNT}:user/alice` }, /invalid/],
  ])('AssumeRole rejects %s with ValidationError', async (_label, override, message) => {
    const error = await sts
      .send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/Viewer`,
          RoleSessionName: 'alice',
          ...override,
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    expect((error as Error).message).toMatch(message);
  });

  it('records every call for tests to count', () => {
    const assumeRoles = handle.calls().filter((call) => call.operation === 'AssumeRole');
    expect(assumeRoles.length).toBeGreaterThanOrEqual(9);
    expect(assumeRoles[0]?.params).toMatchObject({
      RoleSessionName: 'alice@example.com',
      DurationSeconds: '900',
    });
    expect(assumeRoles[0]?.params).not.toHaveProperty('Action');
  });

  it('answers an injected throttling fault in the awsQuery error shape', async () => {
    // STS throttles with the awsQuery common error `Throttling`, which its model does not define.
    ctx.faults.inject({ service: 'sts', operation: 'AssumeRole', error: 'Throttling', unmodeled: true });
    const error = await sts
      .send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/Viewer`, RoleSessionName: 'alice' }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 } });
  });
});

describe('SNS emulator', () => {
  const ctx = context();
  const { targets, calls } = recordingTargets();
  const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:mwaa-ops-notifications`;
  let handle: Awaited<ReturnType<typeof startSns>>;
  let sns: SNSClient;

  beforeAll(async () => {
    handle = await startSns(ctx, {
      topics: [
        {
          logicalId: 'NotificationTopic',
          name: 'mwaa-ops-notifications',
          arn: topicArn,
          subscriptions: [
            {
              protocol: 'sqs',
              endpoint: `arn:aws:sqs:${REGION}:${ACCOUNT}:alerts`,
              filterPolicy: { severity: ['critical'] },
            },
          ],
        },
      ],
      targets,
    });
    sns = new SNSClient(clientConfig(handle.url));
  });
  afterAll(async () => {
    sns.destroy();
    await handle.close();
  });
  afterEach(() => {
    calls.length = 0;
  });

  it('lists the template topics and creates new ones idempotently', async () => {
    const created = await sns.send(new CreateTopicCommand({ Name: 'extra' }));
    expect(created.TopicArn).toBe(`arn:aws:sns:${REGION}:${ACCOUNT}:extra`);
    expect((await sns.send(new CreateTopicCommand({ Name: 'extra' }))).TopicArn).toBe(created.TopicArn);
    const listed = await sns.send(new ListTopicsCommand({}));
    expect(listed.Topics?.map((topic) => topic.TopicArn)).toEqual([topicArn, created.TopicArn]);
  });

  it('records a published message and delivers it to Lambda subscribers as an SNS event', async () => {
    const functionArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:notify`;
    const sub = await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'lambda', Endpoint: functionArn }),
    );
    expect(sub.SubscriptionArn).toMatch(new RegExp(`^${topicArn}:[0-9a-f-]{36}$`));

    const published = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'Pause failed',
        Message: '{"environment":"prod"}',
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'warning' } },
      }),
    );
    expect(published.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(handle.messages(topicArn)).toEqual([
      expect.objectContaining({
        topicArn,
        message: '{"environment":"prod"}',
        subject: 'Pause failed',
        messageId: published.MessageId,
      }),
    ]);

    await until(() => calls.length > 0);
    expect(calls).toEqual([
      {
        kind: 'invoke',
        target: functionArn,
        options: { async: true },
        payload: {
          Records: [
            expect.objectContaining({
              EventSource: 'aws:sns',
              EventSubscriptionArn: sub.SubscriptionArn,
              Sns: expect.objectContaining({
                Type: 'Notification',
                MessageId: published.MessageId,
                TopicArn: topicArn,
                Subject: 'Pause failed',
                Message: '{"environment":"prod"}',
                MessageAttributes: { severity: { Type: 'String', Value: 'warning' } },
              }),
            }),
          ],
        },
      },
    ]);
    await sns.send(new UnsubscribeCommand({ SubscriptionArn: sub.SubscriptionArn }));
  });

  it('applies a subscription filter policy to message attributes', async () => {
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: 'disk full',
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'critical' } },
      }),
    );
    await until(() => calls.length > 0);
    expect(calls).toEqual([
      expect.objectContaining({ kind: 'sendMessage', target: `arn:aws:sqs:${REGION}:${ACCOUNT}:alerts` }),
    ]);
    expect(JSON.parse(calls[0]?.payload as string)).toMatchObject({
      Type: 'Notification',
      Message: 'disk full',
    });
  });

  it('answers NotFoundException for an unknown topic', async () => {
    const error = await sns
      .send(new PublishCommand({ TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:missing`, Message: 'x' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundException);
    expect(error).toMatchObject({ message: 'Topic does not exist', $metadata: { httpStatusCode: 404 } });
  });

  it.each([
    ['an empty message', { Message: '' }],
    ['a subject over 100 characters', { Message: 'x', Subject: 's'.repeat(101) }],
    ['a json structure without default', { Message: '{"sqs":"x"}', MessageStructure: 'json' }],
    ['a malformed topic ARN', { Message: 'x', TopicArn: 'not-an-arn' }],
  ])('answers InvalidParameterException for %s', async (_label, override) => {
    const error = await sns
      .send(new PublishCommand({ TopicArn: topicArn, ...override }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect((error as Error).message).toMatch(/^Invalid parameter/);
  });

  it('answers an injected fault in the awsQuery error shape, and in-process publish honours it too', async () => {
    ctx.faults.inject({ service: 'sns', operation: 'Publish', error: 'Throttled', times: 2 });
    const error = await sns
      .send(new PublishCommand({ TopicArn: topicArn, Message: 'x' }))
      .catch((e: unknown) => e);
    // The model's status for Throttled.
    expect(error).toMatchObject({ name: 'ThrottledException', $metadata: { httpStatusCode: 429 } });
    await expect(handle.publish(topicArn, 'x')).rejects.toMatchObject({ code: 'Throttled' });
    await expect(handle.publish(topicArn, 'after the fault', 'ok')).resolves.toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('SQS emulator', () => {
  const clock = createClock();
  const ctx = context(clock);
  const dlqArn = `arn:aws:sqs:${REGION}:${ACCOUNT}:trigger-dlq`;
  let handle: Awaited<ReturnType<typeof startSqs>>;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    handle = await startSqs(ctx, { queues: [{ logicalId: 'TriggerDlq', name: 'trigger-dlq', arn: dlqArn }] });
    sqs = new SQSClient(clientConfig(handle.url));
    queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'trigger-dlq' }))).QueueUrl ?? '';
  });
  afterAll(async () => {
    sqs.destroy();
    await handle.close();
  });

  it('names queues <endpoint>/<account>/<name>', () => {
    expect(queueUrl).toBe(`${handle.url}/${ACCOUNT}/trigger-dlq`);
  });

  it('sends and receives with correct MD5 digests (the SDK verifies them) and message attributes', async () => {
    const body = '{"requestContext":{"condition":"RetriesExhausted"},"note":"ünïcödé"}';
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageAttributes: { origin: { DataType: 'String', StringValue: 'lambda' } },
      }),
    );
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update(body, 'utf8').digest('hex'));
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);

    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    expect(received.Messages).toHaveLength(1);
    const [message] = received.Messages ?? [];
    expect(message).toMatchObject({
      MessageId: sent.MessageId,
      Body: body,
      MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
      MessageAttributes: { origin: { DataType: 'String', StringValue: 'lambda' } },
      Attributes: { ApproximateReceiveCount: '1' },
    });

    // In flight: not visible again until the visibility timeout passes.
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
    );
    expect(attributes.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
      QueueArn: dlqArn,
    });
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }))).Messages ?? []).toEqual([]);

    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message?.ReceiptHandle }));
    expect(handle.messages(dlqArn)).toEqual([]);
  });

  it('makes a message visible again after its visibility timeout', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'again' }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 0 }));
    const second = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageSystemAttributeNames: ['All'] }),
    );
    expect(second.Messages?.[0]?.MessageId).toBe(first.Messages?.[0]?.MessageId);
    expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    expect(handle.messages(dlqArn)).toEqual([]);
  });

  it('long-polls briefly and returns as soon as a message arrives', async () => {
    const started = Date.now();
    const receiving = sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5 }));
    setTimeout(() => handle.send(dlqArn, 'late arrival', { origin: 'test' }), 100);
    const received = await receiving;
    expect(received.Messages?.[0]?.Body).toBe('late arrival');
    expect(Date.now() - started).toBeLessThan(2000);
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
  });

  it('exposes in-process send and inspection for DLQ checks', async () => {
    handle.send(dlqArn, '{"failed":true}', { reason: 'timeout' });
    expect(handle.messages(dlqArn)).toEqual([{ body: '{"failed":true}', attributes: { reason: 'timeout' } }]);
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(attributes.Attributes).toEqual({ ApproximateNumberOfMessages: '1' });
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
    const source = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'source',
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
      }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: source.QueueUrl, MessageBody: 'poison' }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: source.QueueUrl, VisibilityTimeout: 0 }));
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: source.QueueUrl }));
    expect(again.Messages ?? []).toEqual([]);
    expect(handle.messages(dlqArn).map((m) => m.body)).toEqual(['poison']);
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
  });

  it('answers QueueDoesNotExist for unknown queues', async () => {
    const byName = await sqs.send(new GetQueueUrlCommand({ QueueName: 'missing' })).catch((e: unknown) => e);
    expect(byName).toBeInstanceOf(QueueDoesNotExist);
    const byUrl = await sqs
      .send(new SendMessageCommand({ QueueUrl: `${handle.url}/${ACCOUNT}/missing`, MessageBody: 'x' }))
      .catch((e: unknown) => e);
    expect(byUrl).toBeInstanceOf(QueueDoesNotExist);
    expect(byUrl).toMatchObject({
      message: 'The specified queue does not exist.',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('answers ReceiptHandleIsInvalid and parameter errors', async () => {
    const error = await sqs
      .send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: 'not-a-handle' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReceiptHandleIsInvalid);
    const tooMany = await sqs
      .send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 11 }))
      .catch((e: unknown) => e);
    expect(tooMany).toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
  });

  it('answers an injected fault through the SDK', async () => {
    // SQS's model throttles with RequestThrottled (HTTP 403); it has no ThrottlingException.
    ctx.faults.inject({ service: 'sqs', operation: 'SendMessage', error: 'RequestThrottled' });
    const error = await sqs
      .send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestThrottled);
    expect(error).toMatchObject({ name: 'RequestThrottled', $metadata: { httpStatusCode: 403 } });
  });
});

describe('EventBridge emulator', () => {
  const ctx = context(createClock(600));
  const { targets, calls } = recordingTargets();
  const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:notifications`;
  const functionArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:on-status`;
  let handle: Awaited<ReturnType<typeof startEventBridge>>;
  let events: EventBridgeClient;

  beforeAll(async () => {
    handle = await startEventBridge(ctx, {
      rules: [
        {
          logicalId: 'ExecutionFailedRule',
          name: 'execution-failed',
          arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/execution-failed`,
          eventBusName: 'default',
          enabled: true,
          eventPattern: {
            source: ['aws.states'],
            'detail-type': ['Step Functions Execution Status Change'],
            detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ suffix: ':Pause' }] },
          },
          targets: [
            { id: 'notify', arn: topicArn, inputPath: '$.detail' },
            { id: 'constant', arn: functionArn, input: '{"kind":"failure"}' },
          ],
        },
        {
          logicalId: 'AllUploads',
          name: 'uploads',
          arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/uploads`,
          eventBusName: 'default',
          enabled: false,
          eventPattern: { source: ['my.app'] },
          targets: [{ id: 'off', arn: functionArn }],
        },
      ],
      targets,
    });
    events = new EventBridgeClient(clientConfig(handle.url));
  });
  afterAll(async () => {
    events.destroy();
    await handle.close();
    ctx.clock.dispose();
  });
  afterEach(() => {
    calls.length = 0;
  });

  const statusChange = (status: string, machine = 'Pause') => ({
    Source: 'aws.states',
    DetailType: 'Step Functions Execution Status Change',
    Detail: JSON.stringify({
      status,
      stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${machine}`,
      executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:${machine}:run-1`,
    }),
  });

  it('delivers only matching events, shaped by each target', async () => {
    await handle.putEvents([
      statusChange('FAILED'),
      statusChange('SUCCEEDED'),
      statusChange('FAILED', 'Resume'),
    ]);
    await until(() => calls.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ kind: 'deliver', target: topicArn });
    expect(JSON.parse(calls[0]?.payload as string)).toMatchObject({ status: 'FAILED' });
    expect(calls[1]).toEqual({ kind: 'deliver', target: functionArn, payload: '{"kind":"failure"}' });
  });

  it('records full event envelopes', () => {
    const recorded = handle.events();
    expect(recorded).toHaveLength(3);
    expect(recorded[0]).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: ACCOUNT,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: REGION,
      resources: [],
      detail: expect.objectContaining({ status: 'FAILED' }),
    });
  });

  it('PutEvents validates each entry and reports FailedEntryCount', async () => {
    const result = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'mwaa-ops.test',
            DetailType: 'Upload',
            Detail: '{"key":"a.csv"}',
            Time: new Date('2026-01-01T00:00:00Z'),
          },
          { Source: 'mwaa-ops.test', DetailType: 'Upload', Detail: 'not json' },
          { Source: 'mwaa-ops.test', Detail: '{}' },
          { Source: 'aws.states', DetailType: 'Forged', Detail: '{}' },
          { Source: 'mwaa-ops.test', DetailType: 'Upload', Detail: '{}', EventBusName: 'nope' },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(4);
    expect(result.Entries?.[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.Entries?.slice(1).map((entry) => entry.ErrorCode)).toEqual([
      'MalformedDetail',
      'InvalidArgument',
      'NotAuthorizedForSourceException',
      'ResourceNotFoundException',
    ]);
    expect(handle.events().at(-1)).toMatchObject({ source: 'mwaa-ops.test', time: '2026-01-01T00:00:00Z' });
    // The disabled rule saw nothing.
    expect(calls).toEqual([]);
  });

  it('rejects an empty or oversized batch with ValidationException', async () => {
    const entries = Array.from({ length: 11 }, () => ({ Source: 'a.b', DetailType: 'x', Detail: '{}' }));
    const error = await events.send(new PutEventsCommand({ Entries: entries })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
  });

  it('manages rules and targets through the API, with AWS errors', async () => {
    const created = await events.send(
      new PutRuleCommand({ Name: 'custom', EventPattern: JSON.stringify({ source: ['mwaa-ops.test'] }) }),
    );
    expect(created.RuleArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:rule/custom`);
    await events.send(new PutTargetsCommand({ Rule: 'custom', Targets: [{ Id: 'fn', Arn: functionArn }] }));
    expect((await events.send(new ListTargetsByRuleCommand({ Rule: 'custom' }))).Targets).toEqual([
      { Id: 'fn', Arn: functionArn },
    ]);
    expect((await events.send(new DescribeRuleCommand({ Name: 'custom' }))).State).toBe('ENABLED');
    const names = (await events.send(new ListRulesCommand({}))).Rules?.map((rule) => rule.Name);
    expect(names).toEqual(['execution-failed', 'uploads', 'custom']);

    await events.send(
      new PutEventsCommand({ Entries: [{ Source: 'mwaa-ops.test', DetailType: 'x', Detail: '{}' }] }),
    );
    await until(() => calls.length > 0);
    expect(JSON.parse(calls[0]?.payload as string)).toMatchObject({
      source: 'mwaa-ops.test',
      'detail-type': 'x',
    });

    const badPattern = await events
      .send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"source":"not-a-list"}' }))
      .catch((e: unknown) => e);
    expect(badPattern).toBeInstanceOf(InvalidEventPatternException);
    const missing = await events.send(new DescribeRuleCommand({ Name: 'missing' })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(EventsResourceNotFound);
  });

  it('fires scheduled rules on the emulated clock with a Scheduled Event', async () => {
    await events.send(new PutRuleCommand({ Name: 'every-minute', ScheduleExpression: 'rate(1 minute)' }));
    await events.send(
      new PutTargetsCommand({ Rule: 'every-minute', Targets: [{ Id: 'fn', Arn: functionArn }] }),
    );
    // 600x: one emulated minute is 100 real milliseconds.
    await until(() => calls.length >= 2);
    const event = JSON.parse(calls[0]?.payload as string);
    expect(event).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/every-minute`],
      detail: {},
    });
    const bad = await events
      .send(new PutRuleCommand({ Name: 'plural', ScheduleExpression: 'rate(1 minutes)' }))
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ name: 'ValidationException' });
  });

  it('answers an injected ThrottlingException through the SDK', async () => {
    ctx.faults.inject({ service: 'eventbridge', operation: 'PutEvents', error: 'ThrottlingException' });
    const error = await events
      .send(new PutEventsCommand({ Entries: [{ Source: 'a.b', DetailType: 'x', Detail: '{}' }] }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventsThrottling);
  });
});

describe('Scheduler emulator', () => {
  // 3000x: one emulated minute is 20 real milliseconds.
  const ctx = context(createClock(3000));
  const { targets, calls } = recordingTargets();
  const functionArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:scheduled-dag-trigger`;
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/scheduler`;
  let handle: Awaited<ReturnType<typeof startScheduler>>;
  let scheduler: SchedulerClient;

  beforeAll(async () => {
    handle = await startScheduler(ctx, {
      schedules: [
        {
          logicalId: 'NightlyExport',
          name: 'nightly-export',
          groupName: 'mwaa-ops',
          expression: 'cron(0 2 * * ? *)',
          timezone: 'Europe/Berlin',
          enabled: true,
          target: { arn: functionArn, input: '{"flowId":"nightly"}', roleArn },
        },
      ],
      targets,
    });
    scheduler = new SchedulerClient(clientConfig(handle.url));
  });
  afterAll(async () => {
    scheduler.destroy();
    await handle.close();
    ctx.clock.dispose();
  });
  afterEach(() => {
    calls.length = 0;
  });

  it('serves template schedules, in their group, with their next fire times', async () => {
    const schedule = await scheduler.send(
      new GetScheduleCommand({ Name: 'nightly-export', GroupName: 'mwaa-ops' }),
    );
    expect(schedule).toMatchObject({
      Arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/mwaa-ops/nightly-export`,
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      Target: { Arn: functionArn, Input: '{"flowId":"nightly"}' },
    });
    expect(schedule.CreationDate).toBeInstanceOf(Date);
    const next = handle.nextFireTimes('nightly-export', 3, 'mwaa-ops');
    expect(next).toHaveLength(3);
    for (const time of next) {
      expect(
        new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', timeStyle: 'short' }).format(time),
      ).toBe('02:00');
    }
    const group = await scheduler.send(new GetScheduleGroupCommand({ Name: 'mwaa-ops' }));
    expect(group).toMatchObject({ Name: 'mwaa-ops', State: 'ACTIVE' });
  });

  it('creates, lists, updates and deletes schedules', async () => {
    const created = await scheduler.send(
      new CreateScheduleCommand({
        Name: 'hourly-flow',
        ScheduleExpression: 'cron(0 * * * ? *)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'DISABLED',
        Target: { Arn: functionArn, RoleArn: roleArn, Input: '{}' },
      }),
    );
    expect(created.ScheduleArn).toBe(`arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/hourly-flow`);
    const listed = await scheduler.send(new ListSchedulesCommand({ NamePrefix: 'hourly' }));
    expect(listed.Schedules).toEqual([
      expect.objectContaining({
        Name: 'hourly-flow',
        GroupName: 'default',
        State: 'DISABLED',
        Target: { Arn: functionArn },
      }),
    ]);
    const inGroup = await scheduler.send(new ListSchedulesCommand({ GroupName: 'mwaa-ops' }));
    expect(inGroup.Schedules?.map((s) => s.Name)).toEqual(['nightly-export']);
    expect(handle.nextFireTimes('hourly-flow', 2)).toEqual([]);

    await scheduler.send(
      new UpdateScheduleCommand({
        Name: 'hourly-flow',
        ScheduleExpression: 'cron(30 * * * ? *)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: { Arn: functionArn, RoleArn: roleArn },
      }),
    );
    expect(handle.nextFireTimes('hourly-flow', 2).map((d) => d.getUTCMinutes())).toEqual([30, 30]);
    await scheduler.send(new DeleteScheduleCommand({ Name: 'hourly-flow' }));
    const gone = await scheduler
      .send(new GetScheduleCommand({ Name: 'hourly-flow' }))
      .catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
    expect(gone).toMatchObject({
      message: 'Schedule hourly-flow does not exist.',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('fires on the fast clock with the scheduler context attributes substituted', async () => {
    await scheduler.send(
      new CreateScheduleCommand({
        Name: 'every-minute',
        ScheduleExpression: 'cron(* * * * ? *)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: functionArn,
          RoleArn: roleArn,
          Input: JSON.stringify({
            flowId: 'f1',
            scheduledTime: '<aws.scheduler.scheduled-time>',
            executionId: '<aws.scheduler.execution-id>',
            scheduleArn: '<aws.scheduler.schedule-arn>',
            attempt: '<aws.scheduler.attempt-number>',
          }),
        },
      }),
    );
    // Only this schedule's deliveries: the template's nightly schedule may fire too at 3000x.
    const mine = () => calls.filter((call) => JSON.parse(call.payload as string).flowId === 'f1');
    await until(() => mine().length >= 2);
    await scheduler.send(new DeleteScheduleCommand({ Name: 'every-minute' }));
    const [first, second] = mine().map((call) => JSON.parse(call.payload as string));
    expect(mine()[0]).toMatchObject({ kind: 'deliver', target: functionArn });
    expect(first).toEqual({
      flowId: 'f1',
      scheduledTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/),
      executionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      scheduleArn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/every-minute`,
      attempt: '1',
    });
    expect(Date.parse(second.scheduledTime) - Date.parse(first.scheduledTime)).toBe(60_000);
    expect(second.executionId).not.toBe(first.executionId);
  });

  it('answers ConflictException, ValidationException and ResourceNotFoundException like AWS', async () => {
    const input = {
      Name: 'nightly-export',
      GroupName: 'mwaa-ops',
      ScheduleExpression: 'rate(5 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' as const },
      Target: { Arn: functionArn, RoleArn: roleArn },
    };
    const conflict = await scheduler.send(new CreateScheduleCommand(input)).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ConflictException);
    expect(conflict).toMatchObject({ $metadata: { httpStatusCode: 409 } });

    for (const bad of [
      { ...input, Name: 'x1', ScheduleExpression: 'cron(0 2 * * * *)' },
      { ...input, Name: 'x2', ScheduleExpressionTimezone: 'Mars/Olympus' },
      { ...input, Name: 'x3', FlexibleTimeWindow: { Mode: 'FLEXIBLE' as const } },
      { ...input, Name: 'bad name!' },
    ]) {
      const error = await scheduler.send(new CreateScheduleCommand(bad)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationException);
    }
    const noGroup = await scheduler
      .send(new CreateScheduleCommand({ ...input, Name: 'x4', GroupName: 'missing' }))
      .catch((e: unknown) => e);
    expect(noGroup).toBeInstanceOf(ResourceNotFoundException);
    const updateMissing = await scheduler
      .send(new UpdateScheduleCommand({ ...input, Name: 'missing' }))
      .catch((e: unknown) => e);
    expect(updateMissing).toBeInstanceOf(ResourceNotFoundException);
  });

  it('manages schedule groups', async () => {
    await scheduler.send(new CreateScheduleGroupCommand({ Name: 'team-a' }));
    const again = await scheduler
      .send(new CreateScheduleGroupCommand({ Name: 'team-a' }))
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ConflictException);
    const groups = await scheduler.send(new ListScheduleGroupsCommand({}));
    expect(groups.ScheduleGroups?.map((g) => g.Name)).toEqual(['default', 'mwaa-ops', 'team-a']);
  });

  it('answers an injected ThrottlingException through the SDK', async () => {
    ctx.faults.inject({ service: 'scheduler', operation: 'ListSchedules', error: 'ThrottlingException' });
    const error = await scheduler.send(new ListSchedulesCommand({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrottlingException);
    // The model's status for Scheduler's ThrottlingException.
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 429 } });
  });
});
