/** IdlePauseFunction's settings, read once at cold start (template.yaml sets each). */
import { type Env, requiredString } from '../shared/config.ts';

export interface IdlePauseConfig {
  pauseStateMachineArn: string;
  resumeStateMachineArn: string;
  environmentsTableName: string;
  /** The `<stack>-environments` group the resume schedules go to. */
  scheduleGroupName: string;
  /** The role the resume schedule assumes to start the Resume workflow. */
  schedulerRoleArn: string;
}

export function readIdlePauseConfig(env: Env): IdlePauseConfig {
  return {
    pauseStateMachineArn: requiredString(env, 'PAUSE_STATE_MACHINE_ARN'),
    resumeStateMachineArn: requiredString(env, 'RESUME_STATE_MACHINE_ARN'),
    environmentsTableName: requiredString(env, 'ENVIRONMENTS_TABLE_NAME'),
    scheduleGroupName: requiredString(env, 'ENVIRONMENT_SCHEDULE_GROUP_NAME'),
    schedulerRoleArn: requiredString(env, 'ENVIRONMENT_SCHEDULER_ROLE_ARN'),
  };
}
