/**
 * ALB Lambda-target event → response (multi-value headers, as the target group enables them).
 *
 * - `GET /aws_mwaa/aws-console-sso?mwaa_env=<env>[&rbac_role=<role>]`: verify, authorize, log in,
 *   302 into Airflow. No role requested → the highest role the user holds there.
 * - `GET /`: the landing page (environments and roles this user may enter).
 * - `GET /logout`: expire every session cookie shard; IdP logout URL or a signed-out page.
 * - `GET /health`: 200 for the target group health check.
 *
 * Login and logout change state, so a request another site started (`Sec-Fetch-Site:
 * cross-site` or `same-site`, or an `Origin` that is not this host) gets a page asking to
 * continue instead (`confirmPage`). Requests without those headers (old browsers, scripts) are
 * served as before; every browser the ALB's OIDC flow supports sends `Sec-Fetch-Site`.
 *
 * The token is verified before anything else is looked at, so no authorization call ever sees
 * an unverified identity.
 */
import { describeError } from '../shared/errors.ts';
import type { AuditEntry, AuditLog } from './audit.ts';
import { BadRequestError, ForbiddenError, HttpError } from './errors.ts';
import type { LoginService } from './login.ts';
import {
  confirmPage,
  errorPage,
  expireSessionCookies,
  LOGIN_PATH,
  landingPage,
  SECURITY_HEADERS,
  signedOutPage,
} from './pages.ts';
import { accessOf, type RbacStore, rolesFor } from './rbac.ts';
import { type AirflowRole, highestRole, isAirflowRole, isEnvironmentName } from './roles.ts';
import type { TokenVerifier, VerifiedIdentity } from './token.ts';

/** The event an ALB sends to a Lambda target (either header mode). */
export interface AlbEvent {
  httpMethod?: string;
  path?: string;
  headers?: Record<string, string | undefined>;
  multiValueHeaders?: Record<string, string[] | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
  multiValueQueryStringParameters?: Record<string, string[] | undefined>;
}

export interface AlbResult {
  statusCode: number;
  statusDescription: string;
  multiValueHeaders: Record<string, string[]>;
  body: string;
  isBase64Encoded: false;
}

export interface RouterDeps {
  readonly verifier: TokenVerifier;
  readonly rbac: RbacStore;
  readonly login: LoginService;
  readonly audit: AuditLog;
  readonly sessionCookieName: string;
  readonly logoutUrl: string | undefined;
  /** Logs unexpected failures (name and message only). */
  readonly onUnexpected?: (error: { name: string; message: string }) => void;
  readonly now?: () => number;
}

const REASONS: Record<number, string> = {
  200: 'OK',
  302: 'Found',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  502: 'Bad Gateway',
};

function respond(
  status: number,
  body: string,
  headers: Record<string, string[]> = {},
  contentType = 'text/html; charset=utf-8',
): AlbResult {
  return {
    statusCode: status,
    statusDescription: `${status} ${REASONS[status] ?? 'Error'}`,
    multiValueHeaders: { ...SECURITY_HEADERS, 'Content-Type': [contentType], ...headers },
    body,
    isBase64Encoded: false,
  };
}

/** Header values, case-insensitively, from either header mode. */
export function headerValues(event: AlbEvent, name: string): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && list) values.push(...list);
  }
  if (values.length === 0) {
    for (const [key, value] of Object.entries(event.headers ?? {})) {
      if (key.toLowerCase() === wanted && value !== undefined) values.push(value);
    }
  }
  return values;
}

/**
 * One query parameter. The ALB passes query strings without URL-decoding them; a repeated
 * parameter is ambiguous and rejected rather than guessed.
 */
export function queryParameter(event: AlbEvent, name: string): string | undefined {
  const values =
    event.multiValueQueryStringParameters?.[name] ??
    (event.queryStringParameters?.[name] === undefined ? [] : [event.queryStringParameters[name] as string]);
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new BadRequestError('repeated-parameter', 'The link is malformed.');
  try {
    return decodeURIComponent((values[0] ?? '').replace(/\+/g, ' '));
  } catch {
    throw new BadRequestError('undecodable-parameter', 'The link is malformed.');
  }
}

/**
 * Whether another site started this request. `same-site` counts too: a sibling subdomain is
 * not this application. The IdP round trip also arrives as cross-site; the cost is one click.
 */
export function fromAnotherSite(event: AlbEvent): boolean {
  const site = headerValues(event, 'sec-fetch-site');
  if (site.length > 0)
    return site.some(
      (value) => value.trim().toLowerCase() !== 'same-origin' && value.trim().toLowerCase() !== 'none',
    );
  const origins = headerValues(event, 'origin');
  if (origins.length === 0) return false;
  const host = headerValues(event, 'host').at(-1)?.toLowerCase();
  return origins.some((origin) => {
    try {
      return host === undefined || new URL(origin).host.toLowerCase() !== host;
    } catch {
      return true; // "null" and anything unparsable: an opaque origin is never ours
    }
  });
}

function tokenOf(event: AlbEvent): string | undefined {
  const values = headerValues(event, 'x-amzn-oidc-data');
  // Two tokens cannot both be the ALB's; refuse rather than pick one.
  return values.length === 1 ? values[0] : undefined;
}

export function createRouter(deps: RouterDeps) {
  const now = deps.now ?? Date.now;

  async function identify(event: AlbEvent): Promise<VerifiedIdentity> {
    return deps.verifier.verify(tokenOf(event));
  }

  async function login(event: AlbEvent, entry: Partial<AuditEntry>): Promise<AlbResult> {
    const identity = await identify(event);
    Object.assign(entry, { user: identity.email });
    const environment = queryParameter(event, 'mwaa_env');
    const requested = queryParameter(event, 'rbac_role');
    if (!isEnvironmentName(environment)) {
      throw new BadRequestError('invalid-environment', 'The link does not name a valid Airflow environment.');
    }
    Object.assign(entry, { environment });
    if (requested !== undefined && requested !== '' && !isAirflowRole(requested)) {
      Object.assign(entry, { requestedRole: 'invalid' });
      throw new BadRequestError('invalid-role', 'The link does not name a valid Airflow role.');
    }
    if (fromAnotherSite(event)) {
      const role = requested === undefined || requested === '' ? undefined : (requested as AirflowRole);
      deps.audit.record({ ...(entry as AuditEntry), outcome: 'confirm', reason: 'cross-site', status: 200 });
      return respond(200, confirmPage({ kind: 'login', environment, role }));
    }
    const held = await rolesFor(deps.rbac, identity, environment, now() / 1000);
    if (held.length === 0) {
      throw new ForbiddenError('no-grant', 'You have no access to this Airflow environment.');
    }
    let role: AirflowRole;
    if (requested !== undefined && requested !== '') {
      Object.assign(entry, { requestedRole: requested });
      if (!held.includes(requested as AirflowRole)) {
        throw new ForbiddenError(
          'role-not-granted',
          'You do not hold that role in this Airflow environment.',
        );
      }
      role = requested as AirflowRole;
    } else {
      role = highestRole(held) as AirflowRole;
    }
    Object.assign(entry, { role });
    const result = await deps.login.login(identity, environment, role);
    Object.assign(entry, { sessionName: result.sessionName });
    deps.audit.record({ ...(entry as AuditEntry), outcome: 'allowed', reason: 'granted', status: 302 });
    return respond(302, '', { Location: [result.location] });
  }

  async function landing(event: AlbEvent, entry: Partial<AuditEntry>): Promise<AlbResult> {
    const identity = await identify(event);
    Object.assign(entry, { user: identity.email });
    const access = await accessOf(deps.rbac, identity, now() / 1000);
    deps.audit.record({
      ...(entry as AuditEntry),
      outcome: 'allowed',
      reason: access.size === 0 ? 'no-grants' : 'listed',
      status: 200,
    });
    return respond(200, landingPage(identity.email, access));
  }

  function logout(event: AlbEvent): AlbResult {
    if (fromAnotherSite(event)) {
      deps.audit.record({ action: 'logout', outcome: 'confirm', reason: 'cross-site', status: 200 });
      return respond(200, confirmPage({ kind: 'logout' }));
    }
    const secure = headerValues(event, 'x-forwarded-proto').at(-1) === 'https';
    const cookies = expireSessionCookies(headerValues(event, 'cookie'), deps.sessionCookieName, secure);
    deps.audit.record({
      action: 'logout',
      outcome: 'signed-out',
      reason: 'logout',
      status: deps.logoutUrl ? 302 : 200,
    });
    if (deps.logoutUrl) return respond(302, '', { Location: [deps.logoutUrl], 'Set-Cookie': cookies });
    return respond(200, signedOutPage(), { 'Set-Cookie': cookies });
  }

  return async function route(event: AlbEvent): Promise<AlbResult> {
    const method = (event.httpMethod ?? 'GET').toUpperCase();
    const path = event.path ?? '/';
    if (path === '/health') return respond(200, 'ok', {}, 'text/plain; charset=utf-8');
    const action =
      path === LOGIN_PATH ? 'login' : path === '/' ? 'landing' : path === '/logout' ? 'logout' : undefined;
    if (action === undefined) return respond(404, errorPage(404, 'There is nothing here.'));
    // Not HEAD either: a login has side effects (AssumeRole, a web login token).
    if (method !== 'GET')
      return respond(405, errorPage(400, 'Only GET is supported here.'), { Allow: ['GET'] });
    if (action === 'logout') return logout(event);
    const entry: Partial<AuditEntry> = { action };
    try {
      return action === 'login' ? await login(event, entry) : await landing(event, entry);
    } catch (error) {
      if (error instanceof HttpError) {
        const outcome = error.status === 401 ? 'rejected' : error.status >= 500 ? 'error' : 'denied';
        deps.audit.record({ ...(entry as AuditEntry), outcome, reason: error.reason, status: error.status });
        return respond(error.status, errorPage(error.status, error.publicMessage));
      }
      deps.onUnexpected?.(describeError(error));
      deps.audit.record({ ...(entry as AuditEntry), outcome: 'error', reason: 'unexpected', status: 502 });
      return respond(502, errorPage(502, 'Airflow sign-in is unavailable right now. Try again in a moment.'));
    }
  };
}
