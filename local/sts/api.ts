/**
 * The STS wire API (awsQuery): AssumeRole and GetCallerIdentity. Signatures are not checked, so
 * any credentials work, including the ones it hands out.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseQueryBody, type QueryParams, sendQueryResult } from '../core/aws-query.ts';
import { applyFault } from '../core/fault-response.ts';
import { sendQueryError } from '../core/http.ts';
import type { ServiceContext } from '../core/service.ts';
import { ServiceError } from '../core/service-error.ts';
import { invalidAction } from './errors.ts';
import {
  accessKeyFromAuthorization,
  type IssuedSession,
  newAccessKeyId,
  newSecret,
  newSessionToken,
  roleId,
} from './model.ts';
import { validateAssumeRole } from './validation.ts';

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export interface StsCall {
  operation: string;
  params: Record<string, string>;
}

/** ISO 8601 without milliseconds, as STS writes timestamps. */
const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * The HTTP handler. Every call is appended to `calls` (faulted ones too); the sessions it issues
 * go into `sessions`, by access key id.
 */
export function stsApi(ctx: ServiceContext, calls: StsCall[], sessions: Map<string, IssuedSession>) {
  function assumeRole(params: QueryParams) {
    const input = validateAssumeRole(params);
    const id = roleId(input.roleArn);
    const session: IssuedSession = {
      accessKeyId: newAccessKeyId(),
      secretAccessKey: newSecret(),
      sessionToken: newSessionToken(),
      expiration: new Date(ctx.clock.now() + input.durationSeconds * 1000),
      assumedRoleArn: `arn:aws:sts::${input.roleAccount}:assumed-role/${input.roleName}/${input.roleSessionName}`,
      assumedRoleId: `${id}:${input.roleSessionName}`,
      account: input.roleAccount,
      ...(input.sourceIdentity === undefined ? {} : { sourceIdentity: input.sourceIdentity }),
    };
    sessions.set(session.accessKeyId, session);
    ctx.log('sts', 'AssumeRole', { roleArn: input.roleArn, roleSessionName: input.roleSessionName });
    return {
      Credentials: {
        AccessKeyId: session.accessKeyId,
        SecretAccessKey: session.secretAccessKey,
        SessionToken: session.sessionToken,
        Expiration: isoSeconds(session.expiration.getTime()),
      },
      AssumedRoleUser: { AssumedRoleId: session.assumedRoleId, Arn: session.assumedRoleArn },
      // Percentage of the packed-policy allowance used; AWS only reports it for session policies.
      PackedPolicySize: params.Policy
        ? Math.min(100, Math.ceil((params.Policy.length / 2048) * 100))
        : undefined,
      SourceIdentity: session.sourceIdentity,
    };
  }

  function getCallerIdentity(req: IncomingMessage) {
    const session = sessions.get(accessKeyFromAuthorization(req.headers.authorization) ?? '');
    if (session)
      return { UserId: session.assumedRoleId, Account: session.account, Arn: session.assumedRoleArn };
    return {
      UserId: 'AIDALOCALCLOUDUSER000',
      Account: ctx.accountId,
      Arn: `arn:aws:iam::${ctx.accountId}:user/local-cloud`,
    };
  }

  return async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const { Action: action = '', Version: _version, ...params } = parseQueryBody(body);
    calls.push({ operation: action, params });
    const faulted = await applyFault(ctx.faults.take('sts', action), res, (fault) =>
      sendQueryError(res, fault.status, fault.error, fault.message),
    );
    if (faulted === 'handled') return;
    try {
      if (action === 'AssumeRole') return sendQueryResult(res, action, XMLNS, assumeRole(params));
      if (action === 'GetCallerIdentity') return sendQueryResult(res, action, XMLNS, getCallerIdentity(req));
      throw invalidAction(action);
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      sendQueryError(res, error.status, error.code, error.message, error.sender);
    }
  };
}
