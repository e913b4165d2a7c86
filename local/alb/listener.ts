/**
 * The ALB listener: routes each request through the rules, runs the authenticate-oidc action
 * (redirect to the IdP, `/oauth2/idpresponse` code exchange, session cookies) and forwards to
 * the rule's Lambda target with the headers an ALB adds, including a freshly signed
 * `x-amzn-oidc-data` on every request.
 */
import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { applyFault } from '../core/fault-response.ts';
import { type RunningServer, startServer } from '../core/http.ts';
import type { Targets } from '../core/model.ts';
import type { ServiceContext } from '../core/service.ts';
import type { IdpHandle } from './idp.ts';
import type { KeyRing } from './keys.ts';
import { fromAlbResult, InvalidTargetResponseError, toAlbEvent } from './lambda-event.ts';
import { type AlbRule, compileRules, defaultTargetGroupArn, matchRule } from './rules.ts';
import {
  type AlbSession,
  DEFAULT_SESSION_COOKIE_NAME,
  expiredCookie,
  parseCookies,
  presentShards,
  readSession,
  type SessionCodec,
  SessionTooLargeError,
  sessionSetCookies,
} from './session.ts';
import { buildOidcDataToken } from './token.ts';

/** The ALB's own default session timeout: 7 days. */
export const DEFAULT_SESSION_TTL_SECONDS = 7 * 24 * 3600;
/**
 * Lifetime of each `x-amzn-oidc-data` token. AWS does not document it; tokens seen in the wild
 * expire within minutes, and a fresh one is signed for every request anyway.
 */
export const DEFAULT_TOKEN_TTL_SECONDS = 120;
/** The browser must come back from the IdP within this real time (a person is typing). */
const LOGIN_TTL_REAL_MS = 15 * 60 * 1000;
/**
 * Binds the authorization response to the browser that started the login (login CSRF). One
 * cookie per browser: of two logins started at once in two tabs, only the later completes.
 */
const NONCE_COOKIE = 'AWSELBAuthNonce';
const CALLBACK_PATH = '/oauth2/idpresponse';

export interface ListenerOptions {
  targets: Targets;
  rules: AlbRule[];
  idp: IdpHandle;
  keys: KeyRing;
  codec: SessionCodec;
  albArn: string;
  clientId: string;
  clientSecret: string;
  issuer: string;
  sessionTtlSeconds: number;
  tokenTtlSeconds: number;
}

/** A failed login, with the status the ALB answers. */
class LoginError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'LoginError';
    this.status = status;
  }
}

interface PendingLogin {
  rule: AlbRule;
  originalUrl: string;
  nonce: string;
  createdAtReal: number;
}

/** ALB-style error page, as the load balancer itself renders one. */
function albError(res: ServerResponse, status: number, reason: string) {
  const text = `${status} ${reason}`;
  res.writeHead(status, reason, {
    server: 'awselb/2.0',
    'content-type': 'text/html',
    'cache-control': 'no-store',
  });
  res.end(
    `<html>\r\n<head><title>${text}</title></head>\r\n<body>\r\n<center><h1>${text}</h1></center>\r\n</body>\r\n</html>\r\n`,
  );
}

/** A Root id as X-Ray and the ALB write it: `Root=1-<epoch seconds hex>-<96-bit random hex>`. */
function traceId(nowMs: number): string {
  return `Root=1-${Math.floor(nowMs / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

/** Start the listener on 127.0.0.1 and a free port. */
export async function startListener(ctx: ServiceContext, options: ListenerOptions): Promise<RunningServer> {
  const rules = compileRules(options.rules);
  const pending = new Map<string, PendingLogin>();
  const idpKeys = createRemoteJWKSet(new URL(options.idp.jwksUri));
  let baseUrl = '';
  let port = 0;

  const cookieName = (rule: AlbRule) => rule.sessionCookieName ?? DEFAULT_SESSION_COOKIE_NAME;
  const sessionTtl = (rule: AlbRule) => rule.sessionTimeoutSeconds ?? options.sessionTtlSeconds;

  function redirectToIdp(res: ServerResponse, rule: AlbRule, rawUrl: string) {
    const now = Date.now();
    for (const [key, login] of pending) {
      if (now - login.createdAtReal > LOGIN_TTL_REAL_MS) pending.delete(key);
    }
    const state = randomBytes(32).toString('base64url');
    const nonce = randomBytes(24).toString('base64url');
    pending.set(state, { rule, originalUrl: `${baseUrl}${rawUrl}`, nonce, createdAtReal: now });
    const location = new URL(options.idp.authorizationEndpoint);
    for (const [key, value] of Object.entries(rule.authenticationRequestExtraParams ?? {})) {
      location.searchParams.set(key, value);
    }
    location.searchParams.set('client_id', options.clientId);
    location.searchParams.set('redirect_uri', `${baseUrl}${CALLBACK_PATH}`);
    location.searchParams.set('response_type', 'code');
    location.searchParams.set('scope', rule.scope ?? 'openid');
    location.searchParams.set('state', state);
    location.searchParams.set('nonce', nonce);
    res.writeHead(302, {
      server: 'awselb/2.0',
      location: location.toString(),
      'cache-control': 'no-cache',
      'set-cookie': `${NONCE_COOKIE}=${nonce}; Max-Age=${LOGIN_TTL_REAL_MS / 1000}; Path=/; HttpOnly; SameSite=Lax`,
      'content-length': '0',
    });
    res.end();
  }

  /** Code → tokens → verified ID token → userinfo claims, over HTTP as an ALB does it. */
  async function exchange(
    code: string,
    nonce: string,
  ): Promise<{ claims: Record<string, unknown>; accessToken: string }> {
    const basic = Buffer.from(
      `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`,
    ).toString('base64');
    const tokenResponse = await fetch(options.idp.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: `${baseUrl}${CALLBACK_PATH}`,
      }).toString(),
    });
    if (!tokenResponse.ok) throw new LoginError(401, `token endpoint answered ${tokenResponse.status}`);
    const tokens = (await tokenResponse.json()) as { access_token?: unknown; id_token?: unknown };
    if (typeof tokens.access_token !== 'string' || typeof tokens.id_token !== 'string') {
      throw new LoginError(401, 'token response lacks access_token or id_token');
    }
    const { payload } = await jwtVerify(tokens.id_token, idpKeys, {
      issuer: options.issuer,
      audience: options.clientId,
      currentDate: ctx.clock.date(),
    }).catch((error: unknown) => {
      throw new LoginError(401, `ID token rejected: ${(error as Error).name}`);
    });
    if (payload.nonce !== nonce) throw new LoginError(401, 'ID token nonce mismatch');
    const userinfo = await fetch(options.idp.userInfoEndpoint, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    if (!userinfo.ok) throw new LoginError(401, `userinfo endpoint answered ${userinfo.status}`);
    const claims = (await userinfo.json()) as Record<string, unknown>;
    if (claims.sub !== payload.sub) throw new LoginError(401, 'userinfo sub differs from the ID token');
    return { claims, accessToken: tokens.access_token };
  }

  async function callback(req: IncomingMessage, res: ServerResponse, url: URL) {
    const state = url.searchParams.get('state') ?? '';
    const login = pending.get(state);
    pending.delete(state);
    const cookies = parseCookies(req.headers.cookie);
    if (url.searchParams.has('error')) return albError(res, 401, 'Authorization Required');
    const code = url.searchParams.get('code');
    if (!login || !code || Date.now() - login.createdAtReal > LOGIN_TTL_REAL_MS) {
      return albError(res, 401, 'Authorization Required');
    }
    if (cookies.get(NONCE_COOKIE) !== login.nonce) return albError(res, 401, 'Authorization Required');
    try {
      const { claims, accessToken } = await exchange(code, login.nonce);
      const ttl = sessionTtl(login.rule);
      const session: AlbSession = { claims, accessToken, expiresAt: ctx.clock.now() + ttl * 1000 };
      const name = cookieName(login.rule);
      const setCookies = sessionSetCookies(
        name,
        options.codec.seal(session),
        ttl,
        presentShards(cookies, name),
      );
      setCookies.push(expiredCookie(NONCE_COOKIE));
      ctx.log('alb', 'login', { sub: String(claims.sub), shards: setCookies.length - 1 });
      res.writeHead(302, {
        server: 'awselb/2.0',
        location: login.originalUrl,
        'cache-control': 'no-cache',
        'set-cookie': setCookies,
        'content-length': '0',
      });
      res.end();
    } catch (error) {
      if (error instanceof SessionTooLargeError) {
        ctx.log('alb', 'login failed: claims too large', { message: error.message });
        return albError(res, 500, 'Internal Server Error');
      }
      if (error instanceof LoginError) {
        ctx.log('alb', 'login failed', { reason: error.message });
        return albError(
          res,
          error.status,
          error.status === 401 ? 'Authorization Required' : 'Internal Server Error',
        );
      }
      // The IdP could not be reached: the ALB answers 500.
      ctx.log('alb', 'login failed: identity provider unreachable', { error: String(error) });
      return albError(res, 500, 'Internal Server Error');
    }
  }

  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    rule: AlbRule,
    session?: AlbSession,
  ) {
    const now = ctx.clock.now();
    const headers: Array<[string, string]> = [];
    const raw = req.rawHeaders;
    let forwardedFor: string | undefined;
    let trace: string | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = (raw[i] ?? '').toLowerCase();
      const value = raw[i + 1] ?? '';
      // An authenticating rule owns the x-amzn-oidc-* headers: client copies are never passed on.
      if (rule.authenticate && name.startsWith('x-amzn-oidc-')) continue;
      if (name === 'x-forwarded-for') forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value;
      else if (name === 'x-amzn-trace-id') trace = value;
      else if (name !== 'x-forwarded-proto' && name !== 'x-forwarded-port') headers.push([name, value]);
    }
    const client = req.socket.remoteAddress ?? '127.0.0.1';
    headers.push(['x-amzn-trace-id', trace ?? traceId(now)]);
    headers.push(['x-forwarded-for', forwardedFor ? `${forwardedFor}, ${client}` : client]);
    headers.push(['x-forwarded-port', String(port)]);
    headers.push(['x-forwarded-proto', 'http']);
    if (session) {
      const sub = typeof session.claims.sub === 'string' ? session.claims.sub : '';
      headers.push(['x-amzn-oidc-accesstoken', session.accessToken]);
      headers.push(['x-amzn-oidc-identity', sub]);
      headers.push([
        'x-amzn-oidc-data',
        buildOidcDataToken({
          key: options.keys.current(),
          issuer: options.issuer,
          clientId: options.clientId,
          signer: options.albArn,
          exp: Math.floor(now / 1000) + options.tokenTtlSeconds,
          claims: session.claims,
        }),
      ]);
    }
    const multiValueHeaders = rule.multiValueHeaders ?? true;
    const event = toAlbEvent({
      method: req.method ?? 'GET',
      rawUrl: req.url ?? '/',
      headers,
      body,
      targetGroupArn:
        rule.targetGroupArn ?? defaultTargetGroupArn(ctx.region, ctx.accountId, rule.targetFunction),
      multiValueHeaders,
    });
    let result: unknown;
    try {
      result = await options.targets.invokeFunction(rule.targetFunction, event);
    } catch (error) {
      ctx.log('alb', 'target invocation failed', {
        target: rule.targetFunction,
        error: (error as Error).name,
      });
      return albError(res, 502, 'Bad Gateway');
    }
    let answer: ReturnType<typeof fromAlbResult>;
    try {
      answer = fromAlbResult(result, multiValueHeaders);
    } catch (error) {
      if (!(error instanceof InvalidTargetResponseError)) throw error;
      ctx.log('alb', 'invalid target response', { target: rule.targetFunction, reason: error.message });
      return albError(res, 502, 'Bad Gateway');
    }
    const flat: string[] = ['server', 'awselb/2.0'];
    for (const [name, value] of answer.headers) flat.push(name, value);
    flat.push('content-length', String(answer.body.length));
    if (answer.reason) res.writeHead(answer.status, answer.reason, flat);
    else res.writeHead(answer.status, flat);
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  }

  const server = await startServer(async (req, res, body) => {
    const rawUrl = req.url ?? '/';
    const url = new URL(rawUrl, baseUrl);
    const fault = ctx.faults.take('alb', 'Forward');
    const outcome = await applyFault(fault, res, (f) =>
      albError(res, f.status, STATUS_CODES[f.status] ?? 'Error'),
    );
    if (outcome === 'handled') return;
    if (url.pathname === CALLBACK_PATH) return callback(req, res, url);
    const rule = matchRule(rules, rawUrl.split('?')[0] ?? '/');
    // The listener's default action: a fixed 404, since every route the project uses has a rule.
    if (!rule) return albError(res, 404, 'Not Found');
    let session: AlbSession | undefined;
    if (rule.authenticate) {
      session = readSession(
        parseCookies(req.headers.cookie),
        cookieName(rule),
        options.codec,
        ctx.clock.now(),
      );
      if (!session) {
        const on = rule.onUnauthenticatedRequest ?? 'authenticate';
        if (on === 'deny') return albError(res, 401, 'Authorization Required');
        if (on === 'authenticate') return redirectToIdp(res, rule, rawUrl);
      }
    }
    return forward(req, res, body, rule, session);
  });
  baseUrl = server.url;
  port = server.port;
  return server;
}
