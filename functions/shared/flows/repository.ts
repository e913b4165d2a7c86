/**
 * FlowsTable access. Routing reads the whole (small) table with one paginated Scan and keeps it
 * for a short TTL, so routing an S3 batch costs O(1) DynamoDB calls however many records and
 * flows there are; a changed flow takes effect within the TTL.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Flow, validateFlow } from './model.ts';

export interface InvalidFlow {
  flowId: string;
  problems: string[];
}

export interface FlowSnapshot {
  flows: Flow[];
  invalid: InvalidFlow[];
}

export interface FlowRepository {
  /** Every valid flow (cached), and the rows that failed validation. */
  snapshot(): Promise<FlowSnapshot>;
  get(flowId: string): Promise<{ flow: Flow } | { invalid: InvalidFlow } | undefined>;
  put(flow: Flow): Promise<void>;
  delete(flowId: string): Promise<boolean>;
  /** Forget the cached snapshot. */
  invalidate(): void;
  /** DynamoDB requests made so far (for tests and benchmarks). */
  readonly requests: number;
}

export interface FlowRepositoryOptions {
  ddb: Pick<DynamoDBDocumentClient, 'send'>;
  tableName: string;
  cacheTtlMs?: number;
  now?: () => number;
}

function classify(item: Record<string, unknown>): { flow: Flow } | { invalid: InvalidFlow } {
  const checked = validateFlow(item);
  if (checked.ok) return { flow: checked.flow };
  const flowId = typeof item.flowId === 'string' ? item.flowId : '(no flowId)';
  return { invalid: { flowId, problems: checked.problems } };
}

export function createFlowRepository(options: FlowRepositoryOptions): FlowRepository {
  const ttl = options.cacheTtlMs ?? 30_000;
  const now = options.now ?? Date.now;
  let cached: { snapshot: FlowSnapshot; expiresAt: number } | undefined;
  let inflight: Promise<FlowSnapshot> | undefined;
  let requests = 0;

  async function load(): Promise<FlowSnapshot> {
    const flows: Flow[] = [];
    const invalid: InvalidFlow[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      requests += 1;
      const page = await options.ddb.send(
        new ScanCommand({
          TableName: options.tableName,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const result = classify(item);
        if ('flow' in result) flows.push(result.flow);
        else invalid.push(result.invalid);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    flows.sort((a, b) => a.flowId.localeCompare(b.flowId));
    return { flows, invalid };
  }

  return {
    get requests() {
      return requests;
    },
    async snapshot() {
      if (cached && cached.expiresAt > now()) return cached.snapshot;
      // Concurrent callers in one container share one Scan.
      inflight ??= load().finally(() => {
        inflight = undefined;
      });
      const snapshot = await inflight;
      cached = { snapshot, expiresAt: now() + ttl };
      return snapshot;
    },
    async get(flowId) {
      requests++;
      const out = await options.ddb.send(new GetCommand({ TableName: options.tableName, Key: { flowId } }));
      return out.Item ? classify(out.Item) : undefined;
    },
    async put(flow) {
      requests++;
      await options.ddb.send(
        new PutCommand({
          TableName: options.tableName,
          Item: { ...flow, updatedAt: new Date(now()).toISOString() },
        }),
      );
      cached = undefined;
    },
    async delete(flowId) {
      requests++;
      const out = await options.ddb.send(
        new DeleteCommand({ TableName: options.tableName, Key: { flowId }, ReturnValues: 'ALL_OLD' }),
      );
      cached = undefined;
      return out.Attributes !== undefined;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
