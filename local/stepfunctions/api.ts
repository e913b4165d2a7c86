/**
 * The Step Functions wire API: awsJson 1.0, `X-Amz-Target: AWSStepFunctions.<Operation>`,
 * timestamps as epoch seconds. Each call first asks the fault registry whether to fail.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFault } from '../core/fault-response.ts';
import { sendJson, sendJsonError } from '../core/http.ts';
import type { ServiceContext } from '../core/service.ts';
import { SfnApiError } from './errors.ts';
import type { Executor, LoadedMachine } from './executor.ts';
import type { ExecutionRecord, ExecutionStatus, ExecutionStore, HistoryEvent } from './model.ts';

const TARGET_PREFIX = 'AWSStepFunctions.';
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;

type Body = Record<string, unknown>;

export interface ApiDeps {
  ctx: ServiceContext;
  executor: Executor;
  store: ExecutionStore;
  machines: Map<string, LoadedMachine>;
}

const epochSeconds = (date: Date | undefined) => (date ? date.getTime() / 1000 : undefined);

export function createApiHandler(deps: ApiDeps) {
  const operations: Record<string, (body: Body) => unknown> = {
    StartExecution: (b) => {
      const arn = requireString(b, 'stateMachineArn');
      if (!STATE_MACHINE_ARN.test(arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
      const input = b.input === undefined ? '{}' : requireString(b, 'input');
      const record = deps.executor.start(arn, input, b.name as string | undefined);
      return { executionArn: record.executionArn, startDate: epochSeconds(record.startDate) };
    },
    DescribeExecution: (b) => describeExecution(execution(deps, b)),
    StopExecution: (b) => {
      const record = execution(deps, b);
      deps.executor.stop(record.executionArn, b.error as string | undefined, b.cause as string | undefined);
      return { stopDate: epochSeconds(record.stopDate ?? deps.ctx.clock.date()) };
    },
    ListExecutions: (b) => {
      const arn = requireString(b, 'stateMachineArn');
      if (!deps.machines.has(arn)) {
        throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
      }
      const all = deps.store.list(arn, b.statusFilter as ExecutionStatus | undefined);
      const { items, nextToken } = page(all, b, 100);
      return {
        executions: items.map((e) => ({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: epochSeconds(e.startDate),
          ...(e.stopDate ? { stopDate: epochSeconds(e.stopDate) } : {}),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    },
    GetExecutionHistory: (b) => {
      const record = execution(deps, b);
      const ordered = b.reverseOrder ? [...record.history].reverse() : record.history;
      const { items, nextToken } = page(ordered, b, 100);
      return { events: items.map(wireEvent), ...(nextToken ? { nextToken } : {}) };
    },
    SendTaskSuccess: (b) => {
      deps.executor.tokens.success(requireString(b, 'taskToken'), b.output);
      return {};
    },
    SendTaskFailure: (b) => {
      deps.executor.tokens.failure(requireString(b, 'taskToken'), b.error, b.cause);
      return {};
    },
    SendTaskHeartbeat: (b) => {
      deps.executor.tokens.heartbeat(requireString(b, 'taskToken'));
      return {};
    },
    DescribeStateMachine: (b) => describeStateMachine(machine(deps, requireString(b, 'stateMachineArn'))),
    DescribeStateMachineForExecution: (b) => {
      const record = execution(deps, b);
      const m = machine(deps, record.stateMachineArn);
      const { status: _status, type: _type, ...rest } = describeStateMachine(m);
      return { ...rest, updateDate: rest.creationDate };
    },
    ListStateMachines: (b) => {
      const { items, nextToken } = page([...deps.machines.values()], b, 100);
      return {
        stateMachines: items.map((m) => ({
          stateMachineArn: m.sm.arn,
          name: m.sm.name,
          type: 'STANDARD',
          creationDate: epochSeconds(m.creationDate),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    },
  };

  return async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const fault = deps.ctx.faults.take('sfn', operation);
    const faulted = await applyFault(fault, res, (f) => sendJsonError(res, f.status, f.error, f.message));
    if (faulted === 'handled') return;
    const op = operations[operation];
    if (!op) return sendJsonError(res, 400, 'UnknownOperationException', `Unknown operation ${target}`);
    let body: Body;
    try {
      body = raw.length ? (JSON.parse(raw.toString('utf8')) as Body) : {};
    } catch {
      return sendJsonError(res, 400, 'SerializationException', 'Request body is not JSON');
    }
    try {
      sendJson(res, 200, op(body));
    } catch (error) {
      if (error instanceof SfnApiError) return sendJsonError(res, error.status, error.code, error.message);
      throw error;
    }
  };
}

function requireString(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new SfnApiError('ValidationException', `1 validation error detected: '${field}' must be a string`);
  }
  return value;
}

function execution(deps: ApiDeps, body: Body): ExecutionRecord {
  const arn = requireString(body, 'executionArn');
  if (!EXECUTION_ARN.test(arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
  const record = deps.store.get(arn);
  if (!record) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  return record;
}

function machine(deps: ApiDeps, arn: string): LoadedMachine {
  if (!STATE_MACHINE_ARN.test(arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
  const m = deps.machines.get(arn);
  if (!m) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  return m;
}

/** DescribeExecution's response body (also used by the programmatic `describe`). */
export function describeExecution(record: ExecutionRecord) {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    ...(record.stopDate ? { stopDate: epochSeconds(record.stopDate) } : {}),
    input: record.input,
    inputDetails: { included: true },
    ...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
    redriveCount: 0,
  };
}

function describeStateMachine(m: LoadedMachine) {
  return {
    stateMachineArn: m.sm.arn,
    name: m.sm.name,
    status: 'ACTIVE',
    definition: JSON.stringify(m.sm.definition),
    roleArn: `arn:aws:iam::${m.sm.arn.split(':')[4]}:role/${m.sm.name}-role`,
    type: 'STANDARD',
    creationDate: epochSeconds(m.creationDate),
  };
}

function wireEvent(event: HistoryEvent) {
  return { ...event, timestamp: epochSeconds(event.timestamp) };
}

function page<T>(all: T[], body: Body, defaultSize: number): { items: T[]; nextToken?: string } {
  const size = typeof body.maxResults === 'number' && body.maxResults > 0 ? body.maxResults : defaultSize;
  let start = 0;
  if (typeof body.nextToken === 'string') {
    start = Number.parseInt(Buffer.from(body.nextToken, 'base64url').toString('utf8'), 10);
    if (!Number.isInteger(start) || start < 0) throw new SfnApiError('InvalidToken', 'Invalid nextToken');
  }
  const items = all.slice(start, start + size);
  const next =
    start + size < all.length ? Buffer.from(String(start + size)).toString('base64url') : undefined;
  return { items, ...(next ? { nextToken: next } : {}) };
}
