/** `mwaa-ops versions`: the supported Airflow versions and the allowed in-place changes. */
import type { Command } from 'commander';
import { ValidationError } from '../../functions/shared/errors.ts';
import {
  allowedChangesFrom,
  checkVersionChange,
  constraintsUrl,
  isSupportedVersion,
  SUPPORTED_VERSIONS,
  VERSION_MATRIX_CHECKED_AT,
} from '../../functions/shared/versions/matrix.ts';
import { jsonText } from '../output.ts';
import type { CommandRuntime } from '../runtime.ts';
import { registerGroup } from './group.ts';

/** One line per supported version: version, Python, end of support, where it may go. */
export function matrixText(): string {
  const lines = [`Airflow versions on MWAA (matrix checked ${VERSION_MATRIX_CHECKED_AT}):`];
  for (const v of SUPPORTED_VERSIONS) {
    const targets = allowedChangesFrom(v.version).map((c) => c.to);
    lines.push(
      `  ${v.version.padEnd(8)} Python ${v.python}  end of support: ${v.endOfSupport ?? 'not announced'}  → ${targets.join(', ') || 'none'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Every supported target from `from`, allowed or not, with the reason or note. */
export function changesText(from: string): string {
  const lines = [`From Airflow ${from}:`];
  for (const v of SUPPORTED_VERSIONS) {
    const check = checkVersionChange(from, v.version);
    if (check.kind === 'none') lines.push(`  ${v.version.padEnd(8)} (current)`);
    else if (check.allowed)
      lines.push(`  ${v.version.padEnd(8)} allowed ${check.kind}${check.note ? `: ${check.note}` : ''}`);
    else lines.push(`  ${v.version.padEnd(8)} refused: ${check.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerVersions(program: Command, runtime: CommandRuntime): Command {
  const group = registerGroup(program, {
    name: 'versions',
    summary: 'supported Airflow versions and allowed upgrades',
    description:
      'Show the Airflow versions in scope and the version changes MWAA allows (minor up or down ' +
      'within a major; 2.x to 3.x only from 2.11.x; 3.x back to 2.11.x), from the same data file ' +
      'the upgrade workflow validates against (docs/upgrades.md).',
  });
  group
    .command('list', { isDefault: true })
    .summary('the matrix: versions, end of support, allowed changes')
    .option('--from <version>', 'show every change from this version, allowed or refused, and why')
    .action((options: { from?: string }, command: Command) => {
      const context = runtime.context(command);
      const from = options.from;
      if (from !== undefined && !isSupportedVersion(from))
        throw new ValidationError(
          `Airflow ${from} is not a supported version (${SUPPORTED_VERSIONS.map((v) => v.version).join(', ')})`,
        );
      if (context.output === 'json') {
        runtime.out(
          jsonText(
            from === undefined
              ? {
                  checkedAt: VERSION_MATRIX_CHECKED_AT,
                  versions: SUPPORTED_VERSIONS.map((v) => ({
                    ...v,
                    allowedTargets: allowedChangesFrom(v.version).map((c) => c.to),
                  })),
                }
              : { from, changes: SUPPORTED_VERSIONS.map((v) => checkVersionChange(from, v.version)) },
          ),
        );
        return;
      }
      runtime.out(from === undefined ? matrixText() : changesText(from));
      if (from !== undefined)
        runtime.out(`requirements.txt constraint for ${from}: ${constraintsUrl(from)}\n`);
    });
  return group;
}
