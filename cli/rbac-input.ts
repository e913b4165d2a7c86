/**
 * Validation of `mwaa-ops rbac` arguments: principals, environments, roles and expiry. Role
 * names are exact (case-sensitive) because the authenticator matches them exactly; a near miss
 * is reported with the right spelling instead of being stored and silently never matching.
 */

import { canonicalEmail } from '../functions/authenticator/identity.ts';
import {
  environmentKey,
  groupPrincipal,
  userPrincipal,
  WILDCARD_ENVIRONMENT,
} from '../functions/authenticator/rbac.ts';
import {
  AIRFLOW_ROLES,
  type AirflowRole,
  isAirflowRole,
  isEnvironmentName,
  sortRoles,
} from '../functions/authenticator/roles.ts';
import { UsageError } from './context.ts';

/** `--user` / `--group` → the table's `principal` (exactly one of them). */
export function principalFrom(
  options: { user?: string; group?: string },
  required: boolean,
): string | undefined {
  if (options.user !== undefined && options.group !== undefined) {
    throw new UsageError('give either --user or --group, not both');
  }
  if (options.user !== undefined) {
    const canonical = canonicalEmail(options.user);
    if ('problem' in canonical) {
      throw new UsageError(
        canonical.problem === 'not-normalized'
          ? `--user "${options.user}" contains compatibility characters (e.g. a Kelvin sign or full-width letters); the authenticator refuses such addresses, give the address exactly as the IdP sends it`
          : `--user must be an e-mail address (the IdP's verified email claim), got "${options.user}"`,
      );
    }
    return userPrincipal(canonical.email);
  }
  if (options.group !== undefined) {
    const group = options.group.trim();
    if (group === '' || group.length > 256 || [...group].some((c) => c.charCodeAt(0) < 0x20)) {
      throw new UsageError('--group must be a non-empty IdP group name of at most 256 characters');
    }
    return groupPrincipal(group);
  }
  if (required) throw new UsageError('give --user <email> or --group <name>');
  return undefined;
}

/** `--env` → `env#<name>` or `env#*`. */
export function environmentFrom(value: string | undefined, required: boolean): string | undefined {
  if (value === undefined) {
    if (required) throw new UsageError('give --env <environment> (or --env "*" for every environment)');
    return undefined;
  }
  const name = value.trim();
  if (name !== WILDCARD_ENVIRONMENT && !isEnvironmentName(name)) {
    throw new UsageError(
      `--env must be an MWAA environment name (a letter, then letters, digits, - or _; at most 80) or "*", got "${value}"`,
    );
  }
  return environmentKey(name);
}

/** `--role Admin --role Op` or `--role Admin,Op` → exact role names, highest first. */
export function rolesFrom(values: readonly string[] | undefined, required: boolean): AirflowRole[] {
  const items = (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (items.length === 0) {
    if (required) throw new UsageError(`give at least one --role (${AIRFLOW_ROLES.join(', ')})`);
    return [];
  }
  const roles: AirflowRole[] = [];
  for (const item of items) {
    if (isAirflowRole(item)) {
      roles.push(item);
      continue;
    }
    const near = AIRFLOW_ROLES.find((role) => role.toLowerCase() === item.toLowerCase());
    throw new UsageError(
      `unknown Airflow role "${item}"${near ? ` (did you mean ${near}? role names are case-sensitive)` : ''}; ` +
        `roles are ${AIRFLOW_ROLES.join(', ')}`,
    );
  }
  return sortRoles(roles);
}

const DURATION = /^(\d{1,5})([hdw])$/;
const UNIT_SECONDS: Record<string, number> = { h: 3600, d: 86_400, w: 604_800 };

/**
 * `--expires` → epoch seconds: an ISO 8601 date or date-time (`2026-12-31`, `2026-12-31T18:00Z`)
 * or a duration from now (`12h`, `30d`, `2w`). It must lie in the future.
 */
export function expiryFrom(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const duration = DURATION.exec(text);
  let seconds: number;
  if (duration) {
    seconds =
      Math.floor(nowMs / 1000) + Number(duration[1]) * (UNIT_SECONDS[duration[2] as string] as number);
  } else if (
    /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) &&
    !Number.isNaN(Date.parse(text))
  ) {
    seconds = Math.floor(Date.parse(text) / 1000);
  } else {
    throw new UsageError(
      `--expires must be an ISO 8601 date/time or a duration like 12h, 30d, 2w; got "${value}"`,
    );
  }
  if (seconds * 1000 <= nowMs) throw new UsageError(`--expires must be in the future, got "${value}"`);
  return seconds;
}
