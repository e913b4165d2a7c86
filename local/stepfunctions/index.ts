/**
 * Local Step Functions: the wire API plus an executor of the real ASL. See
 * docs/local-cloud.md ("Step Functions") for what is emulated and how time is scaled.
 *
 * @example
 * const sfn = await startStepFunctions(ctx, { stateMachines, targets, sdkEnv: () => cloud.env });
 * const arn = await sfn.startExecution(stateMachines[0].arn, { environment: 'dev' });
 * const { status, output } = await sfn.waitForExecution(arn, { timeoutMs: 10_000 });
 * await sfn.close();
 */

import { startServer } from '../core/http.ts';
import type { LocalStateMachine, Targets } from '../core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import { createApiHandler, describeExecution } from './api.ts';
import { SfnApiError, WaitTimeoutError } from './errors.ts';
import { Executor, engineTimeoutError, type LoadedMachine, loadMachine } from './executor.ts';
import { ExecutionStore, type HistoryEvent, toJsonText } from './model.ts';
import { createSdkCaller } from './sdk.ts';

export { DefinitionError, SfnApiError, TaskError, WaitTimeoutError } from './errors.ts';
export type { ExecutionRecord, ExecutionStatus, HistoryEvent } from './model.ts';

export interface StepFunctionsOptions {
  stateMachines: LocalStateMachine[];
  /** In-process delivery: Lambda invocations, SNS, SQS, EventBridge (status events too). */
  targets: Targets;
  /** `AWS_ENDPOINT_URL_*`, region and credentials for the `aws-sdk:*` and DynamoDB integrations. */
  sdkEnv: () => Record<string, string>;
  /**
   * Validate each definition with the engine's ASL validator first, as CreateStateMachine would
   * (default true). It compiles its JSON schemas on every call: about 0.15 s per machine on an
   * idle machine, over 1 s on a busy one. Pass false when the definitions are validated elsewhere.
   */
  validate?: boolean;
}

export interface ExecutionOutcome {
  status: string;
  output?: unknown;
  error?: string;
  cause?: string;
}

export interface StepFunctionsHandle extends EmulatorHandle {
  /** Start an execution; `input` is any JSON value. Returns the execution ARN. */
  startExecution(stateMachineArn: string, input: unknown, name?: string): Promise<string>;
  /** Resolve when the execution closes (default timeout 60 s of real time). */
  waitForExecution(executionArn: string, opts?: { timeoutMs?: number }): Promise<ExecutionOutcome>;
  /** DescribeExecution's body (dates as epoch seconds). */
  describe(executionArn: string): ReturnType<typeof describeExecution>;
  /** The execution's history, AWS event types and detail fields. */
  history(executionArn: string): HistoryEvent[];
  /** Stop a running execution (ABORTED). */
  stopExecution(executionArn: string, error?: string, cause?: string): void;
  /** Real milliseconds spent validating and preparing each state machine, by name. */
  loadTimesMs: Record<string, number>;
}

export async function startStepFunctions(
  ctx: ServiceContext,
  opts: StepFunctionsOptions,
): Promise<StepFunctionsHandle> {
  const machines = new Map<string, LoadedMachine>();
  const loadTimesMs: Record<string, number> = {};
  for (const sm of opts.stateMachines) {
    const loaded = loadMachine(sm, ctx.clock.speed, ctx.clock.date(), opts.validate ?? true);
    machines.set(sm.arn, loaded);
    loadTimesMs[sm.name] = loaded.loadMs;
  }
  const store = new ExecutionStore();
  const sdk = createSdkCaller(opts.sdkEnv);
  const executor = new Executor({
    ctx,
    targets: opts.targets,
    sdk,
    store,
    machines,
    timeoutError: await engineTimeoutError(),
  });
  const server = await startServer(createApiHandler({ ctx, executor, store, machines }));

  const get = (executionArn: string) => {
    const record = store.get(executionArn);
    if (!record)
      throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  };

  return {
    url: server.url,
    loadTimesMs,
    async startExecution(stateMachineArn, input, name) {
      return executor.start(stateMachineArn, toJsonText(input ?? {}), name).executionArn;
    },
    async waitForExecution(executionArn, waitOpts) {
      const record = get(executionArn);
      const timeoutMs = waitOpts?.timeoutMs ?? 60_000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new WaitTimeoutError(executionArn, timeoutMs)), timeoutMs);
      });
      try {
        await Promise.race([record.closed, timedOut]);
      } finally {
        clearTimeout(timer);
      }
      return {
        status: record.status,
        ...(record.output !== undefined ? { output: JSON.parse(record.output) } : {}),
        ...(record.error !== undefined ? { error: record.error } : {}),
        ...(record.cause !== undefined ? { cause: record.cause } : {}),
      };
    },
    describe: (executionArn) => describeExecution(get(executionArn)),
    history: (executionArn) => get(executionArn).history,
    stopExecution: (executionArn, error, cause) => {
      executor.stop(executionArn, error, cause);
    },
    async close() {
      executor.stopAll();
      await Promise.all(store.running().map((e) => e.closed));
      sdk.close();
      await server.close();
    },
  };
}
