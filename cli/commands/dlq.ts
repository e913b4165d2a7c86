/**
 * `mwaa-ops dlq`: the trigger dead-letter queue — what is waiting, and re-driving it.
 *
 * `replay` invokes the function that wrote a message with the event the message carries and
 * deletes the message once the invocation succeeded. That is safe to repeat: run ids are derived
 * from the trigger, so a run that exists already is confirmed and not started twice.
 */
import { type Command, Option } from 'commander';
import { MwaaOpsError } from '../../functions/shared/errors.ts';
import { UsageError } from '../context.ts';
import { deadLetteredAgain, describeOutcome, replayPlan, summarize } from '../dlq-messages.ts';
import type { DeadLetterQueueOpsFactory, QueuedMessage } from '../dlq-ops.ts';
import { jsonText } from '../output.ts';
import type { CommandRuntime } from '../runtime.ts';
import { registerGroup } from './group.ts';

export class ReplayFailedError extends MwaaOpsError {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayFailedError';
  }
}

const positive = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a whole number, got "${value}"`);
  return n;
};

interface ReplayReport {
  messageId: string;
  result: 'replayed' | 'dead-lettered-again' | 'failed' | 'skipped' | 'not-found';
  detail: string;
  deleted: boolean;
}

export function registerDlq(
  program: Command,
  runtime: CommandRuntime,
  deps: { ops: DeadLetterQueueOpsFactory },
): Command {
  const group = registerGroup(program, {
    name: 'dlq',
    summary: 'the trigger dead-letter queue: list and replay',
    description:
      'Inspect and re-drive the messages in the trigger dead-letter queue (stack output ' +
      'TriggerDeadLetterQueueUrl): records the trigger functions could not route or trigger, and ' +
      'invocations Lambda gave up on (docs/triggering.md).',
  });

  const holdOption = () =>
    new Option(
      '--hold-seconds <n>',
      'how long the messages read stay invisible to other readers (SQS has no peek)',
    )
      .argParser(positive('--hold-seconds'))
      .default(30);
  const maxOption = () =>
    new Option('--max <n>', 'read at most this many messages').argParser(positive('--max')).default(100);

  group
    .command('list')
    .summary('the messages waiting, with their reason and whether they can be replayed')
    .addOption(maxOption())
    .addOption(holdOption())
    .action(async (options: { max: number; holdSeconds: number }, command: Command) => {
      const context = runtime.context(command);
      const messages = await deps.ops(context).receive(options.max, options.holdSeconds);
      const summaries = messages.map((m) => summarize(m.messageId, m.body));
      if (context.output === 'json') {
        runtime.out(jsonText(summaries));
        return;
      }
      if (summaries.length === 0) {
        runtime.out('The dead-letter queue is empty.\n');
        return;
      }
      for (const s of summaries) {
        const where = [s.source, s.flowId].filter(Boolean).join(' ');
        runtime.out(
          `${s.messageId}  ${s.failedAt ?? '-'}  ${where || '-'}  ${s.errorName ?? '-'}  ` +
            `${s.replayable ? 'replayable' : 'not replayable'}\n    ${s.reason}\n`,
        );
      }
    });

  group
    .command('replay')
    .argument('[messageId...]', 'the messages to replay (from dlq list)')
    .summary('re-drive messages through the function that wrote them; deletes each one that succeeded')
    .description(
      'Invoke the trigger function again with the event each message carries, then delete the ' +
        'message. Idempotent: a run that already exists is confirmed, not started twice. A message ' +
        'whose replay fails stays in the queue (it reappears after --hold-seconds); one whose replay ' +
        'is dead-lettered again is replaced by the new message with the new reason.',
    )
    .option('--all', 'replay every message in the queue (up to --max)')
    .option('--keep', 'do not delete messages after a successful replay')
    .addOption(maxOption())
    .addOption(
      new Option('--hold-seconds <n>', 'how long the messages read stay invisible while they are replayed')
        .argParser(positive('--hold-seconds'))
        .default(300),
    )
    .action(
      async (
        ids: string[],
        options: { all?: boolean; keep?: boolean; max: number; holdSeconds: number },
        command: Command,
      ) => {
        if ((ids.length === 0) === (options.all !== true)) {
          throw new UsageError('name the messages to replay, or pass --all (not both)');
        }
        const context = runtime.context(command);
        const ops = deps.ops(context);
        const received = await ops.receive(options.max, options.holdSeconds);
        const chosen: Array<QueuedMessage | string> = options.all
          ? received
          : ids.map((id) => received.find((m) => m.messageId === id) ?? id);
        const reports: ReplayReport[] = [];
        for (const message of chosen) {
          if (typeof message === 'string') {
            reports.push({
              messageId: message,
              result: 'not-found',
              detail: 'not in the queue (or in flight)',
              deleted: false,
            });
            continue;
          }
          const plan = replayPlan(message.body);
          if (!plan.replayable) {
            reports.push({
              messageId: message.messageId,
              result: 'skipped',
              detail: plan.why,
              deleted: false,
            });
            continue;
          }
          const outcome = await ops.invoke(plan.function, plan.event);
          if (!outcome.ok) {
            reports.push({
              messageId: message.messageId,
              result: 'failed',
              detail: outcome.error,
              deleted: false,
            });
            continue;
          }
          // Succeeded, or dead-lettered again with a new message: either way this one is done.
          if (!options.keep) await ops.delete(message);
          reports.push({
            messageId: message.messageId,
            result: deadLetteredAgain(outcome.payload) ? 'dead-lettered-again' : 'replayed',
            detail: describeOutcome(outcome.payload),
            deleted: !options.keep,
          });
        }
        if (context.output === 'json') runtime.out(jsonText(reports));
        else {
          if (reports.length === 0) runtime.out('The dead-letter queue is empty.\n');
          for (const r of reports) {
            runtime.out(`${r.messageId}  ${r.result}: ${r.detail}${r.deleted ? ' (deleted)' : ''}\n`);
          }
        }
        const bad = reports.filter((r) => r.result === 'failed' || r.result === 'not-found');
        if (bad.length > 0) {
          throw new ReplayFailedError(
            `${bad.length} of ${reports.length} message(s) could not be replayed; they stay in the queue`,
          );
        }
      },
    );
  return group;
}
