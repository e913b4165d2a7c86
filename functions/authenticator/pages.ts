/**
 * The authenticator's HTML: the landing page, the signed-out page and the error pages, plus
 * the headers every answer carries. Everything interpolated goes through `escapeHtml`; error
 * pages show fixed messages only, never request input.
 */
import { escapeHtml } from '../shared/html.ts';
import type { AirflowRole } from './roles.ts';

export { escapeHtml };

export const LOGIN_PATH = '/aws_mwaa/aws-console-sso';

/**
 * Headers on every answer: never cached, never framed, no sniffing, no referrer, tight CSP, and
 * HTTPS only from now on (the ALB's authenticate-oidc action exists only on HTTPS listeners, so
 * HSTS cannot lock anyone out; subdomains are not included because the listener's host name
 * may share its parent domain with sites we know nothing about).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string[]>> = {
  'Strict-Transport-Security': ['max-age=31536000'],
  'Cache-Control': ['no-store'],
  Pragma: ['no-cache'],
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['DENY'],
  'Referrer-Policy': ['no-referrer'],
  'Content-Security-Policy': [
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  ],
};

/** A complete page; `bodyHtml` must already be escaped. */
export function htmlPage(title: string, bodyHtml: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem}',
    'li{margin:.3rem 0}a{margin-right:.6rem}.muted{color:#666}</style>',
    `</head><body>${bodyHtml}</body></html>`,
  ].join('');
}

/** The login link for one environment and role. */
export function loginHref(environment: string, role: AirflowRole): string {
  return `${LOGIN_PATH}?mwaa_env=${encodeURIComponent(environment)}&rbac_role=${encodeURIComponent(role)}`;
}

/**
 * The landing page: each environment the user may enter with one link per role, highest
 * first. A wildcard grant (`env#*`) cannot be listed by name, so it becomes a small form.
 */
export function landingPage(email: string, access: ReadonlyMap<string, readonly AirflowRole[]>): string {
  const named = [...access].filter(([environment]) => environment !== '*');
  const wildcard = access.get('*');
  const items = named.map(
    ([environment, roles]) =>
      `<li data-env="${escapeHtml(environment)}"><strong>${escapeHtml(environment)}</strong> ` +
      roles
        .map(
          (role) =>
            `<a data-role="${escapeHtml(role)}" href="${escapeHtml(loginHref(environment, role))}">${escapeHtml(role)}</a>`,
        )
        .join('') +
      '</li>',
  );
  const form = wildcard
    ? `<form id="any-environment" method="get" action="${LOGIN_PATH}"><p>Any environment as ` +
      `<select name="rbac_role">${wildcard
        .map((role) => `<option value="${escapeHtml(role)}">${escapeHtml(role)}</option>`)
        .join('')}</select>: ` +
      '<input name="mwaa_env" required pattern="[a-zA-Z][0-9a-zA-Z_\\-]{0,79}" aria-label="Environment name"> ' +
      '<button type="submit">Open Airflow</button></p></form>'
    : '';
  const none =
    named.length === 0 && !wildcard
      ? '<p id="no-access">You have no access to any Airflow environment. Ask an administrator for a grant.</p>'
      : '';
  return htmlPage(
    'Airflow environments',
    `<h1>Airflow environments</h1><p>Signed in as <span id="user">${escapeHtml(email)}</span>. ` +
      '<a href="/logout">Sign out</a></p>' +
      (items.length > 0 ? `<ul id="environments">${items.join('')}</ul>` : '') +
      form +
      none,
  );
}

/**
 * Asked instead of acting when a login or logout arrives from another site: a link another
 * site planted (or the first request after an IdP round trip, which browsers also count as
 * cross-site) must not sign anyone in or out by itself. Following the link here is a
 * same-origin navigation, which the router then honours.
 */
export function confirmPage(
  action: { kind: 'login'; environment: string; role: AirflowRole | undefined } | { kind: 'logout' },
): string {
  if (action.kind === 'logout') {
    return htmlPage(
      'Sign out?',
      '<h1>Sign out?</h1><p id="confirm">Another site sent you here to sign out.</p>' +
        '<p><a id="continue" href="/logout">Sign out</a> <a href="/">Back to your environments</a></p>',
    );
  }
  const href =
    action.role === undefined
      ? `${LOGIN_PATH}?mwaa_env=${encodeURIComponent(action.environment)}`
      : loginHref(action.environment, action.role);
  const as = action.role === undefined ? '' : ` as ${escapeHtml(action.role)}`;
  return htmlPage(
    'Open Airflow?',
    `<h1>Open Airflow?</h1><p id="confirm">Open <strong>${escapeHtml(action.environment)}</strong>${as}?</p>` +
      `<p><a id="continue" href="${escapeHtml(href)}">Continue to Airflow</a> <a href="/">Back to your environments</a></p>`,
  );
}

export function signedOutPage(): string {
  return htmlPage(
    'Signed out',
    '<h1>Signed out</h1><p id="signed-out">You have been signed out.</p><p><a href="/">Sign in again</a></p>',
  );
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Not signed in',
  403: 'Access denied',
  404: 'Not found',
  502: 'Service unavailable',
};

/** An error page with a fixed message (never request input). */
export function errorPage(status: number, publicMessage: string): string {
  const title = TITLES[status] ?? 'Error';
  return htmlPage(
    title,
    `<h1>${escapeHtml(title)}</h1><p id="message">${escapeHtml(publicMessage)}</p><p><a href="/">Back to your environments</a></p>`,
  );
}

/**
 * `Set-Cookie` lines that expire every ALB session cookie shard: `<base>-0` … `<base>-3` always
 * (the ALB splits large sessions into up to four), plus any other `<base>-<n>` the browser sent.
 */
export function expireSessionCookies(
  cookieHeaders: readonly string[],
  baseName: string,
  secure: boolean,
): string[] {
  const names = new Set([0, 1, 2, 3].map((n) => `${baseName}-${n}`));
  const shard = new RegExp(`^${baseName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{1,2}$`);
  for (const header of cookieHeaders) {
    for (const part of header.split(';')) {
      const name = part.split('=')[0]?.trim() ?? '';
      if (shard.test(name)) names.add(name);
    }
  }
  return [...names]
    .sort()
    .map(
      (name) =>
        `${name}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; HttpOnly${secure ? '; Secure' : ''}`,
    );
}
