/** `mwaa-ops backups`: the verified metadata backups in the backup bucket. */
import type { Command } from 'commander';
import { registerGroup } from './group.ts';

export function registerBackups(program: Command): Command {
  return registerGroup(program, {
    name: 'backups',
    summary: 'list, inspect and verify metadata backups',
    description:
      'Inspect the metadata backups taken before a pause or an upgrade. Each backup lives under ' +
      's3://<BackupBucket>/backups/<environment>/<backupId>/ and is committed by its manifest.json.',
    planned: 'list backups per environment, show a manifest, verify checksums and row counts.',
  });
}
