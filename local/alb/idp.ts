/**
 * A local OpenID Connect identity provider for the emulated ALB: authorization-code flow with a
 * login page that offers made-up users (or any email and groups typed in), a token endpoint with
 * client authentication, userinfo, JWKS, discovery and a logout endpoint. It knows one client,
 * the ALB's, and only redirects to URIs registered for it.
 */
import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, SignJWT } from 'jose';
import { startServer } from '../core/http.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import { escapeHtml, page } from './html.ts';

/** A made-up user offered on the login page. */
export interface IdpUser {
  email: string;
  name?: string;
  groups?: string[];
  emailVerified?: boolean;
}

export interface IdpOptions {
  clientId: string;
  clientSecret: string;
  /** Issuer identifier; defaults to the IdP's own base URL. */
  issuer?: string;
  users?: IdpUser[];
  /** Access token lifetime on the emulated clock; default one hour. */
  accessTokenTtlSeconds?: number;
}

export interface IdpHandle extends EmulatorHandle {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userInfoEndpoint: string;
  jwksUri: string;
  endSessionEndpoint: string;
  /** Register a redirect URI for the client (the ALB's `/oauth2/idpresponse`). */
  allowRedirectUri(uri: string): void;
  /** Allow `post_logout_redirect_uri` values on this origin. */
  allowLogoutOrigin(origin: string): void;
}

/** The claims the userinfo endpoint returns. */
export interface UserClaims {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  groups: string[];
  [claim: string]: unknown;
}

interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  state: string;
  nonce: string;
  scope: string;
}

interface IssuedCode {
  request: AuthorizationRequest;
  claims: UserClaims;
  /** Real epoch ms: the browser carries the code, so its life is human-scale, not emulated. */
  expiresAtReal: number;
}

/** Authorization codes are single use and short lived (real time). */
const CODE_TTL_REAL_MS = 2 * 60 * 1000;
const MAX_GROUPS = 1000;
const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,255}$/;

/** A stable opaque subject per email, as an IdP keeps one per account. */
export function subjectFor(email: string): string {
  // ASCII case only: a real IdP keeps `\u212Aate@` (Kelvin sign) and `kate@` apart as two accounts.
  const folded = email.trim().replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
  return createHash('sha256').update(folded).digest('hex').slice(0, 32);
}

/** Split a groups field on commas and newlines, trimmed and de-duplicated. */
export function parseGroups(text: string): string[] {
  const groups = text
    .split(/[,\n]/)
    .map((g) => g.trim())
    .filter((g) => g.length > 0);
  return [...new Set(groups)].slice(0, MAX_GROUPS);
}

export function claimsFor(user: IdpUser): UserClaims {
  const email = user.email.trim();
  return {
    sub: subjectFor(email),
    email,
    email_verified: user.emailVerified ?? true,
    name: user.name?.trim() || email.split('@')[0] || email,
    groups: [...(user.groups ?? [])],
  };
}

const safeEqual = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

function send(res: ServerResponse, status: number, headers: Record<string, string>, body = '') {
  res.writeHead(status, { 'cache-control': 'no-store', ...headers });
  res.end(body);
}

const sendHtml = (res: ServerResponse, status: number, title: string, bodyHtml: string) =>
  send(res, status, { 'content-type': 'text/html; charset=utf-8' }, page(title, bodyHtml));

const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  send(res, status, { 'content-type': 'application/json', ...headers }, JSON.stringify(body));

/** Client credentials from HTTP Basic (RFC 6749 §2.3.1, form-encoded parts) or the form body. */
function clientCredentials(
  req: IncomingMessage,
  form: URLSearchParams,
): { id: string; secret: string } | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    try {
      return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
    } catch {
      return undefined;
    }
  }
  const id = form.get('client_id');
  const secret = form.get('client_secret');
  return id !== null && secret !== null ? { id, secret } : undefined;
}

/** Start the identity provider on 127.0.0.1 and a free port. */
export async function startIdp(ctx: ServiceContext, options: IdpOptions): Promise<IdpHandle> {
  const users = options.users ?? [];
  const accessTokenTtlMs = (options.accessTokenTtlSeconds ?? 3600) * 1000;
  const redirectUris = new Set<string>();
  const logoutOrigins = new Set<string>();
  const codes = new Map<string, IssuedCode>();
  const accessTokens = new Map<string, { claims: UserClaims; expiresAt: number }>();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const idTokenKid = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url')
    .slice(0, 16);
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: idTokenKid, alg: 'ES256', use: 'sig' }] };

  let issuer = options.issuer ?? '';
  let baseUrl = '';

  function readAuthorizationRequest(params: URLSearchParams): AuthorizationRequest | string {
    const clientId = params.get('client_id') ?? '';
    const redirectUri = params.get('redirect_uri') ?? '';
    if (clientId !== options.clientId) return 'unknown client_id';
    if (!redirectUris.has(redirectUri)) return 'redirect_uri is not registered for this client';
    if (params.get('response_type') !== 'code') return 'only response_type=code is supported';
    const scope = params.get('scope') ?? '';
    if (!scope.split(' ').includes('openid')) return 'scope must include openid';
    return {
      clientId,
      redirectUri,
      state: params.get('state') ?? '',
      nonce: params.get('nonce') ?? '',
      scope,
    };
  }

  function hiddenFields(request: AuthorizationRequest): string {
    const fields: Array<[string, string]> = [
      ['response_type', 'code'],
      ['client_id', request.clientId],
      ['redirect_uri', request.redirectUri],
      ['scope', request.scope],
      ['state', request.state],
      ['nonce', request.nonce],
    ];
    return fields
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join('');
  }

  function loginPage(res: ServerResponse, request: AuthorizationRequest, status = 200, error?: string) {
    const hidden = hiddenFields(request);
    const listed = users
      .map(
        (user, index) =>
          `<form method="post" action="/authorize" class="user">${hidden}` +
          `<input type="hidden" name="user" value="${index}">` +
          `<button type="submit" data-email="${escapeHtml(user.email)}">Sign in as ${escapeHtml(user.email)}</button>` +
          `<span class="muted">${escapeHtml((user.groups ?? []).join(', ') || 'no groups')}</span></form>`,
      )
      .join('');
    sendHtml(
      res,
      status,
      'Local identity provider: sign in',
      '<h1>Local identity provider</h1>' +
        '<p class="muted">Made-up users for the offline ALB. No passwords: pick a user or type one.</p>' +
        (error ? `<p role="alert">${escapeHtml(error)}</p>` : '') +
        (listed ? `<h2>Users</h2>${listed}` : '') +
        `<h2>Any user</h2><form method="post" action="/authorize" id="custom">${hidden}` +
        '<label>Email <input type="email" name="email" id="email" required></label>' +
        '<label>Name <input type="text" name="name" id="name"></label>' +
        '<label>Groups (comma-separated) <input type="text" name="groups" id="groups"></label>' +
        '<label><input type="checkbox" name="email_verified" value="true" checked> email verified</label>' +
        '<button type="submit" id="sign-in">Sign in</button></form>',
    );
  }

  function authorizeGet(res: ServerResponse, url: URL) {
    const request = readAuthorizationRequest(url.searchParams);
    if (typeof request === 'string') {
      // A bad client or redirect URI must not be redirected to (RFC 6749 §4.1.2.1).
      sendHtml(
        res,
        400,
        'Invalid request',
        `<h1>Invalid authorization request</h1><p>${escapeHtml(request)}</p>`,
      );
      return;
    }
    loginPage(res, request);
  }

  function authorizePost(res: ServerResponse, form: URLSearchParams) {
    const request = readAuthorizationRequest(form);
    if (typeof request === 'string') {
      sendHtml(
        res,
        400,
        'Invalid request',
        `<h1>Invalid authorization request</h1><p>${escapeHtml(request)}</p>`,
      );
      return;
    }
    let user: IdpUser | undefined;
    const index = form.get('user');
    if (index !== null) {
      user = /^\d+$/.test(index) ? users[Number(index)] : undefined;
      if (!user) return loginPage(res, request, 400, 'Unknown user.');
    } else {
      const email = (form.get('email') ?? '').trim();
      if (!EMAIL.test(email)) return loginPage(res, request, 400, 'Enter a valid email address.');
      user = {
        email,
        name: (form.get('name') ?? '').trim(),
        groups: parseGroups(form.get('groups') ?? ''),
        emailVerified: form.get('email_verified') === 'true',
      };
    }
    const code = randomBytes(24).toString('base64url');
    codes.set(code, { request, claims: claimsFor(user), expiresAtReal: Date.now() + CODE_TTL_REAL_MS });
    const target = new URL(request.redirectUri);
    target.searchParams.set('code', code);
    if (request.state) target.searchParams.set('state', request.state);
    ctx.log('idp', 'authorization code issued', { sub: subjectFor(user.email) });
    send(res, 302, { location: target.toString() });
  }

  async function token(req: IncomingMessage, res: ServerResponse, form: URLSearchParams) {
    const client = clientCredentials(req, form);
    if (!client || client.id !== options.clientId || !safeEqual(client.secret, options.clientSecret)) {
      sendJson(res, 401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="idp"' });
      return;
    }
    if (form.get('grant_type') !== 'authorization_code') {
      sendJson(res, 400, { error: 'unsupported_grant_type' });
      return;
    }
    const code = form.get('code') ?? '';
    const issued = codes.get(code);
    codes.delete(code);
    if (
      !issued ||
      issued.expiresAtReal < Date.now() ||
      issued.request.clientId !== client.id ||
      issued.request.redirectUri !== form.get('redirect_uri')
    ) {
      sendJson(res, 400, { error: 'invalid_grant' });
      return;
    }
    const now = ctx.clock.now();
    const accessToken = randomBytes(32).toString('base64url');
    accessTokens.set(accessToken, { claims: issued.claims, expiresAt: now + accessTokenTtlMs });
    const idToken = await new SignJWT({
      email: issued.claims.email,
      ...(issued.request.nonce ? { nonce: issued.request.nonce } : {}),
    })
      .setProtectedHeader({ alg: 'ES256', kid: idTokenKid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(options.clientId)
      .setSubject(issued.claims.sub)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor((now + accessTokenTtlMs) / 1000))
      .sign(privateKey);
    sendJson(res, 200, {
      access_token: accessToken,
      id_token: idToken,
      token_type: 'Bearer',
      expires_in: Math.floor(accessTokenTtlMs / 1000),
    });
  }

  function userinfo(req: IncomingMessage, res: ServerResponse) {
    const auth = req.headers.authorization ?? '';
    const presented = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const entry = accessTokens.get(presented);
    if (!entry || entry.expiresAt <= ctx.clock.now()) {
      send(res, 401, { 'www-authenticate': 'Bearer error="invalid_token"' });
      return;
    }
    sendJson(res, 200, entry.claims);
  }

  function logout(res: ServerResponse, url: URL) {
    const target = url.searchParams.get('post_logout_redirect_uri');
    if (target) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(target);
      } catch {
        parsed = undefined;
      }
      if (parsed && logoutOrigins.has(parsed.origin)) {
        send(res, 302, { location: parsed.toString() });
        return;
      }
    }
    sendHtml(
      res,
      200,
      'Signed out',
      '<h1>Signed out</h1><p>You have been signed out of the local identity provider.</p>',
    );
  }

  const server = await startServer(async (req, res, body) => {
    const url = new URL(req.url ?? '/', baseUrl);
    const form = () => new URLSearchParams(body.toString('utf8'));
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /.well-known/openid-configuration':
        return sendJson(res, 200, {
          issuer,
          authorization_endpoint: `${baseUrl}/authorize`,
          token_endpoint: `${baseUrl}/token`,
          userinfo_endpoint: `${baseUrl}/userinfo`,
          jwks_uri: `${baseUrl}/jwks`,
          end_session_endpoint: `${baseUrl}/logout`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['ES256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
          scopes_supported: ['openid', 'email', 'profile', 'groups'],
          claims_supported: ['sub', 'email', 'email_verified', 'name', 'groups'],
        });
      case 'GET /jwks':
        return sendJson(res, 200, jwks);
      case 'GET /authorize':
        return authorizeGet(res, url);
      case 'POST /authorize':
        return authorizePost(res, form());
      case 'POST /token':
        return token(req, res, form());
      case 'GET /userinfo':
      case 'POST /userinfo':
        return userinfo(req, res);
      case 'GET /logout':
        return logout(res, url);
      default:
        return sendHtml(res, 404, 'Not found', '<h1>Not found</h1>');
    }
  });
  baseUrl = server.url;
  if (!issuer) issuer = baseUrl;

  return {
    url: baseUrl,
    issuer,
    authorizationEndpoint: `${baseUrl}/authorize`,
    tokenEndpoint: `${baseUrl}/token`,
    userInfoEndpoint: `${baseUrl}/userinfo`,
    jwksUri: `${baseUrl}/jwks`,
    endSessionEndpoint: `${baseUrl}/logout`,
    allowRedirectUri: (uri) => void redirectUris.add(uri),
    allowLogoutOrigin: (origin) => void logoutOrigins.add(origin),
    close: server.close,
  };
}
