/**
 * Command groups (`flows`, `rbac`, `env`, ...): a name that only holds subcommands.
 *
 * Invoking a group without a known subcommand does nothing by accident: an unknown word is a
 * usage error naming the group, and the bare group prints its help (its subcommands) as a
 * usage error.
 */
import type { Command } from 'commander';

export interface GroupSpec {
  /** The group's command name, e.g. `rbac`. */
  readonly name: string;
  /** One line for the parent's command list. */
  readonly summary: string;
  /** The longer text at the top of the group's own help. */
  readonly description: string;
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
    .action((_options: unknown, command: Command) => {
      const [unknown] = command.args;
      if (unknown !== undefined) {
        command.error(`error: unknown command '${unknown}' for 'mwaa-ops ${spec.name}'`, {
          code: 'commander.unknownCommand',
          exitCode: 2,
        });
      }
      command.help({ error: true });
    });
  return group;
}
