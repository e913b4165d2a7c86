/**
 * Who a caller is in Airflow. MWAA derives the Airflow user from the caller's IAM session and the
 * Airflow role from the `airflow:CreateWebLoginToken` permission on `role/<env>/<Role>`. The
 * local cloud cannot evaluate IAM policies, so it asks the orchestrator (which knows which STS
 * credentials it issued) and otherwise falls back to the IAM role's name suffix, then to a
 * local administrator.
 */
import { AIRFLOW_ROLES, type AirflowIdentity, type AirflowRole } from './tokens.ts';

export interface IdentityResolvers {
  /** The caller's ARN for an access key id the local STS issued (`arn:aws:sts::…:assumed-role/Role/session`). */
  identityForAccessKey?(accessKeyId: string): string | undefined;
  /** The Airflow role to log this caller in as, when the orchestrator knows better than the role name. */
  roleForAccessKey?(accessKeyId: string): AirflowRole | undefined;
}

/** Used when the caller is unknown (e.g. the default local credentials). */
export const DEFAULT_IDENTITY: AirflowIdentity = {
  iamIdentity: 'user/local-admin',
  airflowUser: 'user/local-admin',
  airflowRole: 'Admin',
};

/** `…:assumed-role/Role/session` → `assumed-role/Role/session`; `…:user/alice` → `user/alice`. */
export function iamIdentityOf(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  return resource || arn;
}

/** The role a name like `mwaa-prod-Admin` or `AirflowViewer` stands for, if its suffix says so. */
export function roleFromRoleName(roleName: string): AirflowRole | undefined {
  // The suffix must start a word (after '-', '_' or a lower-case letter), so 'Develop' is not 'Op'.
  return AIRFLOW_ROLES.find((role) => {
    if (roleName === role) return true;
    if (!roleName.endsWith(role)) return false;
    const before = roleName.charAt(roleName.length - role.length - 1);
    return before === '-' || before === '_' || /[a-z0-9]/.test(before);
  });
}

export function resolveIdentity(accessKeyId: string, resolvers: IdentityResolvers): AirflowIdentity {
  const arn = resolvers.identityForAccessKey?.(accessKeyId);
  const explicitRole = resolvers.roleForAccessKey?.(accessKeyId);
  if (!arn) return explicitRole ? { ...DEFAULT_IDENTITY, airflowRole: explicitRole } : DEFAULT_IDENTITY;
  const iamIdentity = iamIdentityOf(arn);
  const parts = iamIdentity.split('/');
  const roleName = parts[0] === 'assumed-role' ? (parts[1] ?? '') : '';
  return {
    iamIdentity,
    // Airflow user names are at most 64 characters in MWAA's API.
    airflowUser: iamIdentity.slice(0, 64),
    airflowRole: explicitRole ?? roleFromRoleName(roleName) ?? 'Public',
  };
}
