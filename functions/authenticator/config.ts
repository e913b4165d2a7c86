/**
 * The authenticator's settings (docs/architecture.md §4), read once at cold start. A missing or
 * malformed value fails the first invocation with a message naming the variable.
 */
import {
  boolean,
  type Env,
  integer,
  optionalString,
  requiredString,
  stringList,
  url,
} from '../shared/config.ts';
import { ConfigError } from '../shared/errors.ts';
import { roleNameLeavesRoomForHash } from './identity.ts';
import { AIRFLOW_ROLES, type AirflowRole } from './roles.ts';

export interface AuthenticatorConfig {
  /** Load balancer ARNs accepted as the token header's `signer`. */
  readonly albArns: readonly string[];
  readonly issuer: string;
  readonly clientId: string;
  /** Base URL; keys are at `<publicKeyEndpoint>/<kid>`. */
  readonly publicKeyEndpoint: string;
  readonly rbacTableName: string;
  /** Token claim holding the user's IdP groups. */
  readonly groupsClaim: string;
  /** Accept tokens without an `email_verified` claim (`OIDC_ALLOW_UNVERIFIED_EMAIL`, default false). */
  readonly allowUnverifiedEmail: boolean;
  /** Where logout sends the browser (the IdP's end-session URL); a signed-out page when unset. */
  readonly logoutUrl: string | undefined;
  /** Base name of the ALB session cookie shards (`<name>-0`, `<name>-1`, …). */
  readonly sessionCookieName: string;
  /** The IAM role assumed for each Airflow role. */
  readonly loginRoleArns: Readonly<Record<AirflowRole, string>>;
  readonly keyFetchTimeoutMs: number;
  readonly clockSkewSeconds: number;
  /** AssumeRole session length; credentials are reused until shortly before they expire. */
  readonly sessionDurationSeconds: number;
}

/** `LOGIN_ROLE_ARN_ADMIN`, `LOGIN_ROLE_ARN_OP`, … */
export const loginRoleVariable = (role: AirflowRole) => `LOGIN_ROLE_ARN_${role.toUpperCase()}`;

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

export function readConfig(env: Env): AuthenticatorConfig {
  const region = optionalString(env, 'AWS_REGION', 'us-east-1');
  const loginRoleArns = {} as Record<AirflowRole, string>;
  for (const role of AIRFLOW_ROLES) {
    const name = loginRoleVariable(role);
    const arn = requiredString(env, name);
    if (!ROLE_ARN.test(arn)) {
      throw new ConfigError(`Environment variable ${name} must be an IAM role ARN, got "${arn}"`, {
        context: { variable: name },
      });
    }
    const roleName = arn.slice(arn.lastIndexOf('/') + 1);
    if (!roleNameLeavesRoomForHash(roleName)) {
      // Refused rather than served: Airflow would cut the user names and could merge two people.
      throw new ConfigError(
        `Environment variable ${name}: role name "${roleName}" is too long; Airflow user names (assumed-role/<role>/<session>, at most 64 characters) would no longer tell people apart. Use a stack name of at most 23 characters.`,
        { context: { variable: name } },
      );
    }
    loginRoleArns[role] = arn;
  }
  const logoutUrl = env.OIDC_LOGOUT_URL?.trim() ? url(env, 'OIDC_LOGOUT_URL') : undefined;
  return {
    albArns: stringList(env, 'ALB_ARNS', { required: true }),
    issuer: requiredString(env, 'OIDC_ISSUER'),
    clientId: requiredString(env, 'OIDC_CLIENT_ID'),
    publicKeyEndpoint: url(
      env,
      'ALB_PUBLIC_KEY_ENDPOINT',
      `https://public-keys.auth.elb.${region}.amazonaws.com`,
    ),
    rbacTableName: requiredString(env, 'RBAC_TABLE_NAME'),
    groupsClaim: optionalString(env, 'OIDC_GROUPS_CLAIM', 'groups'),
    allowUnverifiedEmail: boolean(env, 'OIDC_ALLOW_UNVERIFIED_EMAIL', false),
    logoutUrl,
    sessionCookieName: optionalString(env, 'SESSION_COOKIE_NAME', 'AWSELBAuthSessionCookie'),
    loginRoleArns,
    keyFetchTimeoutMs: integer(env, 'KEY_FETCH_TIMEOUT_MS', 3000, { min: 100, max: 30_000 }),
    clockSkewSeconds: integer(env, 'CLOCK_SKEW_SECONDS', 60, { min: 0, max: 300 }),
    sessionDurationSeconds: integer(env, 'LOGIN_SESSION_SECONDS', 3600, { min: 900, max: 43_200 }),
  };
}
