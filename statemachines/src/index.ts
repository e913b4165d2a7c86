/**
 * Every workflow source, by the name of the file scripts/compose-statemachines.ts writes:
 * statemachines/<name>.asl.json, which template.yaml points at.
 */
import { backupEnvironment } from './backup-environment.asl.ts';
import { pauseEnvironment } from './pause-environment.asl.ts';
import { resumeEnvironment } from './resume-environment.asl.ts';
import type { StateMachine } from './types.ts';
import { upgradeEnvironment } from './upgrade-environment.asl.ts';

export const sources: Record<string, () => StateMachine> = {
  'backup-environment': backupEnvironment,
  'pause-environment': pauseEnvironment,
  'resume-environment': resumeEnvironment,
  'upgrade-environment': upgradeEnvironment,
};
