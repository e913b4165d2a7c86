/**
 * Help that shows the whole command tree.
 *
 * Commander lists only a command's direct subcommands. An operator looking for "how do I grant
 * a role" should see `rbac grant` in `mwaa-ops --help` without guessing the group first, so the
 * listing walks every level and names each command by its full path below the program.
 */
import { type Command, Help, type HelpConfiguration } from 'commander';

/** The command's path below the program, e.g. `rbac grant` (the program's own name excluded). */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) {
    names.unshift(current.name());
  }
  return names.join(' ');
}

/**
 * Help overrides for `configureHelp`: nested commands are listed under their ancestors, each
 * named by its full path. The implicit `help` command is shown once, at the level that owns it.
 */
export function treeHelp(): HelpConfiguration {
  return {
    visibleCommands(this: Help, command: Command): Command[] {
      const listed: Command[] = [];
      const walk = (parent: Command, depth: number) => {
        for (const child of Help.prototype.visibleCommands.call(this, parent)) {
          // Commander appends its implicit `help` command, which is not in `parent.commands`.
          const implicitHelp = !parent.commands.includes(child);
          if (implicitHelp && depth > 0) continue;
          listed.push(child);
          if (!implicitHelp) walk(child, depth + 1);
        }
      };
      walk(command, 0);
      return listed;
    },
    subcommandTerm(this: Help, command: Command): string {
      const term = Help.prototype.subcommandTerm.call(this, command);
      const parentPath = command.parent ? commandPath(command.parent) : '';
      return parentPath ? `${parentPath} ${term}` : term;
    },
  };
}
