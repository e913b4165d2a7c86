/**
 * From an authorized (user, environment, role) to the Airflow UI: assume the IAM role that
 * grants exactly that Airflow role, with a session name derived from the person (readable
 * e-mail prefix + hash of their stable identity, identity.ts) as role session name and source
 * identity (so the Airflow user and CloudTrail name the person), mint a web login token with
 * those credentials, and build the redirect.
 *
 * Role credentials are cached per (role, identity key) until shortly before they expire, and concurrent
 * logins of the same user share one AssumeRole: a warm container makes one AWS call per login
 * (CreateWebLoginToken) instead of two.
 */
import { webServerUrl } from '../shared/web-server-url.ts';
import { UpstreamError } from './errors.ts';
import { type IdentityKeySource, identityKey, sessionNameFor } from './identity.ts';
import type { AirflowRole } from './roles.ts';

export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface RoleAssumer {
  assume(input: {
    roleArn: string;
    sessionName: string;
    sourceIdentity: string;
    durationSeconds: number;
  }): Promise<RoleCredentials>;
}

export interface WebLogin {
  readonly webServerHostname: string;
  readonly webToken: string;
}

export interface WebLoginMinter {
  /** CreateWebLoginToken for `environment`, signed with `credentials`. */
  mint(credentials: RoleCredentials, environment: string): Promise<WebLogin>;
}

export interface LoginServiceOptions {
  readonly assumer: RoleAssumer;
  readonly minter: WebLoginMinter;
  readonly roleArns: Readonly<Record<AirflowRole, string>>;
  readonly sessionDurationSeconds: number;
  /** Credentials are renewed this long before they expire. Default 5 minutes. */
  readonly refreshMarginMs?: number;
  /** Most (role, user) credentials kept. Default 1000. */
  readonly maxCached?: number;
  readonly now?: () => number;
}

export interface LoginResult {
  /** The Airflow login URL (token in the fragment): the `Location` of the 302. */
  readonly location: string;
  readonly sessionName: string;
}

export interface LoginService {
  login(identity: IdentityKeySource, environment: string, role: AirflowRole): Promise<LoginResult>;
}

export { sessionNameFor };

const HOSTNAME = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/;
const TOKEN = /^[\x21-\x22\x24-\x7e]{1,8192}$/; // printable ASCII without '#'

/** The Airflow login URL for a minted token, host from the API (never from the request). */
export function airflowLoginUrl(login: WebLogin): string {
  if (!HOSTNAME.test(login.webServerHostname) || !TOKEN.test(login.webToken)) {
    throw new UpstreamError('mwaa-bad-response');
  }
  return `${webServerUrl(login.webServerHostname)}/aws_mwaa/aws-console-sso?login=true#${login.webToken}`;
}

export function createLoginService(options: LoginServiceOptions): LoginService {
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? 5 * 60_000;
  const maxCached = options.maxCached ?? 1000;
  const cache = new Map<string, Promise<RoleCredentials>>();

  // Keyed by the identity, not the session name: the name is derived from it, but the key is
  // the thing that must never be shared by two people.
  function credentialsFor(role: AirflowRole, person: string, sessionName: string): Promise<RoleCredentials> {
    const key = `${role}\u0000${person}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const pending = options.assumer.assume({
      roleArn: options.roleArns[role],
      sessionName,
      sourceIdentity: sessionName,
      durationSeconds: options.sessionDurationSeconds,
    });
    cache.set(key, pending);
    pending.then(
      (credentials) => {
        // Drop the entry when it is about to expire, so the next login renews it.
        if (credentials.expiration.getTime() - margin <= now()) cache.delete(key);
      },
      () => cache.delete(key),
    );
    if (cache.size > maxCached) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    return pending;
  }

  async function fresh(role: AirflowRole, person: string, sessionName: string): Promise<RoleCredentials> {
    const credentials = await credentialsFor(role, person, sessionName);
    if (credentials.expiration.getTime() - margin > now()) return credentials;
    cache.delete(`${role}\u0000${person}`);
    return credentialsFor(role, person, sessionName);
  }

  return {
    async login(identity, environment, role) {
      const sessionName = sessionNameFor(identity);
      const credentials = await fresh(role, identityKey(identity), sessionName);
      const minted = await options.minter.mint(credentials, environment);
      return { location: airflowLoginUrl(minted), sessionName };
    },
  };
}
