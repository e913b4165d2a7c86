/**
 * `mwaa-ops backups archive <environment> [--backup <id>]`: the run history of a verified backup
 * into the run-history archive (RunHistoryArchiveFunction, docs/run-history-archive.md), for
 * backups taken before the archive existed or after an archive failure was notified. Without
 * --backup it archives the environment's last verified backup from EnvironmentsTable.
 */
import type { Command } from 'commander';
import { MwaaOpsError } from '../../functions/shared/errors.ts';
import type { CliContext } from '../context.ts';
import type { DeadLetterQueueOps } from '../dlq-ops.ts';
import type { EnvironmentOpsFactory } from '../environment-ops.ts';
import { jsonText } from '../output.ts';
import type { CommandRuntime } from '../runtime.ts';

/** Lambda Invoke by stack output; the dlq port already has it (cli/dlq-ops.ts). */
export type FunctionInvokerFactory = (context: CliContext) => Pick<DeadLetterQueueOps, 'invoke'>;

interface ArchiveAnswer {
  backupId: string;
  tables: Record<string, { rows: number; files: number; partitions: number }>;
  absent: string[];
  summary: string;
}

export function registerBackupsArchive(
  backups: Command,
  runtime: CommandRuntime,
  deps: { ops: EnvironmentOpsFactory; invoker: FunctionInvokerFactory },
): Command {
  return backups
    .command('archive <environment>')
    .summary("write a backup's run history to the Parquet archive (Athena)")
    .option('--backup <backupId>', 'the backup to archive (default: the last verified backup)')
    .action(async (environment: string, options: { backup?: string }, command: Command) => {
      const context = runtime.context(command);
      let backupId = options.backup;
      if (backupId === undefined) {
        const item = await deps.ops(context).registry(environment);
        const last = (item?.lastVerifiedBackup as { backupId?: unknown } | undefined)?.backupId;
        if (typeof last !== 'string')
          throw new MwaaOpsError(
            `No verified backup is recorded for ${environment}: name one with --backup (mwaa-ops backups list ${environment})`,
          );
        backupId = last;
      }
      const outcome = await deps
        .invoker(context)
        .invoke({ output: 'RunHistoryArchiveFunctionArn' }, { action: 'archive', environment, backupId });
      if (!outcome.ok)
        throw new MwaaOpsError(`Archiving backup ${backupId} of ${environment} failed: ${outcome.error}`);
      const answer = outcome.payload as ArchiveAnswer;
      if (context.output === 'json') {
        runtime.out(jsonText(answer));
        return;
      }
      runtime.out(`Archived the run history of backup ${answer.backupId} of ${environment}\n`);
      for (const [table, t] of Object.entries(answer.tables)) {
        const note = answer.absent.includes(table) ? '  (not in this backup)' : '';
        runtime.out(
          `  ${table.padEnd(14)} ${String(t.rows).padStart(8)} rows  ${t.files} file(s)  ${t.partitions} run date(s)${note}\n`,
        );
      }
      runtime.out(`  summary: ${answer.summary}\n`);
    });
}
