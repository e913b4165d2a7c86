/**
 * Airflow roles and MWAA environment names: the vocabulary the authenticator, the RBAC table and
 * the CLI share. Role matching is exact set membership (never substring: `Op` is not in
 * `Operator`, `User` is not in `PowerUser`).
 */

export type AirflowRole = 'Admin' | 'Op' | 'User' | 'Viewer' | 'Public';

/** Highest first: the order used to pick a default role and to sort roles for display. */
export const AIRFLOW_ROLES: readonly AirflowRole[] = ['Admin', 'Op', 'User', 'Viewer', 'Public'];

/** Whether `value` is exactly one of the five Airflow role names (case-sensitive). */
export function isAirflowRole(value: unknown): value is AirflowRole {
  return typeof value === 'string' && (AIRFLOW_ROLES as readonly string[]).includes(value);
}

/** Roles ordered highest first, without duplicates. */
export function sortRoles(roles: Iterable<AirflowRole>): AirflowRole[] {
  const set = new Set(roles);
  return AIRFLOW_ROLES.filter((role) => set.has(role));
}

/** The highest role in `roles`, or undefined when there is none. */
export function highestRole(roles: Iterable<AirflowRole>): AirflowRole | undefined {
  return sortRoles(roles)[0];
}

/** MWAA environment names: a letter, then letters, digits, `-` and `_`; at most 80 characters. */
const ENVIRONMENT_NAME = /^[a-zA-Z][0-9a-zA-Z_-]{0,79}$/;

export function isEnvironmentName(value: unknown): value is string {
  return typeof value === 'string' && ENVIRONMENT_NAME.test(value);
}
