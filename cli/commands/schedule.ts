/** `mwaa-ops schedule`: EventBridge Scheduler schedules that pause and resume environments. */
import type { Command } from 'commander';
import { MwaaOpsError } from '../../functions/shared/errors.ts';
import type { EnvironmentOpsFactory, Operation } from '../environment-ops.ts';
import { jsonText } from '../output.ts';
import type { CommandRuntime } from '../runtime.ts';
import { registerGroup } from './group.ts';

function operationOf(value: string): Operation {
  if (value !== 'pause' && value !== 'resume')
    throw new MwaaOpsError(`operation must be pause or resume, got "${value}"`);
  return value;
}

export function registerSchedule(
  program: Command,
  runtime: CommandRuntime,
  deps: { ops: EnvironmentOpsFactory },
): Command {
  const group = registerGroup(program, {
    name: 'schedule',
    summary: 'schedules that pause and resume environments',
    description:
      'Manage the EventBridge Scheduler schedules that pause and resume environments (the ' +
      '<stack>-environments group). Flow schedules are managed with `mwaa-ops flows`.',
  });

  group
    .command('set <operation> <environment> <expression>')
    .summary('create or replace the pause or resume schedule of an environment')
    .description(
      'Create or replace a schedule, e.g. `schedule set pause dev "cron(0 20 ? * MON-FRI *)" --time-zone Europe/Berlin`.',
    )
    .option('--time-zone <zone>', 'IANA time zone of the expression', 'UTC')
    .action(
      async (
        operation: string,
        environment: string,
        expression: string,
        options: { timeZone: string },
        command: Command,
      ) => {
        const context = runtime.context(command);
        const name = await deps.ops(context).putSchedule({
          operation: operationOf(operation),
          environment,
          expression,
          timeZone: options.timeZone,
        });
        runtime.out(
          context.output === 'json' ? jsonText({ name }) : `${name}: ${expression} (${options.timeZone})\n`,
        );
      },
    );

  group
    .command('list')
    .summary('pause/resume schedules')
    .action(async (_options: unknown, command: Command) => {
      const context = runtime.context(command);
      const schedules = await deps.ops(context).listSchedules();
      if (context.output === 'json') {
        runtime.out(jsonText(schedules));
        return;
      }
      if (schedules.length === 0) runtime.out('No pause/resume schedules.\n');
      for (const s of schedules) {
        runtime.out(
          `${s.operation.padEnd(6)} ${s.environment.padEnd(24)} ${s.expression} (${s.timeZone}) ${s.state}\n`,
        );
      }
    });

  group
    .command('delete <operation> <environment>')
    .summary('delete the pause or resume schedule of an environment')
    .action(async (operation: string, environment: string, _options: unknown, command: Command) => {
      const context = runtime.context(command);
      await deps.ops(context).deleteSchedule(operationOf(operation), environment);
      if (context.output === 'text') runtime.out(`deleted ${operation}-${environment}\n`);
    });
  return group;
}
