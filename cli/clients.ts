/**
 * The AWS calls the CLI makes, behind small interfaces so commands can be tested with fakes.
 *
 * SDK clients get their endpoint from the same resolution the Lambda functions use
 * (`endpointFor` in functions/shared/aws-clients.ts, fed the context's environment map), and
 * the region, profile and credentials from the CLI context. The shared builders
 * (`stsClient(env)`, ...) cannot be used as they are: they take only an environment map, and the
 * SDK reads region, profile and credentials from `process.env`, not from that map.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { endpointFor, type ServiceKey } from '../functions/shared/aws-clients.ts';
import type { CliContext } from './context.ts';

/** Who the CLI's credentials belong to (STS GetCallerIdentity). */
export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
  readonly userId: string;
}

/** Identity of the caller and the region its clients resolved. */
export interface IdentityPort {
  callerIdentity(): Promise<CallerIdentity>;
  /** The region the client actually uses (after the SDK's own resolution). */
  region(): Promise<string>;
}

/** The clients a command may ask for; each call builds a client for the given context. */
export interface CliClients {
  identity(): IdentityPort;
}

/** Builds the clients for a context; tests replace it with fakes. */
export type ClientFactory = (context: CliContext) => CliClients;

/** SDK client settings for one service in a context. */
export function sdkConfig(context: CliContext, service: ServiceKey) {
  const endpoint = endpointFor(service, context.env);
  return {
    ...(context.region === undefined ? {} : { region: context.region }),
    ...(context.profile === undefined ? {} : { profile: context.profile }),
    ...(context.credentials === undefined ? {} : { credentials: context.credentials }),
    ...(endpoint === undefined ? {} : { endpoint }),
  };
}

function stsIdentity(client: STSClient): IdentityPort {
  return {
    async callerIdentity() {
      const output = await client.send(new GetCallerIdentityCommand({}));
      return { account: output.Account ?? '', arn: output.Arn ?? '', userId: output.UserId ?? '' };
    },
    region: () => client.config.region(),
  };
}

/** The real clients, talking to AWS or the local cloud through the AWS SDK v3. */
export const sdkClients: ClientFactory = (context) => ({
  identity: () => stsIdentity(new STSClient(sdkConfig(context, 'STS'))),
});
