/**
 * One idle tick: is the environment idle (decision.ts)? If so, schedule its resume and start the
 * Pause workflow in its abort-if-busy mode. Every dependency is a parameter; index.ts wires them.
 *
 * Order matters: the one-time resume schedule is written *before* the pause starts, so there is
 * never a pause without its resume. A pause that then aborts (a run appeared) leaves a resume
 * that finds the environment AVAILABLE, which is a no-op success.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { requiredString } from '../shared/action-dispatch.ts';
import { ValidationError } from '../shared/errors.ts';
import { type IdleAirflow, readIdleState } from './airflow-state.ts';
import { atExpression, decideIdle, idleSettings } from './decision.ts';

export interface IdleDeps {
  airflow: IdleAirflow;
  /** MWAA's status of the environment, `GONE` when it does not exist. */
  mwaaStatus(environment: string): Promise<string>;
  /** Whether a pause/resume/upgrade holds the environment's lock in EnvironmentsTable. */
  lockHeld(environment: string): Promise<boolean>;
  /** Create or replace the one-time resume schedule. */
  putResumeSchedule(request: {
    name: string;
    expression: string;
    input: Record<string, unknown>;
  }): Promise<void>;
  /** Start the Pause workflow; an execution of that name that exists already counts as started. */
  startPause(name: string, input: Record<string, unknown>): Promise<string>;
  now(): Date;
  log: Pick<Logger, 'info'>;
}

/** Workflow settings an idle schedule may pass on to the pause and the resume (numbers only). */
export const WORKFLOW_SETTINGS = [
  'pollSeconds',
  'heartbeatSeconds',
  'exportTimeoutSeconds',
  'importTimeoutSeconds',
  'backupTimeoutSeconds',
] as const;

function workflowSettings(input: Record<string, unknown>): Record<string, number> {
  const value = input.workflowSettings ?? {};
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ValidationError('workflowSettings must be an object');
  const out: Record<string, number> = {};
  for (const [key, setting] of Object.entries(value)) {
    if (!(WORKFLOW_SETTINGS as readonly string[]).includes(key))
      throw new ValidationError(`workflowSettings.${key} is not one of ${WORKFLOW_SETTINGS.join(', ')}`);
    if (typeof setting !== 'number' || !Number.isInteger(setting) || setting < 1)
      throw new ValidationError(`workflowSettings.${key} must be a whole number of seconds, at least 1`);
    out[key] = setting;
  }
  return out;
}

/**
 * `prefix + environment + suffix` within `max` characters (Scheduler names: 64, execution
 * names: 80; MWAA names may have 80): a long environment name is cut and given a short digest
 * so two long names never share a schedule.
 */
export function boundedName(prefix: string, environment: string, suffix: string, max: number): string {
  const whole = `${prefix}${environment}${suffix}`;
  if (whole.length <= max) return whole;
  const digest = createHash('sha256').update(environment).digest('hex').slice(0, 8);
  const room = max - prefix.length - suffix.length - digest.length - 1;
  return `${prefix}${environment.slice(0, room)}-${digest}${suffix}`;
}

/** The resume schedule an idle pause leaves behind (in the environments schedule group). */
export const resumeScheduleName = (environment: string) => boundedName('idle-resume-', environment, '', 64);

/**
 * The tick's own time: Scheduler's `<aws.scheduler.scheduled-time>` when given (the same instant
 * for a redelivered tick, so the execution name repeats and the pause starts once), else now.
 */
function tickTime(input: Record<string, unknown>, deps: IdleDeps): Date {
  const value = input.scheduledTime;
  if (value === undefined || value === null) return deps.now();
  const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(parsed)) throw new ValidationError('scheduledTime must be an ISO 8601 time');
  return new Date(parsed);
}

const stamp = (at: Date) => at.toISOString().replace(/[-:]/g, '').slice(0, 15);

export interface IdleCheckResult {
  environment: string;
  paused: boolean;
  /** Why the environment keeps running; `pausing` when a pause was started. */
  reason: string;
  dagId: string | null;
  nextDueAt: string | null;
  resumeAt: string | null;
  resumeSchedule: string | null;
  executionArn: string | null;
}

export async function idleCheck(input: Record<string, unknown>, deps: IdleDeps): Promise<IdleCheckResult> {
  const environment = requiredString(input, 'environment');
  const settings = idleSettings(input);
  const settingsForWorkflows = workflowSettings(input);
  const now = tickTime(input, deps);
  const stay = (reason: string, extra: Partial<IdleCheckResult> = {}): IdleCheckResult => {
    const result = {
      environment,
      paused: false,
      reason,
      dagId: null,
      nextDueAt: null,
      resumeAt: null,
      resumeSchedule: null,
      executionArn: null,
      ...extra,
    };
    deps.log.info('idle check: environment keeps running', {
      reason,
      dagId: result.dagId,
      nextDueAt: result.nextDueAt,
    });
    return result;
  };

  // Another operation (a pause's backup pauses every DAG, which would read as idle) or an
  // environment that is not up: nothing to decide.
  if (await deps.lockHeld(environment)) return stay('operation-running');
  const status = await deps.mwaaStatus(environment);
  if (status !== 'AVAILABLE') return stay(`environment-${status.toLowerCase()}`);

  const state = await readIdleState(deps.airflow, environment);
  const decision = decideIdle(now, state.dags, state.activeRuns, settings);
  if (!decision.pause) return stay(decision.reason, { dagId: decision.dagId, nextDueAt: decision.nextDueAt });

  let resumeSchedule: string | null = null;
  if (decision.resumeAt !== null) {
    resumeSchedule = resumeScheduleName(environment);
    await deps.putResumeSchedule({
      name: resumeSchedule,
      expression: atExpression(decision.resumeAt),
      input: { environment, ...settingsForWorkflows },
    });
  }
  const executionArn = await deps.startPause(boundedName('pause-', environment, `-idle-${stamp(now)}`, 80), {
    environment,
    // The pause re-checks for runs after its export paused the DAGs and, finding one, re-enables
    // them and keeps the environment (statemachines/pause-environment.asl.json, AbortIfBusy).
    abortIfBusy: true,
    ...settingsForWorkflows,
  });
  deps.log.info('idle check: pause started', {
    nextDueAt: decision.nextDueAt,
    dagId: decision.dagId,
    resumeAt: decision.resumeAt,
    executionArn,
  });
  return {
    environment,
    paused: true,
    reason: 'pausing',
    dagId: decision.dagId,
    nextDueAt: decision.nextDueAt,
    resumeAt: decision.resumeAt,
    resumeSchedule,
    executionArn,
  };
}
