/**
 * `Targets` over the running emulators: how one service delivers to another in-process (an S3
 * notification invoking a function, a failed async invocation landing in its SQS destination).
 * Emulators receive it before they all exist, so it resolves them late.
 */
import type { Targets } from './core/model.ts';
import type { EventBridgeHandle } from './eventbridge/index.ts';
import type { LambdaRuntime } from './lambda/runtime.ts';
import type { SnsHandle } from './sns/index.ts';
import type { SqsHandle } from './sqs/index.ts';
import type { StepFunctionsHandle } from './stepfunctions/index.ts';

export interface RunningServices {
  lambda?: LambdaRuntime;
  sns?: SnsHandle;
  sqs?: SqsHandle;
  events?: EventBridgeHandle;
  stepFunctions?: StepFunctionsHandle;
}

/** Delivery to a service that is not running (yet, or any more). */
export class TargetUnavailableError extends Error {
  constructor(service: string, arn: string) {
    super(`cannot deliver to ${arn}: the local ${service} emulator is not running`);
    this.name = 'TargetUnavailableError';
  }
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/**
 * `ready` resolves once every emulator runs: a delivery attempted during start-up (a schedule
 * firing at creation) waits for it instead of failing.
 */
export function createTargets(services: RunningServices, ready: Promise<void> = Promise.resolve()): Targets {
  const need = async <K extends keyof RunningServices>(
    key: K,
    arn: string,
  ): Promise<NonNullable<RunningServices[K]>> => {
    await ready;
    const service = services[key];
    if (!service) throw new TargetUnavailableError(key, arn);
    return service as NonNullable<RunningServices[K]>;
  };
  const targets: Targets = {
    async invokeFunction(nameOrArn, payload, options) {
      const lambda = await need('lambda', nameOrArn);
      if (options?.async)
        return { StatusCode: 202, requestId: lambda.invokeAsync(nameOrArn, payload).requestId };
      return lambda.invoke(nameOrArn, payload);
    },
    startExecution: async (arn, input, name) =>
      (await need('stepFunctions', arn)).startExecution(arn, input, name),
    async publish(topicArn, message, subject) {
      await (await need('sns', topicArn)).publish(topicArn, message, subject);
    },
    async sendMessage(queueArn, body, attributes) {
      (await need('sqs', queueArn)).send(queueArn, body, attributes);
    },
    putEvents: async (entries) => (await need('events', 'EventBridge')).putEvents(entries),
    async deliver(arn, payload) {
      const service = arn.split(':')[2];
      switch (service) {
        case 'lambda':
          await targets.invokeFunction(arn, parseJson(payload), { async: true });
          return;
        case 'states':
          await targets.startExecution(arn, parseJson(payload));
          return;
        case 'sns':
          return targets.publish(arn, payload);
        case 'sqs':
          return targets.sendMessage(arn, payload);
        case 'events': {
          // A Lambda destination record goes to a bus as Lambda's own event; anything else as is.
          const record = parseJson(payload) as {
            requestContext?: { condition?: string; functionArn?: string };
          };
          const condition = record?.requestContext?.condition;
          const busName = arn.includes(':event-bus/')
            ? arn.slice(arn.indexOf(':event-bus/') + 11)
            : 'default';
          await targets.putEvents([
            condition
              ? {
                  Source: 'lambda',
                  DetailType: `Lambda Function Invocation Result - ${condition === 'Success' ? 'Success' : 'Failure'}`,
                  Detail: payload,
                  Resources: [arn, String(record.requestContext?.functionArn ?? '')],
                  EventBusName: busName,
                }
              : { Source: 'local.cloud', DetailType: 'Delivery', Detail: payload, EventBusName: busName },
          ]);
          return;
        }
        default:
          throw new Error(`cannot deliver to ${arn}: service ${service ?? '?'} is not a supported target`);
      }
    },
  };
  return targets;
}
