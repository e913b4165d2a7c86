/**
 * STS emulator: starts the wire API (api.ts) and keeps the sessions it issued (model.ts). Every
 * call is recorded for tests.
 */
import { startServer } from '../core/http.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import { type StsCall, stsApi } from './api.ts';
import type { IssuedSession } from './model.ts';

export type { StsCall } from './api.ts';

export interface StsHandle extends EmulatorHandle {
  /** Every call received, in order, without `Action`/`Version` (faulted calls included). */
  calls(): StsCall[];
  /** The session an access key id this STS issued belongs to (for services that name the caller). */
  session(accessKeyId: string): IssuedSession | undefined;
}

/**
 * Start the STS emulator on a free 127.0.0.1 port.
 *
 * @example
 * const sts = await startSts(ctx);
 * const client = new STSClient({ endpoint: sts.url, region: 'us-east-1', credentials });
 * await client.send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 'alice@example.com' }));
 * sts.calls().filter((c) => c.operation === 'AssumeRole').length; // 1
 */
export async function startSts(ctx: ServiceContext): Promise<StsHandle> {
  const calls: StsCall[] = [];
  const sessions = new Map<string, IssuedSession>();

  const server = await startServer(stsApi(ctx, calls, sessions));
  return {
    url: server.url,
    close: server.close,
    calls: () => calls.map((call) => ({ ...call })),
    session: (accessKeyId) => sessions.get(accessKeyId),
  };
}
