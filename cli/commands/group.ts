/**
 * Command groups (`flows`, `rbac`, ...) whose commands arrive in later issues.
 *
 * A group is registered now so `--help` shows the shape of the CLI, but it must not pretend to
 * work: invoking a group without a known subcommand is a usage error that says what exists.
 */
import type { Command } from 'commander';

/** Groups registered here; help marks the ones that have no commands yet. */
const registeredGroups = new WeakSet<Command>();

/** Whether `command` is a registered group that has no subcommands yet. */
export function isEmptyGroup(command: Command): boolean {
  return registeredGroups.has(command) && command.commands.length === 0;
}

export interface GroupSpec {
  /** The group's command name, e.g. `rbac`. */
  readonly name: string;
  /** One line for the parent's command list. */
  readonly summary: string;
  /** The longer text at the top of the group's own help. */
  readonly description: string;
  /** What the group is for, shown in its help while it has no commands. */
  readonly planned: string;
}

/**
 * Register a command group on the program. Add subcommands to the returned command with
 * `group.command(...)`; they inherit the program's output, help and error settings.
 */
export function registerGroup(program: Command, spec: GroupSpec): Command {
  const group = program
    .command(spec.name)
    .summary(spec.summary)
    .description(spec.description)
    // Operands reach the action below, which reports an unknown subcommand itself.
    .allowExcessArguments(true)
    .addHelpText('after', () =>
      group.commands.length === 0 ? `\nThis group has no commands yet. Planned: ${spec.planned}\n` : '',
    )
    .action((_options: unknown, command: Command) => {
      const [unknown] = command.args;
      if (unknown !== undefined) {
        command.error(`error: unknown command '${unknown}' for 'mwaa-ops ${spec.name}'`, {
          code: 'commander.unknownCommand',
          exitCode: 2,
        });
      }
      if (command.commands.length > 0) command.help({ error: true });
      command.error(`error: 'mwaa-ops ${spec.name}' has no commands yet (planned: ${spec.planned})`, {
        code: 'mwaa-ops.groupWithoutCommands',
        exitCode: 2,
      });
    });
  registeredGroups.add(group);
  return group;
}
