/**
 * SQS state: queues and their messages with visibility timeouts, receive counts and a redrive
 * policy (messages received `maxReceiveCount` times move to the dead-letter queue). All time
 * comes from the emulated clock.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import {
  invalidMessageContents,
  invalidParameterValue,
  missingParameter,
  queueDoesNotExist,
  queueNameExists,
  receiptHandleIsInvalid,
} from './errors.ts';
import { md5Hex, md5OfAttributes, type SqsAttributeValue } from './md5.ts';

export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, SqsAttributeValue>;
  md5OfMessageAttributes: string | undefined;
  sentTimestamp: number;
  visibleAt: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  receiptHandle?: string;
}

export interface Queue {
  name: string;
  arn: string;
  url: string;
  attributes: Record<string, string>;
  createdTimestamp: number;
  messages: StoredMessage[];
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$|^[A-Za-z0-9_-]{1,75}\.fifo$/;
const DEFAULT_ATTRIBUTES: Record<string, string> = {
  VisibilityTimeout: '30',
  MaximumMessageSize: '262144',
  MessageRetentionPeriod: '345600',
  DelaySeconds: '0',
  ReceiveMessageWaitTimeSeconds: '0',
};
// Characters the SQS documentation allows in a message body.
const VALID_BODY = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

export class QueueStore {
  private readonly byName = new Map<string, Queue>();
  private readonly issuedHandles = new Set<string>();
  private readonly waiters = new Set<() => void>();
  private readonly clock: Clock;
  private readonly region: string;
  private readonly accountId: string;
  baseUrl = '';

  constructor(clock: Clock, region: string, accountId: string) {
    this.clock = clock;
    this.region = region;
    this.accountId = accountId;
  }

  create(name: string | undefined, attributes: Record<string, string> = {}): Queue {
    if (!name || !QUEUE_NAME.test(name)) {
      throw invalidParameterValue(
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const existing = this.byName.get(name);
    if (existing) {
      const differs = Object.entries(attributes).some(([key, value]) => existing.attributes[key] !== value);
      if (differs) throw queueNameExists();
      return existing;
    }
    const queue: Queue = {
      name,
      arn: `arn:aws:sqs:${this.region}:${this.accountId}:${name}`,
      url: `${this.baseUrl}/${this.accountId}/${name}`,
      attributes: { ...DEFAULT_ATTRIBUTES, ...attributes },
      createdTimestamp: this.clock.now(),
      messages: [],
    };
    this.byName.set(name, queue);
    return queue;
  }

  delete(queue: Queue): void {
    this.byName.delete(queue.name);
  }

  list(prefix = ''): Queue[] {
    return [...this.byName.values()].filter((queue) => queue.name.startsWith(prefix));
  }

  byUrl(url: string | undefined): Queue {
    if (!url) throw missingParameter('QueueUrl');
    let name: string | undefined;
    try {
      name = new URL(url).pathname.split('/').filter(Boolean).pop();
    } catch {
      name = url.split('/').pop();
    }
    const queue = name === undefined ? undefined : this.byName.get(name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  byArn(arn: string): Queue {
    const queue = this.byName.get(arn.split(':').pop() ?? '');
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  byNameOrThrow(name: string | undefined): Queue {
    const queue = name === undefined ? undefined : this.byName.get(name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  send(
    queue: Queue,
    body: string | undefined,
    attributes: Record<string, SqsAttributeValue> = {},
    delaySeconds?: number,
  ) {
    if (!body) throw missingParameter('MessageBody');
    if (!VALID_BODY.test(body)) {
      throw invalidMessageContents();
    }
    if (Buffer.byteLength(body) > Number(queue.attributes.MaximumMessageSize)) {
      throw invalidParameterValue(
        `One or more parameters are invalid. Reason: Message must be shorter than ${queue.attributes.MaximumMessageSize} bytes.`,
      );
    }
    const delay = delaySeconds ?? Number(queue.attributes.DelaySeconds);
    if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
      throw invalidParameterValue(
        `Value ${delaySeconds} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900.`,
      );
    }
    for (const [name, value] of Object.entries(attributes)) {
      if (!value?.DataType || (value.StringValue === undefined && value.BinaryValue === undefined)) {
        throw invalidParameterValue(
          `Message (user) attribute '${name}' must contain a non-empty value of message attribute type '${value?.DataType ?? ''}'.`,
        );
      }
    }
    const now = this.clock.now();
    const message: StoredMessage = {
      messageId: crypto.randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      messageAttributes: attributes,
      md5OfMessageAttributes: md5OfAttributes(attributes),
      sentTimestamp: now,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
    };
    queue.messages.push(message);
    for (const wake of this.waiters) wake();
    return message;
  }

  /** Take up to `max` visible messages, redriving over-received ones to the dead-letter queue. */
  receive(queue: Queue, max: number, visibilityTimeout: number): StoredMessage[] {
    const now = this.clock.now();
    const redrive = this.redrivePolicy(queue);
    const taken: StoredMessage[] = [];
    for (const message of [...queue.messages]) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        queue.messages.splice(queue.messages.indexOf(message), 1);
        const dlq = this.byArn(redrive.deadLetterTargetArn);
        dlq.messages.push({ ...message, visibleAt: now, receiptHandle: undefined });
        continue;
      }
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + visibilityTimeout * 1000;
      message.receiptHandle = randomBytes(48).toString('base64');
      this.issuedHandles.add(message.receiptHandle);
      taken.push(message);
    }
    return taken;
  }

  deleteMessage(queue: Queue, receiptHandle: string | undefined): void {
    if (!receiptHandle || !this.issuedHandles.has(receiptHandle)) {
      throw receiptHandleIsInvalid(receiptHandle);
    }
    // Deleting with a handle whose message is already gone succeeds, as in SQS.
    const index = queue.messages.findIndex((message) => message.receiptHandle === receiptHandle);
    if (index >= 0) queue.messages.splice(index, 1);
  }

  purge(queue: Queue): void {
    queue.messages.length = 0;
  }

  counts(queue: Queue) {
    const now = this.clock.now();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const message of queue.messages) {
      if (message.visibleAt <= now) visible += 1;
      else if (message.receiveCount > 0) inFlight += 1;
      else delayed += 1;
    }
    return { visible, inFlight, delayed };
  }

  /** Resolve when a message is sent anywhere, or after `emulatedMs`. */
  waitForMessage(emulatedMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        cancel();
        resolve();
      };
      const cancel = this.clock.after(emulatedMs, done);
      this.waiters.add(done);
    });
  }

  private redrivePolicy(queue: Queue): { deadLetterTargetArn: string; maxReceiveCount: number } | undefined {
    const text = queue.attributes.RedrivePolicy;
    if (!text) return undefined;
    const policy = JSON.parse(text) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
    if (!policy.deadLetterTargetArn) return undefined;
    return {
      deadLetterTargetArn: policy.deadLetterTargetArn,
      maxReceiveCount: Number(policy.maxReceiveCount ?? 10),
    };
  }
}
