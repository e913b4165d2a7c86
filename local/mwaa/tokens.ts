/**
 * CLI and web login tokens. MWAA tokens live 60 seconds; a web login token works once, a CLI
 * token may be reused until it expires. Each token remembers the environment it was minted for
 * and the Airflow identity (user and role) derived from the caller, so the webserver can log the
 * right person in.
 */
import type { Clock } from '../core/clock.ts';

export const TOKEN_TTL_MS = 60_000;
/**
 * Real-time floor on a token's life. At clock speed 2000, 60 emulated seconds are 30 real
 * milliseconds — less than a busy machine needs between CreateCliToken and the CLI call, or a
 * browser between the authenticator's redirect and the landing page's post (seconds on a loaded
 * 2-core machine) — so a token only expires once both its emulated TTL and this much real time
 * have passed.
 */
export const DEFAULT_TOKEN_REAL_FLOOR_MS = 10_000;

export type AirflowRole = 'Admin' | 'Op' | 'User' | 'Viewer' | 'Public';
export const AIRFLOW_ROLES: readonly AirflowRole[] = ['Admin', 'Op', 'User', 'Viewer', 'Public'];

export interface AirflowIdentity {
  /** The IAM identity as MWAA reports it, e.g. `assumed-role/env-Admin/alice`. */
  iamIdentity: string;
  /** The Airflow user name MWAA creates for that IAM identity. */
  airflowUser: string;
  airflowRole: AirflowRole;
}

export interface IssuedToken extends AirflowIdentity {
  token: string;
  kind: 'cli' | 'web';
  environment: string;
  issuedAt: number;
  /** Real epoch ms at issue, for the real-time floor. */
  issuedAtReal: number;
  used: boolean;
}

export type TokenCheck =
  | { ok: true; token: IssuedToken }
  | { ok: false; reason: 'unknown' | 'expired' | 'used' | 'wrong-environment' };

export interface TokenStore {
  issue(kind: 'cli' | 'web', environment: string, identity: AirflowIdentity): IssuedToken;
  /** Check a CLI token for this environment (reusable until expiry). */
  checkCli(environment: string, token: string): TokenCheck;
  /** Check and spend a web login token for this environment (single use). */
  consumeWeb(environment: string, token: string): TokenCheck;
  /** Forget every token of an environment (deleted). */
  revoke(environment: string): void;
}

export function createTokenStore(clock: Clock, realFloorMs = DEFAULT_TOKEN_REAL_FLOOR_MS): TokenStore {
  const tokens = new Map<string, IssuedToken>();
  const check = (kind: 'cli' | 'web', environment: string, value: string): TokenCheck => {
    const token = tokens.get(value);
    if (!token || token.kind !== kind) return { ok: false, reason: 'unknown' };
    if (token.environment !== environment) return { ok: false, reason: 'wrong-environment' };
    if (clock.now() - token.issuedAt > TOKEN_TTL_MS && Date.now() - token.issuedAtReal > realFloorMs) {
      return { ok: false, reason: 'expired' };
    }
    if (token.used) return { ok: false, reason: 'used' };
    return { ok: true, token };
  };
  return {
    issue(kind, environment, identity) {
      // Long random tokens, like MWAA's opaque ones; the prefix tells the two kinds apart in logs.
      const value = `${kind === 'cli' ? 'cli' : 'web'}-${crypto.randomUUID().replaceAll('-', '')}${crypto.randomUUID().replaceAll('-', '')}`;
      const issued: IssuedToken = {
        ...identity,
        token: value,
        kind,
        environment,
        issuedAt: clock.now(),
        issuedAtReal: Date.now(),
        used: false,
      };
      tokens.set(value, issued);
      // Drop long-expired tokens so the map stays small in long demos.
      for (const [key, t] of tokens) {
        if (clock.now() - t.issuedAt > TOKEN_TTL_MS * 10 && Date.now() - t.issuedAtReal > realFloorMs * 10)
          tokens.delete(key);
      }
      return issued;
    },
    checkCli: (environment, token) => check('cli', environment, token),
    consumeWeb(environment, token) {
      const result = check('web', environment, token);
      if (result.ok) result.token.used = true;
      return result;
    },
    revoke(environment) {
      for (const [key, t] of tokens) if (t.environment === environment) tokens.delete(key);
    },
  };
}
