import { describe, expect, it } from '@jest/globals';
import type { DeadLetterQueueOps } from '../../../cli/dlq-ops.ts';
import type { EnvironmentOps } from '../../../cli/environment-ops.ts';
import { runCliCaptured } from '../../helpers/cli-run.ts';

function fakes(
  outcome: Awaited<ReturnType<DeadLetterQueueOps['invoke']>>,
  registry?: Record<string, unknown>,
) {
  const invoked: unknown[] = [];
  const dlq = {
    invoke: async (target: unknown, event: unknown) => {
      invoked.push({ target, event });
      return outcome;
    },
  } as unknown as DeadLetterQueueOps;
  const ops = { registry: async () => registry } as unknown as EnvironmentOps;
  return { invoked, deps: { dlq: () => dlq, environmentOps: () => ops } };
}

const answer = {
  backupId: '20261126T190000Z-pause-dev',
  tables: {
    dag_run: { rows: 12, files: 3, partitions: 3 },
    task_instance: { rows: 0, files: 0, partitions: 0 },
  },
  absent: ['task_instance'],
  summary: 's3://archive/run-history/_archives/environment=dev/20261126T190000Z-pause-dev.json',
};

describe('mwaa-ops backups archive', () => {
  it('archives the last verified backup when --backup is not given', async () => {
    const { invoked, deps } = fakes(
      { ok: true, payload: answer },
      { lastVerifiedBackup: { backupId: answer.backupId } },
    );
    const out = await runCliCaptured(['backups', 'archive', 'dev'], deps);
    expect(out.code).toBe(0);
    expect(invoked).toEqual([
      {
        target: { output: 'RunHistoryArchiveFunctionArn' },
        event: { action: 'archive', environment: 'dev', backupId: answer.backupId },
      },
    ]);
    expect(out.stdout).toContain('dag_run              12 rows  3 file(s)  3 run date(s)');
    expect(out.stdout).toContain(
      'task_instance         0 rows  0 file(s)  0 run date(s)  (not in this backup)',
    );
  });

  it('archives the named backup, and reports a failure with the function error and exit code 1', async () => {
    const { invoked, deps } = fakes({ ok: false, error: 'ArchiveSourceError: manifest.json does not exist' });
    const out = await runCliCaptured(['backups', 'archive', 'dev', '--backup', '20261120T000000Z-x'], deps);
    expect(out.code).toBe(1);
    expect((invoked[0] as { event: { backupId: string } }).event.backupId).toBe('20261120T000000Z-x');
    expect(out.stderr).toContain(
      'Archiving backup 20261120T000000Z-x of dev failed: ArchiveSourceError: manifest.json does not exist',
    );
  });

  it('refuses without --backup when no verified backup is recorded, invoking nothing', async () => {
    const { invoked, deps } = fakes({ ok: true, payload: answer }, undefined);
    const out = await runCliCaptured(['backups', 'archive', 'dev'], deps);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('No verified backup is recorded for dev');
    expect(invoked).toEqual([]);
  });
});
