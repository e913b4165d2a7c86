/**
 * The fallback path: MWAA's Airflow CLI endpoint, for environments that cannot serve
 * InvokeRestApi (Airflow older than 2.4.3).
 *
 * `CreateCliToken` gives a token valid for 60 seconds and the webserver host; the command goes
 * as plain text to `POST https://<host>/aws_mwaa/cli` and the answer carries base64 `stdout` and
 * `stderr`. MWAA answers 200 whether or not the command worked, and stderr often holds harmless
 * warnings, so callers decide from the parsed output, never from the HTTP status alone.
 */
import { CreateCliTokenCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
import { webServerUrl } from '../web-server-url.ts';
import { AirflowRequestError, AirflowServerError, AirflowThrottledError } from './errors.ts';

export interface CliResult {
  stdout: string;
  stderr: string;
}

export interface CliTransport {
  run(environment: string, command: string): Promise<CliResult>;
}

export interface CliTransportOptions {
  mwaa: Pick<MWAAClient, 'send'>;
  fetch?: typeof fetch;
  timeoutMs?: number;
  now?: () => number;
  /** Reuse a token for this long; MWAA tokens live 60 s and we keep a safety margin. */
  tokenReuseMs?: number;
}

interface CachedToken {
  token: string;
  host: string;
  expiresAt: number;
}

export function createCliTransport(options: CliTransportOptions): CliTransport {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const reuseMs = options.tokenReuseMs ?? 45_000;
  const tokens = new Map<string, CachedToken>();

  async function token(environment: string): Promise<CachedToken> {
    const cached = tokens.get(environment);
    if (cached && cached.expiresAt > now()) return cached;
    const out = await options.mwaa.send(new CreateCliTokenCommand({ Name: environment }));
    if (!out.CliToken || !out.WebServerHostname) {
      throw new AirflowServerError(`CreateCliToken for ${environment} returned no token or hostname`);
    }
    const fresh = { token: out.CliToken, host: out.WebServerHostname, expiresAt: now() + reuseMs };
    tokens.set(environment, fresh);
    return fresh;
  }

  return {
    async run(environment, command) {
      const { token: cliToken, host } = await token(environment);
      let response: Response;
      try {
        response = await doFetch(`${webServerUrl(host)}/aws_mwaa/cli`, {
          method: 'POST',
          headers: { authorization: `Bearer ${cliToken}`, 'content-type': 'text/plain' },
          body: command,
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
      } catch (cause) {
        throw new AirflowServerError(
          `Airflow CLI on ${environment} did not answer: ${(cause as Error).message}`,
          {
            cause,
            context: { environment },
          },
        );
      }
      if (response.status === 401 || response.status === 403) {
        // A token that expired early: forget it so the next attempt fetches a new one.
        tokens.delete(environment);
        throw new AirflowServerError(
          `Airflow CLI on ${environment} refused the CLI token (${response.status})`,
          {
            status: response.status,
          },
        );
      }
      if (response.status === 429) {
        throw new AirflowThrottledError(`Airflow CLI on ${environment} throttled the request`, {
          status: 429,
        });
      }
      if (response.status >= 500) {
        throw new AirflowServerError(`Airflow CLI on ${environment} failed with HTTP ${response.status}`, {
          status: response.status,
        });
      }
      if (!response.ok) {
        throw new AirflowRequestError(
          `Airflow CLI on ${environment} rejected the request (${response.status})`,
          {
            status: response.status,
          },
        );
      }
      const payload = (await response.json()) as { stdout?: string; stderr?: string };
      return {
        stdout: Buffer.from(payload.stdout ?? '', 'base64').toString('utf8'),
        stderr: Buffer.from(payload.stderr ?? '', 'base64').toString('utf8'),
      };
    },
  };
}

/** Quote one argument for the Airflow CLI command line (POSIX shell rules, as MWAA splits it). */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}
