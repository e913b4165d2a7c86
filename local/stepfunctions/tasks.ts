/**
 * Task dispatch on `Resource`: the request part of each service integration. Waiting for a task
 * token, timeouts and history are the executor's; this module turns a Resource plus evaluated
 * Parameters into a call and its ASL output, or a TaskError named as AWS names it.
 */
import { createHash } from 'node:crypto';
import type { Targets } from '../core/model.ts';
import { findModelError } from '../core/model-errors/index.ts';
import { TaskError } from './errors.ts';
import {
  type ErrorNaming,
  integrationErrorName,
  OPTIMIZED_NAMING,
  sdkIntegrationNaming,
} from './integration-errors.ts';
import type { SdkCaller } from './sdk.ts';

export type IntegrationPattern = 'request' | 'waitForTaskToken' | 'sync' | 'sync:2';

export interface ParsedResource {
  /** `lambda`, `aws-sdk:dynamodb`, `sns`, ... as history's `resourceType`; `lambda-function` for a plain function ARN. */
  resourceType: string;
  /** `invoke`, `getItem.waitForTaskToken`, ... as history's `resource`; the ARN for a plain function. */
  resource: string;
  /** Service and action (`lambda`/`invoke`, `dynamodb`/`getItem` for aws-sdk too). */
  service: string;
  action: string;
  sdk: boolean;
  pattern: IntegrationPattern;
}

const STATES_PREFIX = /^arn:aws[a-z-]*:states:::/;
const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+(:[^:]+)?$/;

export function parseResource(resourceArn: string): ParsedResource {
  if (FUNCTION_ARN.test(resourceArn)) {
    return {
      resourceType: 'lambda-function',
      resource: resourceArn,
      service: 'lambda',
      action: 'invoke',
      sdk: false,
      pattern: 'request',
    };
  }
  if (!STATES_PREFIX.test(resourceArn)) {
    throw new TaskError('States.Runtime', `Unsupported Task resource ${resourceArn}`);
  }
  const rest = resourceArn.replace(STATES_PREFIX, '');
  const match = /^(.*?)(?:\.(waitForTaskToken|sync:2|sync))?$/.exec(rest);
  const segments = (match?.[1] ?? rest).split(':');
  const pattern = (match?.[2] as IntegrationPattern | undefined) ?? 'request';
  const sdk = segments[0] === 'aws-sdk';
  const [service, action] = sdk ? [segments[1], segments[2]] : [segments[0], segments[1]];
  if (!service || !action) throw new TaskError('States.Runtime', `Unsupported Task resource ${resourceArn}`);
  const base = match?.[1] ?? rest;
  const lastColon = base.lastIndexOf(':');
  return {
    resourceType: base.slice(0, lastColon),
    resource: base.slice(lastColon + 1) + (match?.[2] ? `.${match[2]}` : ''),
    service,
    action,
    sdk,
    pattern,
  };
}

export interface TaskDeps {
  targets: Targets;
  sdk: SdkCaller;
  region: string;
  accountId: string;
  /** states:startExecution: start a child execution in this emulator; returns its ARN and start date. */
  startChild(
    stateMachineArn: string,
    input: unknown,
    name?: string,
  ): Promise<{ executionArn: string; startDate: Date }>;
  /** Wait for a child to close; returns its DescribeExecution-like output. */
  waitChild(executionArn: string): Promise<ChildOutcome>;
}

export interface ChildOutcome {
  status: string;
  description: Record<string, unknown>;
}

/**
 * Runs the request part of a task. For `.sync` patterns it also waits for the job (child
 * executions); `.waitForTaskToken` is the caller's.
 */
export async function dispatchTask(
  deps: TaskDeps,
  parsed: ParsedResource,
  params: unknown,
): Promise<unknown> {
  const p = (params ?? {}) as Record<string, unknown>;
  if (parsed.resourceType === 'lambda-function') {
    // A plain function ARN returns the function's result itself, without the Payload envelope.
    const envelope = await invokeFunction(deps, parsed.resource, params, false);
    return (envelope as { Payload: unknown }).Payload;
  }
  if (parsed.sdk) {
    return deps.sdk.call(parsed.service, parsed.action, params, sdkIntegrationNaming(parsed.service));
  }
  switch (`${parsed.service}:${parsed.action}`) {
    case 'lambda:invoke':
      return invokeFunction(deps, String(p.FunctionName), p.Payload ?? {}, p.InvocationType === 'Event');
    case 'sns:publish':
      return serviceCall(OPTIMIZED_NAMING.sns, async () => {
        await deps.targets.publish(String(p.TopicArn), asText(p.Message), p.Subject as string | undefined);
        return { MessageId: crypto.randomUUID() };
      });
    case 'sqs:sendMessage':
      return serviceCall(OPTIMIZED_NAMING.sqs, async () => {
        const body = asText(p.MessageBody);
        await deps.targets.sendMessage(queueArnFromUrl(String(p.QueueUrl), deps), body);
        return { MessageId: crypto.randomUUID(), MD5OfMessageBody: md5(body) };
      });
    case 'events:putEvents':
      return serviceCall(OPTIMIZED_NAMING.events, async () => {
        const entries = ((p.Entries as Array<Record<string, unknown>>) ?? []).map((e) => ({
          Source: String(e.Source),
          DetailType: String(e.DetailType),
          Detail: asText(e.Detail ?? {}),
          ...(e.Resources ? { Resources: e.Resources as string[] } : {}),
          ...(e.EventBusName ? { EventBusName: String(e.EventBusName) } : {}),
        }));
        await deps.targets.putEvents(entries);
        return { Entries: entries.map(() => ({ EventId: crypto.randomUUID() })), FailedEntryCount: 0 };
      });
    case 'dynamodb:getItem':
    case 'dynamodb:putItem':
    case 'dynamodb:updateItem':
    case 'dynamodb:deleteItem':
      return deps.sdk.call('dynamodb', parsed.action, params, OPTIMIZED_NAMING.dynamodb);
    case 'states:startExecution':
      return startChild(deps, parsed, p);
    default:
      throw new TaskError(
        'States.Runtime',
        `Unsupported Task resource ${parsed.resourceType}:${parsed.resource}`,
      );
  }
}

async function invokeFunction(deps: TaskDeps, name: string, payload: unknown, asyncInvoke: boolean) {
  let result: unknown;
  try {
    result = await deps.targets.invokeFunction(name, payload, asyncInvoke ? { async: true } : undefined);
  } catch (error) {
    throw functionError(error);
  }
  if (asyncInvoke) return { Payload: '', StatusCode: 202 };
  return {
    ExecutedVersion: '$LATEST',
    Payload: result ?? null,
    SdkHttpMetadata: { HttpStatusCode: 200 },
    SdkResponseMetadata: { RequestId: crypto.randomUUID() },
    StatusCode: 200,
  };
}

/**
 * A rejected `Targets.invokeFunction`: a Lambda service failure (`$fault`, or an error Lambda's
 * model defines) becomes `Lambda.<Name>` (`Lambda.AWSLambdaException` for a code the model
 * lacks); anything else is the function's own error, reported as Lambda reports it — Error is
 * its `errorType`, Cause the JSON of errorMessage/errorType/trace.
 */
export function functionError(error: unknown): TaskError {
  const e = (error ?? {}) as {
    name?: string;
    message?: string;
    stack?: string;
    errorType?: string;
    errorMessage?: string;
    trace?: string[];
    $fault?: unknown;
  };
  if (e.$fault !== undefined || (e.name && findModelError('lambda', e.name))) {
    return new TaskError(
      integrationErrorName(OPTIMIZED_NAMING.lambda, e.name ?? ''),
      e.message ?? 'Lambda service error',
    );
  }
  const errorType = e.errorType ?? e.name ?? 'Error';
  const errorMessage = e.errorMessage ?? e.message ?? String(error);
  const trace = e.trace ?? e.stack?.split('\n') ?? [];
  return new TaskError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

/** An in-process optimized integration: the emulator's error code, named as Step Functions does. */
async function serviceCall(naming: ErrorNaming, fn: () => Promise<unknown>): Promise<unknown> {
  try {
    return await fn();
  } catch (error) {
    // Emulators throw ServiceError, whose `code` is the AWS error code (its `name` is the class).
    const e = error as { code?: unknown; name?: string; message?: string };
    const code = typeof e?.code === 'string' ? e.code : e?.name && e.name !== 'Error' ? e.name : '';
    throw new TaskError(integrationErrorName(naming, code), e?.message ?? '');
  }
}

async function startChild(deps: TaskDeps, parsed: ParsedResource, p: Record<string, unknown>) {
  let started: { executionArn: string; startDate: Date };
  try {
    const input = typeof p.Input === 'string' ? JSON.parse(p.Input) : (p.Input ?? {});
    started = await deps.startChild(String(p.StateMachineArn), input, p.Name as string | undefined);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    // No code: the call never reached the API (the SDK's client-side failure).
    const name =
      e.code === undefined
        ? 'StepFunctions.SdkClientException'
        : integrationErrorName(OPTIMIZED_NAMING.states, e.code);
    throw new TaskError(name, e.message ?? '');
  }
  if (parsed.pattern !== 'sync' && parsed.pattern !== 'sync:2') {
    return { ExecutionArn: started.executionArn, StartDate: started.startDate.toISOString() };
  }
  const outcome = await deps.waitChild(started.executionArn);
  if (outcome.status !== 'SUCCEEDED') {
    throw new TaskError('States.TaskFailed', JSON.stringify(outcome.description));
  }
  const d = outcome.description;
  if (parsed.pattern === 'sync:2') {
    return {
      ...d,
      Input: JSON.parse(String(d.Input ?? 'null')),
      Output: JSON.parse(String(d.Output ?? 'null')),
    };
  }
  return d;
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `http://host/<account>/<name>` or `https://sqs.<region>.amazonaws.com/<account>/<name>` → queue ARN. */
function queueArnFromUrl(url: string, deps: TaskDeps): string {
  if (url.startsWith('arn:')) return url;
  const parts = url.replace(/\/+$/, '').split('/');
  const name = parts.at(-1) ?? url;
  const account = parts.at(-2) && /^\d{12}$/.test(parts.at(-2) ?? '') ? parts.at(-2) : deps.accountId;
  return `arn:aws:sqs:${deps.region}:${account}:${name}`;
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}
