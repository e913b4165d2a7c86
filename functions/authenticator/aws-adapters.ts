/**
 * SDK adapters for the authenticator's ports: STS AssumeRole, and MWAA CreateWebLoginToken with
 * the assumed credentials. One MWAA client per set of credentials, cached alongside them, so a
 * warm container reuses connections; endpoints follow `AWS_ENDPOINT_URL_*` as everywhere else.
 */
import { CreateWebLoginTokenCommand, MWAAClient } from '@aws-sdk/client-mwaa';
import { AssumeRoleCommand, type AssumeRoleCommandOutput, type STSClient } from '@aws-sdk/client-sts';
import { endpointFor } from '../shared/aws-clients.ts';
import type { Env } from '../shared/config.ts';
import { EnvironmentNotFoundError, UpstreamError } from './errors.ts';
import type { RoleAssumer, RoleCredentials, WebLoginMinter } from './login.ts';

export function stsRoleAssumer(sts: Pick<STSClient, 'send'>): RoleAssumer {
  return {
    async assume(input) {
      let out: AssumeRoleCommandOutput;
      try {
        out = await sts.send(
          new AssumeRoleCommand({
            RoleArn: input.roleArn,
            RoleSessionName: input.sessionName,
            SourceIdentity: input.sourceIdentity,
            DurationSeconds: input.durationSeconds,
          }),
        );
      } catch (cause) {
        throw new UpstreamError('assume-role-failed', { cause });
      }
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw new UpstreamError('assume-role-failed');
      }
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
    },
  };
}

export interface MwaaMinterOptions {
  env?: Env;
  /** Most clients kept; the oldest is destroyed beyond it. Default 200. */
  maxClients?: number;
  /** Builds a client; replaceable in tests and benchmarks. */
  buildClient?: (config: ConstructorParameters<typeof MWAAClient>[0] & object) => MWAAClient;
}

export function mwaaWebLoginMinter(options: MwaaMinterOptions = {}): WebLoginMinter {
  const env = options.env ?? process.env;
  const maxClients = options.maxClients ?? 200;
  const build = options.buildClient ?? ((config) => new MWAAClient(config));
  const clients = new Map<string, MWAAClient>();

  function clientFor(credentials: RoleCredentials): MWAAClient {
    const existing = clients.get(credentials.accessKeyId);
    if (existing) return existing;
    const endpoint = endpointFor('MWAA', env);
    const client = build({
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken,
        expiration: credentials.expiration,
      },
      maxAttempts: 2,
      ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
      // With an endpoint override the client must not prepend `env.`/`api.` to the host.
      ...(endpoint === undefined ? {} : { endpoint, disableHostPrefix: true }),
    });
    clients.set(credentials.accessKeyId, client);
    if (clients.size > maxClients) {
      const [oldestKey, oldest] = clients.entries().next().value ?? [];
      if (oldestKey !== undefined) clients.delete(oldestKey);
      oldest?.destroy();
    }
    return client;
  }

  return {
    async mint(credentials, environment) {
      try {
        const out = await clientFor(credentials).send(new CreateWebLoginTokenCommand({ Name: environment }));
        if (!out.WebServerHostname || !out.WebToken) throw new UpstreamError('mwaa-bad-response');
        return { webServerHostname: out.WebServerHostname, webToken: out.WebToken };
      } catch (error) {
        if (error instanceof UpstreamError) throw error;
        if (error instanceof Error && error.name === 'ResourceNotFoundException') {
          throw new EnvironmentNotFoundError();
        }
        throw new UpstreamError('create-web-login-token-failed', { cause: error });
      }
    },
  };
}
