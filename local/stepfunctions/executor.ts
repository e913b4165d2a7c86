/**
 * Runs executions of real ASL with aws-local-stepfunctions (see compile.ts for how the definition
 * is adapted), records AWS-shaped history, enforces timeouts on the emulated clock and reports
 * status changes to EventBridge.
 */
import { setTimeout as delay, setImmediate as nextMacrotask } from 'node:timers/promises';
import { StateMachine } from 'aws-local-stepfunctions';
import type { LocalStateMachine, Targets } from '../core/model.ts';
import type { ServiceContext } from '../core/service.ts';
import {
  type CompiledDefinition,
  type CompiledTask,
  cloneJson,
  compileDefinition,
  type WrappedTaskInput,
} from './compile.ts';
import { DefinitionError, SfnApiError, TaskAbortedError, TaskError } from './errors.ts';
import {
  appendEvent,
  detailsKey,
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionStore,
  TERMINAL_STATUSES,
  toJsonText,
} from './model.ts';
import type { SdkCaller } from './sdk.ts';
import { type ChildOutcome, dispatchTask, parseResource, type TaskDeps } from './tasks.ts';
import {
  checkPayloadSize,
  dataLimitError,
  PAYLOAD_LIMIT_BYTES,
  payloadBytes,
  runtimeError,
} from './terminal-errors.ts';
import { newTaskToken, TaskTokenRegistry } from './tokens.ts';

/**
 * What `$$.Task.Token` resolves to while the engine evaluates Parameters; each task run replaces
 * it with a fresh token (the engine's context object is fixed per run, tokens are per task).
 */
const TOKEN_PLACEHOLDER = '__local_sfn_task_token__';

/** A state machine ready to run. */
export interface LoadedMachine {
  sm: LocalStateMachine;
  compiled: CompiledDefinition;
  engine: StateMachine;
  creationDate: Date;
  /** Real milliseconds spent validating and constructing it. */
  loadMs: number;
}

type EngineDefinition = ConstructorParameters<typeof StateMachine>[0];

/** Validate the real definition (as CreateStateMachine would) and build the runnable one. */
export function loadMachine(
  sm: LocalStateMachine,
  clockSpeed: number,
  creationDate: Date,
  validate = true,
): LoadedMachine {
  const started = performance.now();
  if (validate) {
    try {
      // The validator writes into the object it checks: hand it a copy.
      new StateMachine(cloneJson(sm.definition) as unknown as EngineDefinition);
    } catch (error) {
      throw new DefinitionError(`${sm.name}: ${(error as Error).message}`, { cause: error });
    }
  }
  const compiled = compileDefinition(sm.definition, clockSpeed);
  const engine = new StateMachine(compiled.definition as unknown as EngineDefinition, {
    validationOptions: { noValidate: true },
  });
  return { sm, compiled, engine, creationDate, loadMs: performance.now() - started };
}

type TimeoutErrorCtor = new () => Error;

/**
 * The engine excludes its own timeout error class (not exported) from the `States.TaskFailed`
 * wildcard, as AWS excludes States.Timeout. To get that behaviour for timeouts we enforce on the
 * emulated clock, we obtain the class from a probe run whose task times out after 1 ms.
 */
let timeoutCtorPromise: Promise<TimeoutErrorCtor> | undefined;
export function engineTimeoutError(): Promise<TimeoutErrorCtor> {
  timeoutCtorPromise ??= (async () => {
    const probe = new StateMachine(
      {
        StartAt: 'Probe',
        States: {
          Probe: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:000000000000:function:probe',
            TimeoutSeconds: 0.001,
            End: true,
          },
        },
      } as unknown as EngineDefinition,
      { validationOptions: { noValidate: true } },
    );
    const run = probe.run(
      {},
      { overrides: { taskResourceLocalHandlers: { Probe: () => delay(50).then(() => null) } } },
    );
    try {
      await run.result;
    } catch (error) {
      const cause = (error as Error).cause;
      if (cause instanceof Error && cause.name === 'States.Timeout')
        return cause.constructor as TimeoutErrorCtor;
    }
    return class StatesTimeout extends Error {
      constructor() {
        super('States.Timeout');
        this.name = 'States.Timeout';
      }
    };
  })();
  return timeoutCtorPromise;
}

export interface ExecutorOptions {
  ctx: ServiceContext;
  targets: Targets;
  sdk: SdkCaller;
  store: ExecutionStore;
  machines: Map<string, LoadedMachine>;
  timeoutError: TimeoutErrorCtor;
}

interface Running {
  abort: AbortController;
  stopEngine(): void;
  /** Set before aborting: the status and error/cause the execution closes with. */
  closing?: { status: ExecutionStatus; error?: string; cause?: string };
}

const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]/u;

export class Executor {
  readonly tokens: TaskTokenRegistry;
  readonly #o: ExecutorOptions;
  readonly #running = new Map<string, Running>();
  readonly #closers = new Map<string, () => void>();
  readonly #taskDeps: TaskDeps;

  constructor(options: ExecutorOptions) {
    this.#o = options;
    // AWS names a lost heartbeat States.HeartbeatTimeout; it is still a timeout (States.Timeout
    // matches it, see compile.ts, and States.TaskFailed does not), hence the engine's class.
    this.tokens = new TaskTokenRegistry(options.ctx.clock, () =>
      this.#timeoutError(
        'The task heartbeat timed out (HeartbeatSeconds elapsed without SendTaskHeartbeat)',
        'States.HeartbeatTimeout',
      ),
    );
    this.#taskDeps = {
      targets: options.targets,
      sdk: options.sdk,
      region: options.ctx.region,
      accountId: options.ctx.accountId,
      startChild: async (arn, input, name) => {
        const record = this.start(arn, toJsonText(input), name);
        return { executionArn: record.executionArn, startDate: record.startDate };
      },
      waitChild: async (arn) => this.#childOutcome(arn),
    };
  }

  /** StartExecution: returns the new (or, for an identical running request, existing) execution. */
  start(stateMachineArn: string, inputText: string, name?: string): ExecutionRecord {
    const machine = this.#o.machines.get(stateMachineArn);
    if (!machine)
      throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    let input: unknown;
    try {
      input = JSON.parse(inputText);
    } catch {
      throw new SfnApiError(
        'InvalidExecutionInput',
        'Invalid State Machine Execution Input: input is not JSON',
      );
    }
    const executionName = name ?? crypto.randomUUID();
    if (executionName.length < 1 || executionName.length > 80 || INVALID_NAME.test(executionName)) {
      throw new SfnApiError('InvalidName', `Invalid Name: '${executionName}'`);
    }
    const executionArn = `arn:aws:states:${this.#o.ctx.region}:${this.#o.ctx.accountId}:execution:${machine.sm.name}:${executionName}`;
    const existing = this.#o.store.get(executionArn);
    if (existing) {
      // AWS: the same name and input while still running is idempotent; anything else is a conflict.
      if (existing.status === 'RUNNING' && existing.input === inputText) return existing;
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const { promise: closed, resolve: markClosed } = Promise.withResolvers<void>();
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      stateMachineName: machine.sm.name,
      name: executionName,
      status: 'RUNNING',
      input: inputText,
      startDate: this.#o.ctx.clock.date(),
      history: [],
      closed,
    };
    this.#o.store.add(record);
    this.#closers.set(executionArn, markClosed);
    this.#run(record, machine, input);
    return record;
  }

  /** StopExecution: aborts the run; the execution closes ABORTED. */
  stop(executionArn: string, error?: string, cause?: string): ExecutionRecord {
    const record = this.#o.store.get(executionArn);
    if (!record)
      throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    const running = this.#running.get(executionArn);
    if (running && !running.closing) {
      running.closing = {
        status: 'ABORTED',
        ...(error !== undefined ? { error } : {}),
        ...(cause !== undefined ? { cause } : {}),
      };
      running.abort.abort();
      running.stopEngine();
    }
    return record;
  }

  /** Abort every running execution (emulator shutdown). */
  stopAll(): void {
    for (const arn of this.#running.keys()) this.stop(arn, 'States.Aborted', 'Local cloud stopped');
  }

  #run(record: ExecutionRecord, machine: LoadedMachine, input: unknown): void {
    const { ctx } = this.#o;
    const abort = new AbortController();
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const task of machine.compiled.tasks.values()) {
      handlers[task.stateName] = (wrapped) =>
        this.#runTask(record, task, wrapped as WrappedTaskInput, abort.signal);
    }
    const context = {
      Execution: {
        Id: record.executionArn,
        Name: record.name,
        RoleArn: `arn:aws:iam::${ctx.accountId}:role/${machine.sm.name}-role`,
        StartTime: record.startDate.toISOString(),
      },
      StateMachine: { Id: machine.sm.arn, Name: machine.sm.name },
      // The engine has no `$$.State`. It reads the context when a state evaluates its paths,
      // which happens as the state is entered, so a getter on the emulated clock gives
      // `$$.State.EnteredTime` (ISO 8601, like AWS) at that moment.
      State: {
        get EnteredTime() {
          return ctx.clock.date().toISOString();
        },
      },
      Task: { Token: TOKEN_PLACEHOLDER },
    };
    appendEvent(record, ctx.clock.date(), 'ExecutionStarted', {
      executionStartedEventDetails: {
        input: record.input,
        inputDetails: { truncated: false },
        roleArn: context.Execution.RoleArn,
      },
    });
    this.#emitStatus(record);
    const run = machine.engine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context,
    });
    const running: Running = { abort, stopEngine: run.abort };
    this.#running.set(record.executionArn, running);
    // A state output over the quota fails the execution; the engine has no such check, and the
    // error is terminal, so it is enforced here (from the event log) rather than inside the run.
    const failTerminal = (error: Error) => {
      if (running.closing) return;
      running.closing = { status: 'FAILED', error: error.name, cause: error.message };
      abort.abort();
      run.abort();
    };
    void this.#recordEngineEvents(record, machine, run.eventLogs as AsyncGenerator<never>, failTerminal);
    const cancelTimeout =
      machine.compiled.timeoutSeconds !== undefined
        ? ctx.clock.after(machine.compiled.timeoutSeconds * 1000, () => {
            if (running.closing) return;
            running.closing = { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'Execution timed out' };
            abort.abort();
            run.abort();
          })
        : () => {};
    // The outcome is decided after the engine's last events were read (#close waits for them):
    // the final state's output may turn out to be over the quota.
    run.result.then(
      (output) =>
        this.#close(record, () => running.closing ?? { status: 'SUCCEEDED', output }, cancelTimeout),
      (error: unknown) => {
        const cause = (error as Error).cause as Error | undefined;
        const failure = cause ?? (error as Error);
        return this.#close(
          record,
          () =>
            running.closing ?? {
              status: 'FAILED',
              error: failure?.name ?? 'States.Runtime',
              cause: failure?.message ?? String(error),
            },
          cancelTimeout,
        );
      },
    );
  }

  async #close(
    record: ExecutionRecord,
    outcome: () => { status: ExecutionStatus; output?: unknown; error?: string; cause?: string },
    cancelTimeout: () => void,
  ): Promise<void> {
    cancelTimeout();
    // Let the engine's last events reach the history before the closing event.
    await nextMacrotask();
    const end = outcome();
    const { clock } = this.#o.ctx;
    this.tokens.closeExecution(record.executionArn);
    this.#running.delete(record.executionArn);
    record.status = end.status;
    record.stopDate = clock.date();
    if (end.status === 'SUCCEEDED') {
      record.output = toJsonText(end.output);
      appendEvent(record, record.stopDate, 'ExecutionSucceeded', {
        executionSucceededEventDetails: { output: record.output, outputDetails: { truncated: false } },
      });
    } else {
      if (end.error !== undefined) record.error = end.error;
      if (end.cause !== undefined) record.cause = end.cause;
      const type = { FAILED: 'ExecutionFailed', TIMED_OUT: 'ExecutionTimedOut', ABORTED: 'ExecutionAborted' }[
        end.status as 'FAILED' | 'TIMED_OUT' | 'ABORTED'
      ];
      appendEvent(record, record.stopDate, type, {
        [detailsKey(type)]: {
          ...(end.error !== undefined ? { error: end.error } : {}),
          ...(end.cause !== undefined ? { cause: end.cause } : {}),
        },
      });
    }
    this.#o.ctx.log('sfn', `execution ${end.status}`, {
      executionArn: record.executionArn,
      error: record.error,
    });
    this.#emitStatus(record);
    this.#closers.get(record.executionArn)?.();
    this.#closers.delete(record.executionArn);
  }

  /** Maps the engine's event log to AWS history events (state entered/exited, map iterations). */
  async #recordEngineEvents(
    record: ExecutionRecord,
    machine: LoadedMachine,
    events: AsyncIterable<Record<string, unknown>>,
    failTerminal: (error: Error) => void,
  ): Promise<void> {
    const { clock } = this.#o.ctx;
    for await (const event of events) {
      if (TERMINAL_STATUSES.has(record.status)) return;
      const state = event.state as
        | { name: string; type: string; input: unknown; output?: unknown }
        | undefined;
      const type = state ? (machine.compiled.stateTypes.get(state.name) ?? state.type) : '';
      switch (event.type) {
        case 'StateEntered':
          appendEvent(record, clock.date(), `${type}StateEntered`, {
            stateEnteredEventDetails: { name: state?.name, input: toJsonText(state?.input) },
          });
          break;
        case 'StateExited': {
          const bytes = payloadBytes(state?.output);
          if (bytes > PAYLOAD_LIMIT_BYTES) {
            failTerminal(dataLimitError(`The state/task '${state?.name}' returned a result`, bytes));
            return;
          }
          appendEvent(record, clock.date(), `${type}StateExited`, {
            stateExitedEventDetails: { name: state?.name, output: toJsonText(state?.output) },
          });
          break;
        }
        case 'StateFailed':
          if (type === 'Map' || type === 'Parallel') appendEvent(record, clock.date(), `${type}StateFailed`);
          break;
        case 'MapIterationStarted':
        case 'MapIterationSucceeded':
        case 'MapIterationFailed': {
          const parent = event.parentState as { name: string };
          appendEvent(record, clock.date(), event.type, {
            [detailsKey(event.type)]: { name: parent.name, index: event.index },
          });
          break;
        }
        default:
          break;
      }
    }
  }

  async #runTask(
    record: ExecutionRecord,
    task: CompiledTask,
    wrapped: WrappedTaskInput,
    signal: AbortSignal,
  ): Promise<unknown> {
    // The engine reported StateEntered synchronously before calling us; its event stream is
    // delivered through microtasks, so yield once to keep the history in order.
    await nextMacrotask();
    if (signal.aborted) throw new TaskAbortedError();
    if (task.kind === 'wait') return this.#wait(task, wrapped, signal);

    const { clock } = this.#o.ctx;
    const token = newTaskToken();
    const params = replacePlaceholder(wrapped.__p, token);
    const parsed = parseResource(task.resource);
    const timeoutSeconds =
      task.timeoutSeconds ?? positiveNumber(wrapped.__to, 'TimeoutSecondsPath', task.stateName);
    const heartbeatSeconds =
      task.heartbeatSeconds ?? positiveNumber(wrapped.__hb, 'HeartbeatSecondsPath', task.stateName);
    // After Parameters (and the token) the task's input must fit the quota, as on AWS.
    checkPayloadSize(params, `The state/task '${task.stateName}' has an input`);
    const plainFunction = parsed.resourceType === 'lambda-function';
    const ids = { resourceType: parsed.resourceType, resource: parsed.resource };

    if (plainFunction) {
      appendEvent(record, clock.date(), 'LambdaFunctionScheduled', {
        lambdaFunctionScheduledEventDetails: {
          resource: parsed.resource,
          input: toJsonText(params),
          ...(timeoutSeconds !== undefined ? { timeoutInSeconds: timeoutSeconds } : {}),
        },
      });
      appendEvent(record, clock.date(), 'LambdaFunctionStarted');
    } else {
      appendEvent(record, clock.date(), 'TaskScheduled', {
        taskScheduledEventDetails: {
          ...ids,
          region: this.#o.ctx.region,
          parameters: toJsonText(params),
          ...(timeoutSeconds !== undefined ? { timeoutInSeconds: timeoutSeconds } : {}),
          ...(heartbeatSeconds !== undefined ? { heartbeatInSeconds: heartbeatSeconds } : {}),
        },
      });
      appendEvent(record, clock.date(), 'TaskStarted', { taskStartedEventDetails: ids });
    }

    const callback = parsed.pattern === 'waitForTaskToken';
    const wait = callback
      ? this.tokens.register(token, {
          executionArn: record.executionArn,
          stateName: task.stateName,
          ...(heartbeatSeconds !== undefined ? { heartbeatSeconds } : {}),
        })
      : undefined;
    const work = (async () => {
      const response = await dispatchTask(this.#taskDeps, parsed, params);
      if (!wait) return response;
      appendEvent(record, clock.date(), 'TaskSubmitted', {
        taskSubmittedEventDetails: { ...ids, output: toJsonText(response) },
      });
      return wait.promise;
    })();
    try {
      const output = await this.#race(work, timeoutSeconds, signal);
      checkPayloadSize(output, `The state/task '${task.stateName}' returned a result`);
      if (plainFunction) {
        appendEvent(record, clock.date(), 'LambdaFunctionSucceeded', {
          lambdaFunctionSucceededEventDetails: { output: toJsonText(output) },
        });
      } else {
        appendEvent(record, clock.date(), 'TaskSucceeded', {
          taskSucceededEventDetails: { ...ids, output: toJsonText(output) },
        });
      }
      return output;
    } catch (error) {
      wait?.close();
      if (error instanceof TaskAbortedError) throw error;
      const err = error instanceof Error ? error : new TaskError('States.TaskFailed', String(error));
      const timedOut = err instanceof this.#o.timeoutError;
      const details = { error: err.name, cause: err.message };
      const type = plainFunction
        ? timedOut
          ? 'LambdaFunctionTimedOut'
          : 'LambdaFunctionFailed'
        : timedOut
          ? 'TaskTimedOut'
          : 'TaskFailed';
      appendEvent(record, clock.date(), type, {
        [detailsKey(type)]: plainFunction ? details : { ...ids, ...details },
      });
      throw err;
    }
  }

  async #wait(task: CompiledTask, wrapped: WrappedTaskInput, signal: AbortSignal): Promise<unknown> {
    const { clock } = this.#o.ctx;
    let ms = 0;
    if (task.seconds !== undefined) ms = task.seconds * 1000;
    else if (wrapped.__s !== undefined) {
      const seconds = wrapped.__s;
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        throw runtimeError(
          `The SecondsPath parameter of state '${task.stateName}' does not reference a non-negative integer: ${toJsonText(seconds)}`,
        );
      }
      ms = seconds * 1000;
    } else {
      const timestamp = task.timestamp ?? wrapped.__ts;
      const at = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
      if (Number.isNaN(at))
        throw runtimeError(
          `The TimestampPath parameter of state '${task.stateName}' does not reference a timestamp: ${toJsonText(timestamp)}`,
        );
      ms = at - clock.now();
    }
    await this.#race(
      new Promise<void>((resolve) => clock.after(Math.max(0, ms), resolve)),
      undefined,
      signal,
    );
    return wrapped.__p;
  }

  /** Settle with `work`, or reject on the emulated-clock timeout or when the execution stops. */
  #race<T>(work: Promise<T>, timeoutSeconds: number | undefined, signal: AbortSignal): Promise<T> {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const cancelTimer =
      timeoutSeconds !== undefined
        ? this.#o.ctx.clock.after(timeoutSeconds * 1000, () =>
            reject(this.#timeoutError(`The task did not complete within ${timeoutSeconds} seconds`)),
          )
        : () => {};
    const onAbort = () => reject(new TaskAbortedError());
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject);
    return promise.finally(() => {
      cancelTimer();
      signal.removeEventListener('abort', onAbort);
    });
  }

  #timeoutError(cause: string, name = 'States.Timeout'): Error {
    const error = new this.#o.timeoutError();
    error.message = cause;
    error.name = name;
    return error;
  }

  async #childOutcome(executionArn: string): Promise<ChildOutcome> {
    const record = this.#o.store.get(executionArn);
    if (!record) throw new TaskError('States.TaskFailed', `Child execution ${executionArn} not found`);
    await record.closed;
    return { status: record.status, description: pascalDescription(record) };
  }

  #emitStatus(record: ExecutionRecord): void {
    const detail = {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate.getTime(),
      stopDate: record.stopDate?.getTime() ?? null,
      input: record.input,
      output: record.output ?? null,
      inputDetails: { included: true },
      outputDetails: record.output !== undefined ? { included: true } : null,
      error: record.error ?? null,
      cause: record.cause ?? null,
      redriveCount: 0,
      redriveDate: null,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is RUNNING and cannot be redriven',
    };
    if (record.status !== 'RUNNING') {
      detail.redriveStatus = record.status === 'SUCCEEDED' ? 'NOT_REDRIVABLE' : 'REDRIVABLE';
      detail.redriveStatusReason =
        record.status === 'SUCCEEDED' ? 'Execution is SUCCEEDED and cannot be redriven' : '';
    }
    this.#o.targets
      .putEvents([
        {
          Source: 'aws.states',
          DetailType: 'Step Functions Execution Status Change',
          Detail: JSON.stringify(detail),
          Resources: [record.executionArn],
        },
      ])
      .catch((error: unknown) =>
        this.#o.ctx.log('sfn', 'status event not delivered', {
          executionArn: record.executionArn,
          error: (error as Error).message,
        }),
      );
  }
}

/** DescribeExecution output with PascalCase keys, as the `.sync` integrations return it. */
function pascalDescription(record: ExecutionRecord): Record<string, unknown> {
  return {
    ExecutionArn: record.executionArn,
    StateMachineArn: record.stateMachineArn,
    Name: record.name,
    Status: record.status,
    StartDate: record.startDate.getTime(),
    ...(record.stopDate ? { StopDate: record.stopDate.getTime() } : {}),
    Input: record.input,
    InputDetails: { Included: true },
    ...(record.output !== undefined ? { Output: record.output, OutputDetails: { Included: true } } : {}),
    ...(record.error !== undefined ? { Error: record.error } : {}),
    ...(record.cause !== undefined ? { Cause: record.cause } : {}),
  };
}

function replacePlaceholder(value: unknown, token: string): unknown {
  if (typeof value === 'string')
    return value.includes(TOKEN_PLACEHOLDER) ? value.replaceAll(TOKEN_PLACEHOLDER, token) : value;
  if (Array.isArray(value)) return value.map((v) => replacePlaceholder(v, token));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replacePlaceholder(v, token)]));
  }
  return value;
}

/** `TimeoutSecondsPath`/`HeartbeatSecondsPath` must select a positive integer, else States.Runtime. */
function positiveNumber(value: unknown, field: string, stateName: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw runtimeError(
      `The ${field} parameter of state '${stateName}' does not reference a positive integer: ${toJsonText(value)}`,
    );
  }
  return value;
}
