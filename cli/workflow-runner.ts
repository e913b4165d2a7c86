/**
 * Starting and following a Step Functions execution, shared by the `env` (pause/resume) and
 * `env upgrade` commands: the SDK calls live in {@link sfnWorkflowRunner}, the polling loop that
 * reports progress in {@link pollExecution}.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';

/** What DescribeExecution says about an execution; `output` is parsed JSON. */
export interface ExecutionState {
  status: string;
  error?: string;
  cause?: string;
  output?: unknown;
}

/** The calls needed to follow an execution; command ports extend it so tests can fake them. */
export interface ExecutionWatcher {
  describeExecution(executionArn: string): Promise<ExecutionState>;
  /** Names of the states entered so far, oldest first. */
  statesEntered(executionArn: string): Promise<string[]>;
  sleep(ms: number): Promise<void>;
}

/** Step Functions calls behind the CLI ports, bound to one client. */
export interface WorkflowRunner extends Omit<ExecutionWatcher, 'sleep'> {
  /** Start an execution of `stateMachineArn` named `name`; returns its ARN. */
  start(stateMachineArn: string, name: string, input: Record<string, unknown>): Promise<string>;
}

export function sfnWorkflowRunner(sfn: SFNClient): WorkflowRunner {
  return {
    async start(stateMachineArn, name, input) {
      const out = await sfn.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return out.executionArn ?? '';
    },
    async describeExecution(executionArn) {
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return {
        status: out.status ?? 'UNKNOWN',
        ...(out.error ? { error: out.error } : {}),
        ...(out.cause ? { cause: out.cause } : {}),
        ...(out.output ? { output: JSON.parse(out.output) } : {}),
      };
    },
    async statesEntered(executionArn) {
      const names: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }),
        );
        for (const event of page.events ?? []) {
          const name = event.stateEnteredEventDetails?.name;
          if (event.type?.endsWith('StateEntered') && name) names.push(name);
        }
        nextToken = page.nextToken;
      } while (nextToken);
      return names;
    },
  };
}

/** Real-time sleep for the SDK adapters (fakes pass their own). */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Poll the execution until it leaves RUNNING. On every poll `onPoll` receives the states entered
 * since the previous poll (each name once, in order) and the current state, so callers decide
 * what progress to print. Returns the final state.
 */
export async function pollExecution(
  watcher: ExecutionWatcher,
  executionArn: string,
  onPoll: (newlyEntered: string[], state: ExecutionState) => void | Promise<void>,
  pollMs: number,
): Promise<ExecutionState> {
  let shown = 0;
  for (;;) {
    const [state, entered] = await Promise.all([
      watcher.describeExecution(executionArn),
      watcher.statesEntered(executionArn),
    ]);
    const fresh = entered.slice(shown);
    shown = entered.length;
    await onPoll(fresh, state);
    if (state.status !== 'RUNNING') return state;
    await watcher.sleep(pollMs);
  }
}
