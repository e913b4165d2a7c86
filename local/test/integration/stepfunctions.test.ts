import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClock } from '../../core/clock.ts';
import { createFaultRegistry } from '../../core/faults.ts';
import type { LocalStateMachine, Targets } from '../../core/model.ts';
import type { ServiceContext } from '../../core/service.ts';
import { type StepFunctionsHandle, startStepFunctions } from '../../stepfunctions/index.ts';

// dynalite is CommonJS without type declarations.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: { createTableMs: number }) => Server;

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const CLOCK_SPEED = 1000;
const TABLE = 'sfn-selftest-markers';

const fnArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const smArn = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;

class TransientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientError';
  }
}

/** Fake Lambda functions, keyed by function name. */
const calls: Record<string, unknown[]> = {};
const flakyAttempts = new Map<string, number>();
const jobChecks = new Map<string, number>();
const approverTokens = new Map<string, string>();
const functions: Record<string, (payload: Record<string, unknown>) => Promise<unknown>> = {
  greeter: async (p) => ({ greeting: `hello ${String(p.name)}` }),
  flaky: async () => {
    // Fails twice per test run (keyed by the run's name, set by the greeter's input), then succeeds.
    const key = String(currentRun);
    const attempts = (flakyAttempts.get(key) ?? 0) + 1;
    flakyAttempts.set(key, attempts);
    if (attempts < 3) throw new TransientError(`attempt ${attempts} failed`);
    return { attempts };
  },
  approver: async (p) => {
    approverTokens.set(String(p.name), String(p.taskToken));
    return { notified: true };
  },
  'job-status': async (p) => {
    const key = String(p.name);
    const checks = (jobChecks.get(key) ?? 0) + 1;
    jobChecks.set(key, checks);
    return { status: checks >= 3 ? 'DONE' : 'RUNNING', checks };
  },
  'never-answers': async () => ({ ok: true }),
  // 300 KiB: over Step Functions' 256 KiB quota for a task result.
  big: async () => ({ blob: 'x'.repeat(300 * 1024) }),
};
let currentRun = '';

const published: Array<{ topicArn: string; message: string; subject?: string }> = [];
const sent: Array<{ queueArn: string; body: string }> = [];
const statusEvents: Array<{ Source: string; DetailType: string; Detail: string }> = [];
const targets: Targets = {
  async invokeFunction(nameOrArn, payload) {
    const name = nameOrArn.split(':').at(-1) ?? nameOrArn;
    calls[name] = [...(calls[name] ?? []), payload];
    const fn = functions[name];
    if (!fn) {
      throw Object.assign(new Error(`Function not found: ${nameOrArn}`), {
        name: 'ResourceNotFoundException',
        $fault: 'client',
      });
    }
    return fn(payload as Record<string, unknown>);
  },
  startExecution: async () => {
    throw new Error('not used');
  },
  publish: async (topicArn, message, subject) => {
    published.push({ topicArn, message, ...(subject ? { subject } : {}) });
  },
  sendMessage: async (queueArn, body) => {
    sent.push({ queueArn, body });
  },
  putEvents: async (entries) => {
    statusEvents.push(...entries);
  },
  deliver: async () => {},
};

function selfTestMachine(): LocalStateMachine {
  const text = readFileSync(
    new URL('../../../test/integration/fixtures/statemachines/sfn-selftest.asl.json', import.meta.url),
    'utf8',
  ).replace(/\$\{(\w+)\}/g, (_, key: string) => {
    const values: Record<string, string> = {
      GreeterFunctionArn: fnArn('greeter'),
      FlakyFunctionArn: fnArn('flaky'),
      ApproverFunctionArn: fnArn('approver'),
      JobStatusFunctionArn: fnArn('job-status'),
      MarkerTableName: TABLE,
    };
    const value = values[key];
    if (!value) throw new Error(`no substitution for ${key}`);
    return value;
  });
  return {
    logicalId: 'SelfTestStateMachine',
    name: 'sfn-selftest',
    arn: smArn('sfn-selftest'),
    definition: JSON.parse(text),
    definitionPath: 'test/integration/fixtures/statemachines/sfn-selftest.asl.json',
  };
}

/** A callback task that nobody answers, with a short heartbeat; Catch on TaskFailed must not catch it. */
const heartbeatMachine: LocalStateMachine = {
  logicalId: 'HeartbeatStateMachine',
  name: 'sfn-heartbeat',
  arn: smArn('sfn-heartbeat'),
  definition: {
    StartAt: 'Silent',
    States: {
      Silent: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: fnArn('never-answers'), Payload: { 'token.$': '$$.Task.Token' } },
        HeartbeatSeconds: 60,
        TimeoutSeconds: 3600,
        Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'WronglyCaught' }],
        End: true,
      },
      WronglyCaught: { Type: 'Pass', End: true },
    },
  },
};

/** A task whose Catch lists both timeout names; which one matches tells heartbeat from timeout. */
function timeoutNamesMachine(
  name: string,
  errorEquals: string[],
  timing: Record<string, number>,
): LocalStateMachine {
  return {
    logicalId: `${name}StateMachine`,
    name,
    arn: smArn(name),
    definition: {
      StartAt: 'Silent',
      States: {
        Silent: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: fnArn('never-answers'), Payload: { 'token.$': '$$.Task.Token' } },
          ...timing,
          Catch: [{ ErrorEquals: errorEquals, Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    },
  };
}
const timeoutCatchesHeartbeat = timeoutNamesMachine('sfn-timeout-catches-heartbeat', ['States.Timeout'], {
  HeartbeatSeconds: 60,
  TimeoutSeconds: 3600,
});
const heartbeatIgnoresTimeout = timeoutNamesMachine(
  'sfn-heartbeat-ignores-timeout',
  ['States.HeartbeatTimeout'],
  { HeartbeatSeconds: 600, TimeoutSeconds: 60 },
);

/**
 * Terminal errors: each state below fails in a way AWS reports as States.Runtime or
 * States.DataLimitExceeded, under a Retry and a Catch on States.ALL that must not apply.
 * `$.case` picks the state.
 */
const catchAll = {
  Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 2 }],
  Catch: [{ ErrorEquals: ['States.ALL'], Next: 'WronglyCaught' }],
};
const terminalMachine: LocalStateMachine = {
  logicalId: 'TerminalStateMachine',
  name: 'sfn-terminal',
  arn: smArn('sfn-terminal'),
  definition: {
    StartAt: 'Route',
    States: {
      Route: {
        Type: 'Choice',
        Choices: ['badTimeout', 'badHeartbeat', 'missingPath', 'bigResult', 'bigInput', 'bigOutput'].map(
          (c) => ({ Variable: '$.case', StringEquals: c, Next: c }),
        ),
      },
      badTimeout: {
        Type: 'Task',
        Resource: fnArn('greeter'),
        TimeoutSecondsPath: '$.timeout',
        ...catchAll,
        End: true,
      },
      badHeartbeat: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: fnArn('never-answers'), Payload: { 'token.$': '$$.Task.Token' } },
        TimeoutSeconds: 3600,
        HeartbeatSecondsPath: '$.heartbeat',
        ...catchAll,
        End: true,
      },
      missingPath: {
        Type: 'Task',
        Resource: fnArn('greeter'),
        InputPath: '$.nothing.here',
        ...catchAll,
        End: true,
      },
      bigResult: { Type: 'Task', Resource: fnArn('big'), ...catchAll, End: true },
      bigInput: {
        Type: 'Task',
        Resource: fnArn('greeter'),
        Parameters: { 'a.$': '$.blob', 'b.$': '$.blob' },
        ...catchAll,
        End: true,
      },
      bigOutput: {
        Type: 'Parallel',
        Branches: [
          {
            StartAt: 'Double',
            States: { Double: { Type: 'Pass', Parameters: { 'a.$': '$.blob', 'b.$': '$.blob' }, End: true } },
          },
        ],
        ...catchAll,
        Next: 'AfterBigOutput',
      },
      AfterBigOutput: { Type: 'Pass', End: true },
      WronglyCaught: { Type: 'Pass', End: true },
    },
  },
};

const childMachine: LocalStateMachine = {
  logicalId: 'ChildStateMachine',
  name: 'sfn-child',
  arn: smArn('sfn-child'),
  definition: {
    StartAt: 'Echo',
    States: { Echo: { Type: 'Pass', Parameters: { 'echo.$': '$.value' }, End: true } },
  },
};

/** The optimized integrations, Map and Parallel with nested tasks, and a child execution. */
const integrationsMachine: LocalStateMachine = {
  logicalId: 'IntegrationsStateMachine',
  name: 'sfn-integrations',
  arn: smArn('sfn-integrations'),
  definition: {
    StartAt: 'FanOut',
    States: {
      FanOut: {
        Type: 'Parallel',
        Branches: [
          {
            StartAt: 'Notify',
            States: {
              Notify: {
                Type: 'Task',
                Resource: 'arn:aws:states:::sns:publish',
                Parameters: {
                  TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:ops`,
                  Subject: 'hello',
                  Message: { 'name.$': '$.name' },
                },
                End: true,
              },
            },
          },
          {
            StartAt: 'Enqueue',
            States: {
              Enqueue: {
                Type: 'Task',
                Resource: 'arn:aws:states:::sqs:sendMessage',
                Parameters: {
                  QueueUrl: `http://127.0.0.1:1/${ACCOUNT}/work`,
                  MessageBody: { 'name.$': '$.name' },
                },
                End: true,
              },
            },
          },
        ],
        ResultSelector: { 'messageId.$': '$[0].MessageId' },
        ResultPath: '$.fanOut',
        Next: 'GreetEach',
      },
      GreetEach: {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemSelector: { 'name.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'GreetOne',
          States: { GreetOne: { Type: 'Task', Resource: fnArn('greeter'), End: true } },
        },
        ResultPath: '$.greetings',
        Next: 'Pause',
      },
      Pause: { Type: 'Wait', Seconds: 30, Next: 'Announce' },
      Announce: {
        Type: 'Task',
        Resource: 'arn:aws:states:::events:putEvents',
        Parameters: {
          Entries: [
            {
              Source: 'mwaa-ops.selftest',
              DetailType: 'Greeted',
              Detail: { 'count.$': 'States.ArrayLength($.greetings)' },
            },
          ],
        },
        ResultPath: null,
        Next: 'ReadMarker',
      },
      ReadMarker: {
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:getItem',
        Parameters: { TableName: TABLE, Key: { pk: { S: 'happy-path' } } },
        ResultSelector: { 'pk.$': '$.Item.pk.S' },
        ResultPath: '$.marker',
        Next: 'RunChild',
      },
      RunChild: {
        Type: 'Task',
        Resource: 'arn:aws:states:::states:startExecution.sync:2',
        Parameters: { StateMachineArn: smArn('sfn-child'), Input: { 'value.$': '$.name' } },
        ResultSelector: { 'status.$': '$.Status', 'output.$': '$.Output' },
        ResultPath: '$.child',
        End: true,
      },
    },
  },
};

/** An execution TimeoutSeconds shorter than its Wait: closes TIMED_OUT on the emulated clock. */
const slowMachine: LocalStateMachine = {
  logicalId: 'SlowStateMachine',
  name: 'sfn-slow',
  arn: smArn('sfn-slow'),
  definition: {
    TimeoutSeconds: 60,
    StartAt: 'Sleep',
    States: { Sleep: { Type: 'Wait', Seconds: 3600, End: true } },
  },
};

let sfn: StepFunctionsHandle;
let client: SFNClient;
let dynamo: Server;
let dynamoUrl = '';
let ctx: ServiceContext;
let selfTestMs = 0;

async function until<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeAll(async () => {
  dynamo = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', () => resolve()));
  dynamoUrl = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
  const ddb = new DynamoDBClient({ region: REGION, endpoint: dynamoUrl, credentials: CREDENTIALS });
  await ddb.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  ddb.destroy();

  ctx = {
    clock: createClock(CLOCK_SPEED),
    faults: createFaultRegistry(),
    region: REGION,
    accountId: ACCOUNT,
    log: () => {},
  };
  sfn = await startStepFunctions(ctx, {
    stateMachines: [
      selfTestMachine(),
      heartbeatMachine,
      childMachine,
      integrationsMachine,
      slowMachine,
      timeoutCatchesHeartbeat,
      heartbeatIgnoresTimeout,
      terminalMachine,
    ],
    targets,
    sdkEnv: () => ({
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_SFN: sfn.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
    }),
  });
  // maxAttempts 1: an injected throttle must reach the test, not be retried away by the SDK.
  client = new SFNClient({ region: REGION, endpoint: sfn.url, credentials: CREDENTIALS, maxAttempts: 1 });
  // Validating each definition compiles the validator's schemas anew: slow on a busy machine.
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await sfn?.close();
  await new Promise((resolve) => dynamo?.close(resolve));
  ctx?.clock.dispose();
  console.log(
    `[sfn measurements] machine load (validate + compile) ms: ${JSON.stringify(sfn?.loadTimesMs)}; ` +
      `self-test run (real ms, clock x${CLOCK_SPEED}): ${selfTestMs.toFixed(0)}`,
  );
});

async function startSelfTest(name: string) {
  currentRun = name;
  const started = await client.send(
    new StartExecutionCommand({
      stateMachineArn: smArn('sfn-selftest'),
      name,
      input: JSON.stringify({ name, pollSeconds: 60 }),
    }),
  );
  return started.executionArn!;
}

describe('Local Step Functions: sfn-selftest.asl.json', () => {
  it('runs lambda, aws-sdk, task token, Retry and a polling Wait to SUCCEEDED', async () => {
    const t0 = performance.now();
    const arn = await startSelfTest('happy-path');
    expect(arn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:sfn-selftest:happy-path`);

    const token = await until(() => approverTokens.get('happy-path'));
    await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await client.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) }),
    );

    const outcome = await sfn.waitForExecution(arn, { timeoutMs: 10_000 });
    selfTestMs = performance.now() - t0;
    expect(outcome.status).toBe('SUCCEEDED');
    const output = outcome.output as Record<string, unknown>;
    expect(output.greet).toEqual({ greeting: 'hello happy-path', statusCode: 200 });
    expect(output.flaky).toEqual({ attempts: 3 });
    expect(output.markerError).toBeUndefined();
    expect(output.self).toEqual({ status: 'RUNNING', name: 'happy-path' });
    expect(output.approval).toEqual({ approved: true });
    expect(output.job).toEqual({ status: 'DONE', checks: 3 });

    // The Wait ran twice at 60 emulated seconds each; the clock makes that ~120 ms real.
    expect(jobChecks.get('happy-path')).toBe(3);

    const described = await client.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!)).toEqual(output);
    expect(described.stopDate!.getTime()).toBeGreaterThanOrEqual(described.startDate!.getTime());

    const history = (
      await client.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }))
    ).events!;
    const types = history.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    // Flaky: three attempts, two failures with the function's errorType.
    const flakyScheduled = history.filter(
      (e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.parameters?.includes(fnArn('flaky')),
    );
    expect(flakyScheduled).toHaveLength(3);
    const failures = history.filter((e) => e.type === 'TaskFailed');
    expect(failures.map((e) => e.taskFailedEventDetails?.error)).toEqual([
      'TransientError',
      'TransientError',
    ]);
    expect(JSON.parse(failures[0]!.taskFailedEventDetails!.cause!)).toMatchObject({
      errorType: 'TransientError',
      errorMessage: 'attempt 1 failed',
    });
    // The callback task was submitted, then succeeded with the SendTaskSuccess output.
    expect(types).toContain('TaskSubmitted');
    expect(history.filter((e) => e.type === 'WaitStateEntered')).toHaveLength(2);
    expect(history.filter((e) => e.type === 'LambdaFunctionScheduled')).toHaveLength(3);
    // Entered/exited pairs keep their order around the task events.
    const greetEntered = types.indexOf('TaskStateEntered');
    expect(types.slice(greetEntered, greetEntered + 4)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
    ]);
    expect(history.every((e, i) => e.id === i + 1 && e.previousEventId === i)).toBe(true);

    // Status change events for EventBridge: RUNNING then SUCCEEDED, AWS detail shape.
    const mine = statusEvents
      .map((e) => ({ ...e, detail: JSON.parse(e.Detail) }))
      .filter((e) => e.detail.executionArn === arn);
    expect(mine.map((e) => e.detail.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    expect(mine[1]).toMatchObject({
      Source: 'aws.states',
      DetailType: 'Step Functions Execution Status Change',
      detail: { stateMachineArn: smArn('sfn-selftest'), name: 'happy-path', error: null },
    });
    expect(typeof mine[1]!.detail.startDate).toBe('number');
    expect(JSON.parse(mine[1]!.detail.output)).toEqual(output);
  });

  it('maps an aws-sdk service error to <Service>.<Code> and Catch routes on it', async () => {
    // 'happy-path' already wrote the marker row: reuse the name in a new execution name space.
    currentRun = 'happy-path';
    const started = await client.send(
      new StartExecutionCommand({
        stateMachineArn: smArn('sfn-selftest'),
        name: 'marker-exists',
        input: JSON.stringify({ name: 'happy-path', pollSeconds: 60 }),
      }),
    );
    const arn = started.executionArn!;
    const token = await until(() => {
      const t = approverTokens.get('happy-path');
      return sfn.describe(arn).status === 'RUNNING' && calls.approver?.length === 2 ? t : undefined;
    });
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
    const outcome = await sfn.waitForExecution(arn, { timeoutMs: 10_000 });
    expect(outcome.status).toBe('SUCCEEDED');
    expect((outcome.output as { markerError: { Error: string } }).markerError.Error).toBe(
      'DynamoDb.ConditionalCheckFailedException',
    );
  });

  it('fails through Catch when the approver answers SendTaskFailure', async () => {
    const arn = await startSelfTest('rejected');
    const token = await until(() => approverTokens.get('rejected'));
    await client.send(
      new SendTaskFailureCommand({ taskToken: token, error: 'Rejected', cause: 'not this week' }),
    );
    const outcome = await sfn.waitForExecution(arn, { timeoutMs: 10_000 });
    expect(outcome).toMatchObject({
      status: 'FAILED',
      error: 'ApprovalRejected',
      cause: 'The approver rejected the request',
    });
    const history = sfn.history(arn);
    const failed = history.find(
      (e) => e.type === 'TaskFailed' && JSON.stringify(e).includes('not this week'),
    );
    expect(failed?.taskFailedEventDetails).toMatchObject({ error: 'Rejected', cause: 'not this week' });
    const entered = history
      .filter((e) => e.type === 'PassStateEntered')
      .map((e) => (e.stateEnteredEventDetails as { name: string }).name);
    expect(entered).toEqual(['RecordRejection']);
    // The token is closed now: answering again is TaskTimedOut, as AWS says for closed tasks.
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('fails a silent callback task with States.HeartbeatTimeout after HeartbeatSeconds, not caught by States.TaskFailed', async () => {
    const arn = await sfn.startExecution(smArn('sfn-heartbeat'), {});
    const outcome = await sfn.waitForExecution(arn, { timeoutMs: 5000 });
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('States.HeartbeatTimeout');
    const timedOut = sfn.history(arn).find((e) => e.type === 'TaskTimedOut');
    expect(timedOut?.taskTimedOutEventDetails).toMatchObject({ error: 'States.HeartbeatTimeout' });
    expect(sfn.history(arn).some((e) => e.type === 'PassStateEntered')).toBe(false);
  });

  it('matches a lost heartbeat with States.Timeout, but a TimeoutSeconds expiry not with States.HeartbeatTimeout', async () => {
    // AWS: States.Timeout covers both TimeoutSeconds and HeartbeatSeconds expiry.
    const caught = await sfn.startExecution(smArn('sfn-timeout-catches-heartbeat'), {});
    const caughtOutcome = await sfn.waitForExecution(caught, { timeoutMs: 5000 });
    expect(caughtOutcome.status).toBe('SUCCEEDED');
    expect(caughtOutcome.output).toMatchObject({ Error: 'States.HeartbeatTimeout' });
    // States.HeartbeatTimeout is only the heartbeat: the task timeout passes it by.
    const missed = await sfn.startExecution(smArn('sfn-heartbeat-ignores-timeout'), {});
    const missedOutcome = await sfn.waitForExecution(missed, { timeoutMs: 5000 });
    expect(missedOutcome).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(sfn.history(missed).some((e) => e.type === 'PassStateEntered')).toBe(false);
  });

  const blob = 'y'.repeat(200 * 1024);
  it.each([
    ['badTimeout', 'timeout 0', { timeout: 0 }, 'States.Runtime', /TimeoutSecondsPath .*positive integer: 0/],
    ['badTimeout', 'timeout 2.5', { timeout: 2.5 }, 'States.Runtime', /TimeoutSecondsPath .*integer: 2.5/],
    ['badTimeout', 'timeout "60"', { timeout: '60' }, 'States.Runtime', /TimeoutSecondsPath .*integer: "60"/],
    [
      'badHeartbeat',
      'heartbeat -1',
      { heartbeat: -1 },
      'States.Runtime',
      /HeartbeatSecondsPath .*integer: -1/,
    ],
    ['missingPath', 'InputPath on nothing', {}, 'States.Runtime', /does not point to a value/],
    [
      'bigResult',
      'a 300 KiB result',
      {},
      'States.DataLimitExceeded',
      /'bigResult' returned a result with a size/,
    ],
    ['bigInput', 'a 400 KiB input', { blob }, 'States.DataLimitExceeded', /'bigInput' has an input/],
    [
      'bigOutput',
      'a 400 KiB state output',
      { blob },
      'States.DataLimitExceeded',
      /'Double' returned a result/,
    ],
  ])(
    'fails %s (%s) with an error Retry/Catch on States.ALL do not handle',
    async (which, _label, extra, error, cause) => {
      const before = calls.greeter?.length ?? 0;
      const bigBefore = calls.big?.length ?? 0;
      const arn = await sfn.startExecution(smArn('sfn-terminal'), { case: which, ...extra });
      const outcome = await sfn.waitForExecution(arn, { timeoutMs: 5000 });
      expect(outcome).toMatchObject({ status: 'FAILED', error });
      expect(outcome.cause).toMatch(cause);
      const entered = sfn
        .history(arn)
        .filter((e) => e.type.endsWith('StateEntered'))
        .map((e) => (e.stateEnteredEventDetails as { name: string }).name);
      expect(entered).not.toContain('WronglyCaught');
      expect(entered).not.toContain('AfterBigOutput');
      // Not retried: the function behind a bad input was never called.
      expect(calls.greeter?.length ?? 0).toBe(before);
      // ... and the one returning too much was called once, not again by the Retry.
      expect((calls.big?.length ?? 0) - bigBefore).toBe(which === 'bigResult' ? 1 : 0);
      expect(sfn.history(arn).at(-1)?.type).toBe('ExecutionFailed');
    },
  );

  it('answers bad task tokens with InvalidToken and unknown ones with TaskDoesNotExist', async () => {
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' })),
    ).rejects.toMatchObject({ name: 'InvalidToken' });
    await expect(
      client.send(
        new SendTaskSuccessCommand({ taskToken: `AQCEAAAAKgAAAA${'A'.repeat(128)}`, output: '{}' }),
      ),
    ).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  });

  it('stops a waiting execution as ABORTED and lists executions by status', async () => {
    const arn = await startSelfTest('to-stop');
    const token = await until(() => approverTokens.get('to-stop'));
    await client.send(
      new StopExecutionCommand({ executionArn: arn, error: 'Operator', cause: 'changed my mind' }),
    );
    const outcome = await sfn.waitForExecution(arn, { timeoutMs: 5000 });
    expect(outcome).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'changed my mind' });
    expect(sfn.history(arn).at(-1)?.type).toBe('ExecutionAborted');
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });

    const aborted = await client.send(
      new ListExecutionsCommand({ stateMachineArn: smArn('sfn-selftest'), statusFilter: 'ABORTED' }),
    );
    expect(aborted.executions?.map((e) => e.name)).toEqual(['to-stop']);
    const all = await client.send(new ListExecutionsCommand({ stateMachineArn: smArn('sfn-selftest') }));
    expect(all.executions?.map((e) => e.name).sort()).toEqual(
      ['happy-path', 'marker-exists', 'rejected', 'to-stop'].sort(),
    );
  });

  it('keeps execution names unique per state machine', async () => {
    await expect(
      client.send(
        new StartExecutionCommand({
          stateMachineArn: smArn('sfn-selftest'),
          name: 'happy-path',
          input: '{}',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await expect(
      client.send(new StartExecutionCommand({ stateMachineArn: smArn('missing'), input: '{}' })),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
  });

  it('surfaces an injected StartExecution fault through the SDK client', async () => {
    // Step Functions' model has no ThrottlingException (faults.inject refuses it); this one it has.
    ctx.faults.inject({ service: 'sfn', operation: 'StartExecution', error: 'ExecutionLimitExceeded' });
    await expect(
      client.send(new StartExecutionCommand({ stateMachineArn: smArn('sfn-heartbeat'), input: '{}' })),
    ).rejects.toMatchObject({ name: 'ExecutionLimitExceeded', $metadata: { httpStatusCode: 400 } });
    expect(ctx.faults.pending()).toHaveLength(0);
  });

  it('runs the optimized SNS/SQS/EventBridge/DynamoDB integrations, Map, Parallel and a .sync:2 child', async () => {
    const arn = await sfn.startExecution(smArn('sfn-integrations'), {
      name: 'happy-path',
      items: ['ann', 'bob'],
    });
    const outcome = await sfn.waitForExecution(arn, { timeoutMs: 10_000 });
    expect(outcome.status).toBe('SUCCEEDED');
    const output = outcome.output as Record<string, unknown>;
    expect(output.greetings).toEqual([{ greeting: 'hello ann' }, { greeting: 'hello bob' }]);
    expect(output.marker).toEqual({ pk: 'happy-path' });
    expect(output.child).toEqual({ status: 'SUCCEEDED', output: { echo: 'happy-path' } });
    expect(typeof (output.fanOut as { messageId: string }).messageId).toBe('string');
    expect(published).toContainEqual({
      topicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:ops`,
      message: '{"name":"happy-path"}',
      subject: 'hello',
    });
    expect(sent).toContainEqual({
      queueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:work`,
      body: '{"name":"happy-path"}',
    });
    const announced = statusEvents.find((e) => e.Source === 'mwaa-ops.selftest');
    expect(announced && JSON.parse(announced.Detail)).toEqual({ count: 2 });
    const types = sfn.history(arn).map((e) => e.type);
    expect(types.filter((t) => t === 'MapIterationStarted')).toHaveLength(2);
    expect(types).toContain('WaitStateEntered');
    const childRuns = await client.send(new ListExecutionsCommand({ stateMachineArn: smArn('sfn-child') }));
    expect(childRuns.executions?.map((e) => e.status)).toEqual(['SUCCEEDED']);
  });

  it('closes an execution TIMED_OUT when its TimeoutSeconds passes on the emulated clock', async () => {
    const t0 = performance.now();
    const arn = await sfn.startExecution(smArn('sfn-slow'), {});
    const outcome = await sfn.waitForExecution(arn, { timeoutMs: 5000 });
    expect(outcome).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    // 60 emulated seconds at x1000 is 60 ms; the 3600 s Wait (3.6 s real) must not have run out.
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(sfn.history(arn).at(-1)?.type).toBe('ExecutionTimedOut');
  });
});
