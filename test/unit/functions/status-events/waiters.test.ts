/**
 * StatusEventsFunction's pure logic and its calls, with fake clients: which statuses end a wait,
 * how an event names its environment, what a malformed event and a stale token do.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import type { DeadLetter } from '../../../../functions/shared/dead-letter.ts';
import {
  awaitStatus,
  environmentOfEvent,
  handleStatusEvent,
  parseAwaitInput,
  type StatusEventsDeps,
  wakes,
} from '../../../../functions/status-events/waiters.ts';

const fixture = () =>
  JSON.parse(
    readFileSync(
      new URL('../../../../events/eventbridge/mwaa-environment-status-change.json', import.meta.url),
      'utf8',
    ),
  ) as Record<string, unknown>;

type Sent = { name: string; input: Record<string, unknown> };

/** Fake clients: `items` by table, MWAA answers `status` (or not found), SFN may refuse tokens. */
function fakes(options: {
  items?: Record<string, Record<string, unknown> | undefined>;
  status?: { Status: string; AirflowVersion?: string } | 'gone';
  sfnError?: string;
}) {
  const sent: Sent[] = [];
  const letters: DeadLetter[] = [];
  const record = (c: { constructor: { name: string }; input: unknown }) =>
    sent.push({ name: c.constructor.name, input: c.input as Record<string, unknown> });
  const deps: StatusEventsDeps = {
    ddb: {
      send: (async (c: never) => {
        record(c);
        const { TableName } = (c as { input: { TableName: string } }).input;
        return { Item: options.items?.[TableName] };
      }) as never,
    },
    mwaa: {
      send: (async (c: never) => {
        record(c);
        if (options.status === 'gone' || options.status === undefined)
          throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
        return { Environment: options.status };
      }) as never,
    },
    sfn: {
      send: (async (c: never) => {
        record(c);
        if (options.sfnError) throw Object.assign(new Error(options.sfnError), { name: options.sfnError });
        return {};
      }) as never,
    },
    deadLetters: { send: async (letter) => void letters.push(letter) },
    environmentsTable: 'registry',
    waitersTable: 'waiters',
    log: { info: () => {}, warn: () => {} },
    now: () => new Date('2026-12-03T10:00:00Z'),
  };
  return { deps, sent, letters };
}

const waiterItem = {
  environment: 'dev',
  taskToken: 'token-1',
  executionArn: 'arn:exec:1',
  waitWhile: ['DELETING'],
};

describe('Function: status-events', () => {
  describe('wakes', () => {
    it('ends a wait on any status it does not wait through', () => {
      expect(wakes({ waitWhile: ['DELETING'] }, { status: 'DELETED', airflowVersion: '' })).toBe(true);
      expect(wakes({ waitWhile: ['DELETING'] }, { status: 'DELETING', airflowVersion: '' })).toBe(false);
      expect(
        wakes({ waitWhile: ['CREATING', 'PENDING'] }, { status: 'CREATE_FAILED', airflowVersion: '' }),
      ).toBe(true);
    });

    it('waits through AVAILABLE on the old version of an upgrade, not on the target', () => {
      const upgrade = { waitWhile: ['UPDATING', 'AVAILABLE'], targetVersion: '2.11.0' };
      expect(wakes(upgrade, { status: 'AVAILABLE', airflowVersion: '2.10.3' })).toBe(false);
      expect(wakes(upgrade, { status: 'AVAILABLE', airflowVersion: '2.11.0' })).toBe(true);
      expect(wakes(upgrade, { status: 'UPDATE_FAILED', airflowVersion: '2.10.3' })).toBe(true);
    });
  });

  describe('environmentOfEvent', () => {
    it('reads the name from the detail, or else from the environment ARN in resources', () => {
      expect(environmentOfEvent(fixture())).toBe('dev');
      const noName = { ...fixture(), detail: {} };
      expect(environmentOfEvent(noName)).toBe('dev');
    });

    it('refuses other events and events that name no environment', () => {
      expect(() => environmentOfEvent({ ...fixture(), source: 'aws.states' })).toThrow(
        /Not an MWAA status change/,
      );
      expect(() => environmentOfEvent({ ...fixture(), detail: {}, resources: [] })).toThrow(/names no MWAA/);
      expect(() => environmentOfEvent({ ...fixture(), detail: { Name: '../x' }, resources: [] })).toThrow(
        /names no MWAA/,
      );
      expect(() => environmentOfEvent(null)).toThrow(/must be an object/);
    });
  });

  describe('parseAwaitInput', () => {
    const input = { environment: 'dev', taskToken: 't', executionArn: 'arn:exec:1', waitWhile: ['DELETING'] };
    it('accepts a wait and refuses unknown statuses or a missing token', () => {
      expect(parseAwaitInput(input)).toEqual({ ...input });
      expect(() => parseAwaitInput({ ...input, waitWhile: ['DELETED'] })).toThrow(/waitWhile/);
      expect(() => parseAwaitInput({ ...input, waitWhile: [] })).toThrow(/waitWhile/);
      expect(() => parseAwaitInput({ ...input, taskToken: '' })).toThrow(/taskToken/);
    });
  });

  describe('awaitStatus', () => {
    const input = {
      action: 'awaitStatus',
      environment: 'dev',
      taskToken: 'token-1',
      executionArn: 'arn:exec:1',
      waitWhile: ['DELETING'],
    };

    it('registers, then answers at once when the status already ended the wait (register → check)', async () => {
      const { deps, sent } = fakes({
        items: { registry: { lock: { executionArn: 'arn:exec:1' } } },
        status: 'gone',
      });
      await expect(awaitStatus(input, deps)).resolves.toMatchObject({ status: 'DELETED', answered: true });
      expect(sent.map((s) => s.name)).toEqual([
        'GetCommand',
        'PutCommand',
        'GetEnvironmentCommand',
        'SendTaskSuccessCommand',
      ]);
      expect(sent[1]?.input).toMatchObject({
        TableName: 'waiters',
        Item: {
          environment: 'dev',
          taskToken: 'token-1',
          waitWhile: ['DELETING'],
          expiresAt: Date.parse('2026-12-03T10:00:00Z') / 1000 + 86400,
        },
      });
      expect(JSON.parse(String(sent[3]?.input.output))).toEqual({ status: 'DELETED', airflowVersion: '' });
    });

    it('registers and leaves the token waiting while the status is one it waits through', async () => {
      const { deps, sent } = fakes({
        items: { registry: { lock: { executionArn: 'arn:exec:1' } } },
        status: { Status: 'DELETING' },
      });
      await expect(awaitStatus(input, deps)).resolves.toMatchObject({ status: 'DELETING', answered: false });
      expect(sent.map((s) => s.name)).not.toContain('SendTaskSuccessCommand');
    });

    it('does not register for an execution that does not hold the lock, but still checks', async () => {
      // A late invocation of a round that already timed out, after the workflow released the lock.
      const { deps, sent } = fakes({ items: { registry: {} }, status: 'gone' });
      await expect(awaitStatus(input, deps)).resolves.toMatchObject({ registered: false, answered: true });
      expect(sent.map((s) => s.name)).toEqual([
        'GetCommand',
        'GetEnvironmentCommand',
        'SendTaskSuccessCommand',
      ]);
    });
  });

  describe('handleStatusEvent', () => {
    it('answers the waiting token with the status MWAA reports', async () => {
      const { deps, sent } = fakes({ items: { waiters: waiterItem }, status: 'gone' });
      await expect(handleStatusEvent(fixture(), deps)).resolves.toEqual({ woke: true, status: 'DELETED' });
      const answer = sent.find((s) => s.name === 'SendTaskSuccessCommand');
      expect(answer?.input.taskToken).toBe('token-1');
    });

    it('decides on GetEnvironment, not on the event detail (a stale AVAILABLE event while DELETING)', async () => {
      const { deps, sent } = fakes({ items: { waiters: waiterItem }, status: { Status: 'DELETING' } });
      await expect(handleStatusEvent(fixture(), deps)).resolves.toEqual({ woke: false, status: 'DELETING' });
      expect(sent.map((s) => s.name)).not.toContain('SendTaskSuccessCommand');
    });

    it.each(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'])(
      'ignores a token whose task ended (%s)',
      async (e) => {
        const { deps } = fakes({ items: { waiters: waiterItem }, status: 'gone', sfnError: e });
        await expect(handleStatusEvent(fixture(), deps)).resolves.toEqual({ woke: false, status: 'DELETED' });
      },
    );

    it('throws other Step Functions errors, so Lambda retries the event', async () => {
      const { deps } = fakes({
        items: { waiters: waiterItem },
        status: 'gone',
        sfnError: 'ThrottlingException',
      });
      await expect(handleStatusEvent(fixture(), deps)).rejects.toMatchObject({ name: 'ThrottlingException' });
    });

    it('does nothing when no workflow waits on the environment', async () => {
      const { deps, sent } = fakes({ items: {}, status: 'gone' });
      await expect(handleStatusEvent(fixture(), deps)).resolves.toEqual({ woke: false });
      expect(sent.map((s) => s.name)).toEqual(['GetCommand']);
    });

    it('sends a malformed event to the dead-letter queue, with the reason and no retry', async () => {
      const { deps, sent, letters } = fakes({});
      const bad = { ...fixture(), detail: { Status: 'AVAILABLE' }, resources: [] };
      await expect(handleStatusEvent(bad, deps)).resolves.toEqual({ woke: false, deadLettered: true });
      expect(sent).toEqual([]);
      expect(letters).toEqual([
        expect.objectContaining({
          errorName: 'ValidationError',
          source: 'StatusEventsFunction',
          input: { id: fixture().id, source: 'aws.airflow', detailType: 'MWAA Environment Status Change' },
          replayEvent: bad,
        }),
      ]);
    });
  });
});
