/**
 * Authorization from RbacTable (docs/architecture.md §5).
 *
 * A record: partition key `principal` (`user#<email>` or `group#<idp group>`), sort key
 * `environment` (`env#<name>` or `env#*`), `roles` a string set, optional `expiresAt` (epoch
 * seconds; the table's TTL attribute, but DynamoDB deletes expired items only eventually, so
 * expiry is checked here too). A user's roles in an environment are the union of the unexpired
 * records of the user and of each of their groups, for that environment and for `env#*`.
 * Roles are compared by exact set membership; unknown role strings in a record are ignored.
 */
import { foldAsciiCase } from './identity.ts';
import { type AirflowRole, isAirflowRole, sortRoles } from './roles.ts';
import type { VerifiedIdentity } from './token.ts';

export const WILDCARD_ENVIRONMENT = '*';

export interface RbacKey {
  readonly principal: string;
  readonly environment: string;
}

export interface RbacGrant extends RbacKey {
  readonly roles: readonly AirflowRole[];
  /** Epoch seconds after which the grant no longer applies. */
  readonly expiresAt?: number;
}

/** The table, as the authenticator reads it. */
export interface RbacStore {
  /** The records with these keys (missing ones are simply absent). One BatchGetItem per 100 keys. */
  getMany(keys: readonly RbacKey[]): Promise<RbacGrant[]>;
  /** Every record of one principal (a Query on the partition key). */
  listByPrincipal(principal: string): Promise<RbacGrant[]>;
}

/**
 * `user#<email>` for a canonical address (identity.ts `canonicalEmail`). Only ASCII case is
 * folded: `toLowerCase` would fold e.g. the Kelvin sign onto `k` and merge two people's grants.
 */
export const userPrincipal = (email: string) => `user#${foldAsciiCase(email)}`;
export const groupPrincipal = (group: string) => `group#${group}`;
export const environmentKey = (environment: string) => `env#${environment}`;

/** `env#name` → `name`, `env#*` → `*`; undefined for anything else. */
export function environmentOf(key: string): string | undefined {
  return key.startsWith('env#') && key.length > 4 ? key.slice(4) : undefined;
}

/** The principals a signed-in person acts as: themselves and each of their groups. */
export function principalsOf(identity: VerifiedIdentity): string[] {
  return [userPrincipal(identity.email), ...identity.groups.map(groupPrincipal)];
}

/** Seconds since the epoch from a number, a numeric string or an ISO 8601 date. */
function epochSeconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed / 1000;
  }
  return undefined;
}

/**
 * A table item as a grant, or undefined when it is not one. `roles` may come back as a Set
 * (string set, the documented type) or a list; only exact Airflow role names count. A malformed
 * `expiresAt` makes the whole grant invalid (fail closed).
 */
export function parseGrant(item: Record<string, unknown>): RbacGrant | undefined {
  const { principal, environment, roles, expiresAt } = item;
  if (typeof principal !== 'string' || typeof environment !== 'string') return undefined;
  const values = roles instanceof Set ? [...roles] : Array.isArray(roles) ? roles : [];
  const valid = sortRoles(values.filter(isAirflowRole));
  let expiry: number | undefined;
  if (expiresAt !== undefined && expiresAt !== null) {
    expiry = epochSeconds(expiresAt);
    if (expiry === undefined) return undefined;
  }
  return { principal, environment, roles: valid, ...(expiry === undefined ? {} : { expiresAt: expiry }) };
}

export const isActive = (grant: RbacGrant, nowSeconds: number) =>
  grant.expiresAt === undefined || grant.expiresAt > nowSeconds;

/** The roles `identity` holds in `environment`, highest first (empty: no access). */
export async function rolesFor(
  store: RbacStore,
  identity: VerifiedIdentity,
  environment: string,
  nowSeconds: number,
): Promise<AirflowRole[]> {
  const principals = new Set(principalsOf(identity));
  const environments = new Set([environmentKey(environment), environmentKey(WILDCARD_ENVIRONMENT)]);
  const keys: RbacKey[] = [];
  for (const principal of principals) {
    for (const env of environments) keys.push({ principal, environment: env });
  }
  const grants = await store.getMany(keys);
  const roles = new Set<AirflowRole>();
  for (const grant of grants) {
    // The store answers for the keys asked; checking again keeps a faulty store from widening access.
    if (!principals.has(grant.principal) || !environments.has(grant.environment)) continue;
    if (!isActive(grant, nowSeconds)) continue;
    for (const role of grant.roles) roles.add(role);
  }
  return sortRoles(roles);
}

/**
 * Everything `identity` may enter: environment name (or `*`) → roles, highest first. One Query
 * per principal, made in parallel; used by the landing page only.
 */
export async function accessOf(
  store: RbacStore,
  identity: VerifiedIdentity,
  nowSeconds: number,
): Promise<Map<string, AirflowRole[]>> {
  const principals = principalsOf(identity);
  const lists = await Promise.all(principals.map((principal) => store.listByPrincipal(principal)));
  const byEnvironment = new Map<string, Set<AirflowRole>>();
  lists.forEach((grants, index) => {
    for (const grant of grants) {
      if (grant.principal !== principals[index] || !isActive(grant, nowSeconds)) continue;
      const environment = environmentOf(grant.environment);
      if (environment === undefined || grant.roles.length === 0) continue;
      const set = byEnvironment.get(environment) ?? new Set<AirflowRole>();
      for (const role of grant.roles) set.add(role);
      byEnvironment.set(environment, set);
    }
  });
  const wildcard = byEnvironment.get(WILDCARD_ENVIRONMENT);
  const result = new Map<string, AirflowRole[]>();
  for (const [environment, roles] of [...byEnvironment].sort(([a], [b]) => a.localeCompare(b))) {
    result.set(environment, sortRoles(wildcard ? [...roles, ...wildcard] : roles));
  }
  return result;
}
