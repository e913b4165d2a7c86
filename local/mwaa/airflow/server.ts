/**
 * An environment's Airflow webserver on its own 127.0.0.1 port (plain HTTP): the REST API under
 * its version's root, MWAA's CLI endpoint, the SSO landing page and a minimal signed-in home page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type RunningServer, startServer } from '../../core/http.ts';
import type { AirflowRole, TokenStore } from '../tokens.ts';
import { runAirflowCli } from './cli.ts';
import type { AirflowInstance } from './instance.ts';
import { handleRestApi } from './rest-api.ts';
import { homePage, SSO_PATH, signedOutPage, ssoLandingPage } from './web-pages.ts';

export interface WebserverOptions {
  environment: string;
  airflow: () => AirflowInstance;
  tokens: TokenStore;
  /** False while the environment cannot serve (creating, upgrading, failed): answers 503. */
  serving: () => boolean;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

interface Session {
  user: string;
  role: AirflowRole;
}

const SESSION_COOKIE = 'session';

const send = (
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string | string[]> = {},
) => {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
  res.end(body);
};
const sendJsonBody = (
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
) => {
  res.writeHead(status, { 'content-type': contentType });
  res.end(status === 204 ? '' : JSON.stringify(body));
};

const cookieValue = (req: IncomingMessage, name: string) =>
  (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim().split('='))
    .find(([k]) => k === name)?.[1];

export async function startWebserver(options: WebserverOptions): Promise<RunningServer> {
  const sessions = new Map<string, Session>();
  const { environment, tokens } = options;

  return startServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    if (!options.serving()) {
      send(
        res,
        503,
        signedOutPage('The Airflow webserver is not available while the environment is not AVAILABLE.'),
      );
      return;
    }
    const airflow = options.airflow();
    const sessionId = cookieValue(req, SESSION_COOKIE);
    const session = sessionId ? sessions.get(sessionId) : undefined;

    if (url.pathname === '/health' && method === 'GET') {
      sendJsonBody(res, 200, { metadatabase: { status: 'healthy' }, scheduler: { status: 'healthy' } });
      return;
    }

    if (url.pathname === '/aws_mwaa/cli' && method === 'POST') {
      const auth = req.headers.authorization ?? '';
      const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
      const check = tokens.checkCli(environment, token);
      if (!check.ok) {
        // MWAA answers a bad or expired CLI token with a bare 403.
        sendJsonBody(res, 403, { message: 'Forbidden' });
        return;
      }
      const result = runAirflowCli(airflow, body.toString('utf8'));
      options.log?.('CLI command', {
        environment,
        command: body.toString('utf8').split(/\s+/).slice(0, 2).join(' '),
      });
      sendJsonBody(res, 200, {
        stderr: Buffer.from(result.stderr).toString('base64'),
        stdout: Buffer.from(result.stdout).toString('base64'),
      });
      return;
    }

    if (url.pathname === SSO_PATH && method === 'GET') {
      send(res, 200, ssoLandingPage());
      return;
    }
    if (url.pathname === SSO_PATH && method === 'POST') {
      const token = new URLSearchParams(body.toString('utf8')).get('token') ?? '';
      const check = tokens.consumeWeb(environment, token);
      if (!check.ok) {
        send(
          res,
          403,
          signedOutPage(
            `The login token is not valid (${check.reason}). Tokens last 60 seconds and work once.`,
          ),
        );
        return;
      }
      const id = crypto.randomUUID();
      sessions.set(id, { user: check.token.airflowUser, role: check.token.airflowRole });
      options.log?.('web login', {
        environment,
        user: check.token.airflowUser,
        role: check.token.airflowRole,
      });
      res.writeHead(302, {
        location: '/home',
        'set-cookie': `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`,
      });
      res.end();
      return;
    }
    if (url.pathname === '/logout/' || url.pathname === '/logout') {
      if (sessionId) sessions.delete(sessionId);
      res.writeHead(302, { location: '/login/', 'set-cookie': `${SESSION_COOKIE}=; Path=/; Max-Age=0` });
      res.end();
      return;
    }
    if (url.pathname === '/home' || url.pathname === '/') {
      if (!session) {
        res.writeHead(302, { location: '/login/' });
        res.end();
        return;
      }
      const dags = airflow.store.all('SELECT dag_id, is_paused FROM dag ORDER BY dag_id');
      send(res, 200, homePage(environment, airflow.version, session.user, session.role, dags));
      return;
    }
    if (url.pathname === '/login/' || url.pathname === '/login') {
      send(res, 200, signedOutPage('You are not signed in.'));
      return;
    }

    const prefix = airflow.flavor.apiPrefix;
    if (url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)) {
      if (!session) {
        if (airflow.flavor.major === 3) sendJsonBody(res, 401, { detail: 'Not authenticated' });
        else
          sendJsonBody(
            res,
            401,
            {
              detail: null,
              status: 401,
              title: 'Unauthorized',
              type: `https://airflow.apache.org/docs/apache-airflow/${airflow.version}/stable-rest-api-ref.html#section/Errors/Unauthenticated`,
            },
            'application/problem+json',
          );
        return;
      }
      const query: Record<string, string[]> = {};
      for (const [k, v] of url.searchParams) query[k] = [...(query[k] ?? []), v];
      let parsed: unknown;
      try {
        parsed = body.length ? JSON.parse(body.toString('utf8')) : undefined;
      } catch {
        sendJsonBody(res, 400, {
          detail: 'Request body is not valid JSON',
          status: 400,
          title: 'Bad Request',
          type: 'about:blank',
        });
        return;
      }
      const result = handleRestApi(airflow, {
        method,
        path: url.pathname.slice(prefix.length) || '/',
        query,
        body: parsed,
        user: session.user,
        role: session.role,
      });
      sendJsonBody(res, result.status, result.body, result.contentType);
      return;
    }
    send(res, 404, signedOutPage('Not found.'));
  });
}
