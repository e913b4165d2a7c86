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
  /** When the execution started (ISO 8601), as Step Functions reports it. */
  startDate?: string;
}

/** States entered after a point in the execution history, and the new point to read on from. */
export interface HistorySlice {
  /** Names of the states entered after `afterEventId`, oldest first. */
  entered: string[];
  /** The id of the newest event seen (history event ids count up from 1); pass it to the next read. */
  lastEventId: number;
}

/** The calls needed to follow an execution; command ports extend it so tests can fake them. */
export interface ExecutionWatcher {
  describeExecution(executionArn: string): Promise<ExecutionState>;
  /**
   * The states entered after event `afterEventId` (0: from the start). Reads only the new part
   * of the history, so following a long execution costs the same per poll as a short one.
   */
  statesEnteredAfter(executionArn: string, afterEventId: number): Promise<HistorySlice>;
  sleep(ms: number): Promise<void>;
}

/** Step Functions calls behind the CLI ports, bound to one client. */
export interface WorkflowRunner extends Omit<ExecutionWatcher, 'sleep'> {
  /** Start an execution of `stateMachineArn` named `name`; returns its ARN. */
  start(stateMachineArn: string, name: string, input: Record<string, unknown>): Promise<string>;
}

/** History events read per GetExecutionHistory call (the API's maximum is 1000). */
const HISTORY_PAGE = 100;

/** The part of GetExecutionHistory the follower reads. */
export interface HistoryEvent {
  id?: number;
  type?: string;
  stateEnteredEventDetails?: { name?: string };
}

/**
 * GetExecutionHistory has no "events after id N" filter, and its last page carries no nextToken
 * to resume from. So the history is read newest first (`reverseOrder`) and the reading stops at
 * the first event already seen: a poll reads the new events plus at most one page boundary.
 */
export async function readHistoryAfter(
  page: (nextToken: string | undefined) => Promise<{ events?: HistoryEvent[]; nextToken?: string }>,
  afterEventId: number,
): Promise<HistorySlice> {
  const fresh: HistoryEvent[] = [];
  let nextToken: string | undefined;
  let reachedSeen = false;
  do {
    const out = await page(nextToken);
    for (const event of out.events ?? []) {
      if ((event.id ?? 0) <= afterEventId) {
        reachedSeen = true;
        break;
      }
      fresh.push(event);
    }
    nextToken = out.nextToken;
  } while (nextToken && !reachedSeen);
  fresh.reverse();
  const entered: string[] = [];
  for (const event of fresh) {
    const name = event.stateEnteredEventDetails?.name;
    if (event.type?.endsWith('StateEntered') && name) entered.push(name);
  }
  return { entered, lastEventId: Math.max(afterEventId, ...fresh.map((event) => event.id ?? 0)) };
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
        ...(out.startDate ? { startDate: out.startDate.toISOString() } : {}),
      };
    },
    statesEnteredAfter(executionArn, afterEventId) {
      return readHistoryAfter(
        (nextToken) =>
          sfn.send(
            new GetExecutionHistoryCommand({
              executionArn,
              nextToken,
              maxResults: HISTORY_PAGE,
              reverseOrder: true,
            }),
          ),
        afterEventId,
      );
    },
  };
}

/** Real-time sleep for the SDK adapters (fakes pass their own). */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `m:ss`, or `h:mm:ss` from an hour on: how long the CLI has been following. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** One poll's news: states entered since the previous poll, the current state, the time since following began. */
export interface PollUpdate {
  newlyEntered: string[];
  state: ExecutionState;
  elapsedMs: number;
}

/**
 * Poll the execution until it leaves RUNNING. On every poll `onPoll` receives the states entered
 * since the previous poll (each once, in order), the current state and the elapsed time from
 * `now` (injected: progress output is tested without a real clock). Returns the final state.
 */
export async function pollExecution(
  watcher: ExecutionWatcher,
  executionArn: string,
  onPoll: (update: PollUpdate) => void | Promise<void>,
  options: { pollMs: number; now?: () => number },
): Promise<ExecutionState> {
  const now = options.now ?? Date.now;
  const began = now();
  let lastEventId = 0;
  for (;;) {
    // Describe first: a history read after it cannot miss the events that led to its status.
    const state = await watcher.describeExecution(executionArn);
    const slice = await watcher.statesEnteredAfter(executionArn, lastEventId);
    lastEventId = slice.lastEventId;
    await onPoll({ newlyEntered: slice.entered, state, elapsedMs: now() - began });
    if (state.status !== 'RUNNING') return state;
    await watcher.sleep(options.pollMs);
  }
}
