/** `mwaa-ops schedule`: EventBridge Scheduler schedules that pause and resume environments. */
import type { Command } from 'commander';
import { idleSettings } from '../../functions/idle-pause/decision.ts';
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
    .command('idle <environment>')
    .summary('pause the environment whenever it is idle, and resume it ahead of its next due run')
    .description(
      'Create or replace the idle schedule idle-<environment>: every --every it checks Airflow and, ' +
        'when no DAG run is running or queued and no unpaused DAG is due within --window minutes, ' +
        'schedules a one-time resume --lead minutes before the earliest due run and starts the pause, ' +
        'which aborts (DAGs re-enabled, environment kept) if a run starts meanwhile. ' +
        'See docs/pause-resume.md#idle-aware-pausing. `--off` deletes the idle schedule.',
    )
    .option('--every <expression>', 'how often to check (Scheduler expression)', 'rate(15 minutes)')
    .option('--window <minutes>', 'pause only if nothing is due within this many minutes', '120')
    .option('--lead <minutes>', 'start the resume this many minutes before the next due run', '45')
    .option(
      '--unpredictable <policy>',
      'unpaused DAGs without a next run time (no schedule, dataset-triggered): ignore or block',
      'ignore',
    )
    .option('--off', 'delete the idle schedule instead')
    .action(
      async (
        environment: string,
        options: { every: string; window: string; lead: string; unpredictable: string; off?: boolean },
        command: Command,
      ) => {
        const context = runtime.context(command);
        if (options.off) {
          await deps.ops(context).deleteIdleSchedule(environment);
          if (context.output === 'text') runtime.out(`deleted idle-${environment}\n`);
          return;
        }
        // The function's own validation, before anything is created.
        const settings = idleSettings({
          windowMinutes: Number(options.window),
          leadMinutes: Number(options.lead),
          unpredictable: options.unpredictable,
        });
        const name = await deps
          .ops(context)
          .putIdleSchedule({ environment, expression: options.every, ...settings });
        runtime.out(
          context.output === 'json'
            ? jsonText({ name, expression: options.every, ...settings })
            : `${name}: ${options.every}, window ${settings.windowMinutes} min, lead ${settings.leadMinutes} min, unpredictable DAGs: ${settings.unpredictable}\n`,
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
