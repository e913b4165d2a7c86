/**
 * The few HTML pages the emulated webserver shows: MWAA's SSO landing page (which reads the token
 * from the URL fragment in the browser and posts it back, because browsers never send the
 * fragment to the server), the signed-in home page and the "not signed in" page.
 */
import { escapeHtml } from '../../core/html.ts';
import type { Row } from './metadata-store.ts';

const layout = (title: string, body: string) =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n${body}\n</body></html>\n`;

/** Path the landing page posts the token to. */
export const SSO_PATH = '/aws_mwaa/aws-console-sso';

export function ssoLandingPage(): string {
  // The script turns `#<token>` into a form POST; without a fragment it says so instead of posting.
  return layout(
    'Amazon MWAA',
    `<p id="status">Signing you in to Apache Airflow…</p>
<form id="sso" method="post" action="${SSO_PATH}"><input type="hidden" name="token" id="token"></form>
<script>
  const token = decodeURIComponent(window.location.hash.replace(/^#/, ''));
  if (token) {
    document.getElementById('token').value = token;
    document.getElementById('sso').submit();
  } else {
    document.getElementById('status').textContent = 'No login token in the URL.';
  }
</script>`,
  );
}

export function homePage(
  environment: string,
  version: string,
  user: string,
  role: string,
  dags: Row[],
): string {
  const rows = dags
    .map(
      (d) =>
        `<tr><td>${escapeHtml(String(d.dag_id))}</td><td>${Number(d.is_paused) === 1 ? 'paused' : 'active'}</td></tr>`,
    )
    .join('\n');
  return layout(
    `Airflow - ${environment}`,
    `<header><h1>Apache Airflow ${escapeHtml(version)} — ${escapeHtml(environment)}</h1>
<p>Signed in as <strong id="user">${escapeHtml(user)}</strong> with role <strong id="role">${escapeHtml(role)}</strong>
 · <a href="/logout/">Log out</a></p></header>
<table id="dags"><thead><tr><th>DAG</th><th>State</th></tr></thead><tbody>
${rows}
</tbody></table>`,
  );
}

export function signedOutPage(reason: string): string {
  return layout(
    'Amazon MWAA',
    `<h1>Sign in to Apache Airflow</h1><p id="reason">${escapeHtml(reason)}</p>
<p>Open the Airflow UI from the Amazon MWAA console or with a fresh web login token.</p>`,
  );
}
