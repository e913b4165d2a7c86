/**
 * Task tokens of `.waitForTaskToken` tasks, answered through SendTaskSuccess / SendTaskFailure /
 * SendTaskHeartbeat. Heartbeat deadlines run on the emulated clock.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { SfnApiError, TaskError } from './errors.ts';

const TOKEN_PREFIX = 'AQCEAAAAKgAAAA';
const TOKEN_PATTERN = /^AQCEAAAAKgAAAA[A-Za-z0-9_-]{100,}$/;

export function newTaskToken(): string {
  return TOKEN_PREFIX + randomBytes(96).toString('base64url');
}

interface PendingTask {
  executionArn: string;
  stateName: string;
  resolve(output: unknown): void;
  reject(error: Error): void;
  heartbeatSeconds?: number;
  cancelHeartbeat?: () => void;
}

export interface TokenWait {
  /** Settles with the SendTaskSuccess output, or rejects with the failure / heartbeat timeout. */
  promise: Promise<unknown>;
  /** Forget the token (task timed out, execution stopped); later answers get TaskTimedOut. */
  close(): void;
}

export class TaskTokenRegistry {
  readonly #pending = new Map<string, PendingTask>();
  readonly #closed = new Set<string>();
  readonly #clock: Clock;
  /** Called when a heartbeat deadline passes, to record TaskTimedOut before the task fails. */
  readonly #makeHeartbeatError: () => Error;

  constructor(clock: Clock, makeHeartbeatError: () => Error) {
    this.#clock = clock;
    this.#makeHeartbeatError = makeHeartbeatError;
  }

  /** Start waiting for `token`. Register before dispatching, the answer may come first. */
  register(
    token: string,
    info: { executionArn: string; stateName: string; heartbeatSeconds?: number },
  ): TokenWait {
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    // A heartbeat may expire while the request is still being made, before anyone awaits this.
    promise.catch(() => {});
    const pending: PendingTask = { ...info, resolve, reject };
    this.#pending.set(token, pending);
    this.#armHeartbeat(token, pending);
    return { promise, close: () => this.#close(token) };
  }

  success(token: string, outputText: unknown): void {
    const task = this.#take(token);
    if (typeof outputText !== 'string')
      throw new SfnApiError('InvalidOutput', 'output must be a JSON string');
    let output: unknown;
    try {
      output = JSON.parse(outputText);
    } catch {
      throw new SfnApiError('InvalidOutput', 'output is not valid JSON');
    }
    this.#close(token);
    task.resolve(output);
  }

  failure(token: string, error: unknown, cause: unknown): void {
    const task = this.#take(token);
    this.#close(token);
    task.reject(
      new TaskError(typeof error === 'string' ? error : '', typeof cause === 'string' ? cause : ''),
    );
  }

  heartbeat(token: string): void {
    const task = this.#take(token);
    this.#armHeartbeat(token, task);
  }

  /** Close every token of an execution (stopped or timed out). */
  closeExecution(executionArn: string): void {
    for (const [token, task] of this.#pending) if (task.executionArn === executionArn) this.#close(token);
  }

  #armHeartbeat(token: string, task: PendingTask): void {
    task.cancelHeartbeat?.();
    if (task.heartbeatSeconds === undefined) return;
    task.cancelHeartbeat = this.#clock.after(task.heartbeatSeconds * 1000, () => {
      if (!this.#pending.has(token)) return;
      this.#close(token);
      task.reject(this.#makeHeartbeatError());
    });
  }

  #take(token: unknown): PendingTask {
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) {
      throw new SfnApiError('InvalidToken', 'Invalid Token');
    }
    const task = this.#pending.get(token);
    if (task) return task;
    if (this.#closed.has(token)) throw new SfnApiError('TaskTimedOut', 'Task Timed Out');
    throw new SfnApiError('TaskDoesNotExist', 'Task does not exist');
  }

  #close(token: string): void {
    const task = this.#pending.get(token);
    task?.cancelHeartbeat?.();
    this.#pending.delete(token);
    this.#closed.add(token);
  }
}
