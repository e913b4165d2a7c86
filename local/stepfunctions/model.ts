/**
 * Executions and their history, as the Step Functions API reports them. One store per emulator;
 * executions are never deleted while it runs (AWS keeps closed executions for 90 days).
 */

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/**
 * One history event, shaped as GetExecutionHistory returns it: `type` is the AWS event type
 * (`TaskScheduled`, `LambdaFunctionSucceeded`, `ExecutionFailed`...) and the details sit under the
 * AWS field name for that type (`taskScheduledEventDetails`, ...).
 */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  status: ExecutionStatus;
  /** Input as the JSON text StartExecution received. */
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  history: HistoryEvent[];
  /** Resolves when the execution closes, whatever its end state. */
  closed: Promise<void>;
}

export const TERMINAL_STATUSES: ReadonlySet<ExecutionStatus> = new Set([
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
]);

export class ExecutionStore {
  readonly #byArn = new Map<string, ExecutionRecord>();

  add(record: ExecutionRecord): void {
    this.#byArn.set(record.executionArn, record);
  }

  get(executionArn: string): ExecutionRecord | undefined {
    return this.#byArn.get(executionArn);
  }

  /** Newest first, as ListExecutions orders them. */
  list(stateMachineArn: string, status?: ExecutionStatus): ExecutionRecord[] {
    return [...this.#byArn.values()]
      .filter((e) => e.stateMachineArn === stateMachineArn && (!status || e.status === status))
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  running(): ExecutionRecord[] {
    return [...this.#byArn.values()].filter((e) => e.status === 'RUNNING');
  }
}

/** Appends events with consecutive ids, each pointing at the one before it. */
export function appendEvent(
  record: ExecutionRecord,
  timestamp: Date,
  type: string,
  details: Record<string, unknown> = {},
): HistoryEvent {
  const previous = record.history.at(-1);
  const event: HistoryEvent = {
    timestamp,
    type,
    id: (previous?.id ?? 0) + 1,
    previousEventId: previous?.id ?? 0,
    ...details,
  };
  record.history.push(event);
  return event;
}

/** The `<lowerCamelType>EventDetails` key AWS uses for an event type's details. */
export function detailsKey(type: string): string {
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

/** JSON text of a value for history and API fields (which carry JSON as strings). */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value ?? null);
}
