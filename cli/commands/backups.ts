/** `mwaa-ops backups`: the metadata backups in the backup bucket. */
import type { Command } from 'commander';
import { MwaaOpsError } from '../../functions/shared/errors.ts';
import type { EnvironmentOpsFactory } from '../environment-ops.ts';
import { jsonText } from '../output.ts';
import type { CommandRuntime } from '../runtime.ts';
import { registerGroup } from './group.ts';

export function registerBackups(
  program: Command,
  runtime: CommandRuntime,
  deps: { ops: EnvironmentOpsFactory },
): Command {
  const group = registerGroup(program, {
    name: 'backups',
    summary: 'list and inspect metadata backups',
    description:
      'Inspect the metadata backups taken before a pause or an upgrade. Each backup lives under ' +
      's3://<BackupBucket>/backups/<environment>/<backupId>/ and is committed by its manifest.json.',
  });

  group
    .command('list <environment>')
    .summary("an environment's backups, newest first")
    .action(async (environment: string, _options: unknown, command: Command) => {
      const context = runtime.context(command);
      const backups = await deps.ops(context).listBackups(environment);
      if (context.output === 'json') {
        runtime.out(jsonText(backups));
        return;
      }
      if (backups.length === 0) {
        runtime.out(`No backups of ${environment}.\n`);
        return;
      }
      for (const b of backups) {
        runtime.out(`${b.backupId}  ${b.committed ? 'committed ' : 'INCOMPLETE'}  ${b.bytes} bytes\n`);
      }
    });

  group
    .command('show <environment> <backupId>')
    .summary("a backup's manifest: Airflow version, tables, row counts")
    .action(async (environment: string, backupId: string, _options: unknown, command: Command) => {
      const context = runtime.context(command);
      const manifest = await deps.ops(context).manifest(environment, backupId);
      if (!manifest) {
        throw new MwaaOpsError(
          `Backup ${backupId} of ${environment} has no manifest.json: it is incomplete and cannot be restored`,
        );
      }
      if (context.output === 'json') {
        runtime.out(jsonText(manifest));
        return;
      }
      const tables = (manifest.tables ?? {}) as Record<string, { rows?: number; bytes?: number }>;
      runtime.out(
        `${backupId}  Airflow ${String(manifest.airflowVersion)}  kind ${String(manifest.kind)}  created ${String(manifest.createdAt)}\n`,
      );
      for (const [table, entry] of Object.entries(tables)) {
        runtime.out(
          `  ${table.padEnd(24)} ${String(entry.rows ?? '?').padStart(8)} rows  ${entry.bytes ?? '?'} bytes\n`,
        );
      }
      const active = manifest.activeDags;
      if (Array.isArray(active)) runtime.out(`  active DAGs: ${active.length}\n`);
    });
  return group;
}
