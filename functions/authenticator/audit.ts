/**
 * One structured audit line per decision: who, which environment, which role, the outcome and a
 * short reason code. Tokens, cookies and credentials are never passed in, so they cannot leak.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { AirflowRole } from './roles.ts';

export type AuditOutcome = 'allowed' | 'denied' | 'rejected' | 'error' | 'signed-out' | 'confirm';

export interface AuditEntry {
  readonly action: 'login' | 'landing' | 'logout';
  readonly outcome: AuditOutcome;
  readonly reason: string;
  readonly user?: string;
  readonly environment?: string;
  readonly role?: AirflowRole;
  readonly requestedRole?: string;
  /** The role session name used in AWS (equals the Airflow user's session part). */
  readonly sessionName?: string;
  readonly status: number;
}

export interface AuditLog {
  record(entry: AuditEntry): void;
}

/** Audit lines through a Powertools-style logger (`info(message, fields)`). */
export function loggerAudit(log: Pick<Logger, 'info'>): AuditLog {
  return {
    record(entry) {
      log.info('sso.audit', { audit: { ...entry } });
    },
  };
}
