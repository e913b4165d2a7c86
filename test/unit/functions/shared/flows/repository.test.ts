import { describe, expect, it } from '@jest/globals';
import { createFlowRepository } from '../../../../../functions/shared/flows/repository.ts';

const flow = (flowId: string) => ({ flowId, environment: 'dev', dagId: 'd', s3: [{ bucket: 'landing' }] });

/** A fake DynamoDB answering Scans in pages of two. */
function fakeDdb(items: Array<Record<string, unknown>>) {
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  return {
    calls,
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      calls.push({ name: command.constructor.name, input: command.input });
      const start = (command.input.ExclusiveStartKey as { i?: number } | undefined)?.i ?? 0;
      const page = items.slice(start, start + 2);
      return { Items: page, ...(start + 2 < items.length ? { LastEvaluatedKey: { i: start + 2 } } : {}) };
    },
  };
}

describe('flow repository', () => {
  it('reads every page once, separates invalid rows, and serves the cache until the TTL passes', async () => {
    const ddb = fakeDdb([flow('b'), { flowId: 'bad' }, flow('a'), flow('c'), { nothing: true }]);
    let now = 0;
    const repo = createFlowRepository({
      ddb: ddb as never,
      tableName: 'flows',
      cacheTtlMs: 1000,
      now: () => now,
    });
    const [first, concurrent] = await Promise.all([repo.snapshot(), repo.snapshot()]);
    expect(first.flows.map((f) => f.flowId)).toEqual(['a', 'b', 'c']);
    expect(first.invalid.map((f) => f.flowId)).toEqual(['bad', '(no flowId)']);
    expect(concurrent).toBe(first);
    expect(ddb.calls).toHaveLength(3);
    now = 999;
    await repo.snapshot();
    expect(ddb.calls).toHaveLength(3);
    now = 1001;
    await repo.snapshot();
    expect(ddb.calls).toHaveLength(6);
    expect(repo.requests).toBe(6);
  });
});
