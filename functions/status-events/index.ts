/**
 * StatusEventsFunction: the workflows' status waits. Two kinds of input:
 * - `{ action: 'awaitStatus', taskToken, … }` from a pause/resume/upgrade wait task;
 * - `MWAA Environment Status Change` events from EventBridge (StatusChangeEvents rule).
 * Wiring only; the logic is in waiters.ts. docs/pause-resume.md#waiting-for-mwaa
 */
import { actionHandler, dispatchAction } from '../shared/action-dispatch.ts';
import { once } from '../shared/lazy.ts';
import { logger } from '../shared/observability.ts';
import { atInit } from '../shared/stack-map.ts';
import { readStatusEventsConfig } from './config.ts';

const config = atInit(() => readStatusEventsConfig(process.env));

const loaded = once(async () => {
  const [clients, { createSqsDeadLetterSink }, waiters] = await Promise.all([
    import('../shared/aws-clients.ts'),
    import('../shared/dead-letter.ts'),
    import('./waiters.ts'),
  ]);
  const { shared } = clients;
  const deps = {
    ddb: shared(clients.dynamodbClient),
    mwaa: shared(clients.mwaaClient),
    sfn: shared(clients.sfnClient),
    deadLetters: createSqsDeadLetterSink(shared(clients.sqsClient), config.deadLetterQueueUrl),
    environmentsTable: config.environmentsTable,
    waitersTable: config.waitersTable,
    log: logger,
  };
  return (event: unknown) =>
    waiters.isActionInput(event)
      ? dispatchAction({ awaitStatus: waiters.awaitStatus }, event, deps)
      : waiters.handleStatusEvent(event, deps);
});

export const handler = actionHandler(async (event) => (await loaded())(event));
