/** `mwaa-ops env`: environment lifecycle (pause, resume, upgrade) and its registry. */
import type { Command } from 'commander';
import { registerGroup } from './group.ts';

export function registerEnv(program: Command): Command {
  return registerGroup(program, {
    name: 'env',
    summary: 'environment status, pause, resume and upgrade',
    description:
      'Operate MWAA environments. Pause backs up the metadata and deletes the environment; ' +
      'resume recreates it and restores the metadata; upgrade changes the Airflow version in place. ' +
      'Each runs as a Step Functions workflow that holds a per-environment lock.',
    planned: 'list and show environments, pause, resume, upgrade, follow an execution, release a stale lock.',
  });
}
