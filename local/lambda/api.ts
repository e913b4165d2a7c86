/**
 * The Lambda HTTP API (restJson) over the local runtime, for SDK clients and functions that call
 * `Invoke` themselves: Invoke (RequestResponse, Event, DryRun; `X-Amz-Log-Type: Tail`),
 * GetFunction, GetFunctionConfiguration and ListFunctions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFault } from '../core/fault-response.ts';
import { requestId, startServer } from '../core/http.ts';
import type { LocalFunction } from '../core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import { LambdaServiceError, ResourceNotFoundError } from './errors.ts';
import type { LambdaRuntime } from './runtime.ts';

const JSON_TYPE = 'application/json';

/** Lambda's error body: `{ Type, message }` with the code in `x-amzn-errortype`. */
function sendLambdaError(res: ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, {
    'content-type': JSON_TYPE,
    'x-amzn-errortype': code,
    'x-amzn-requestid': requestId(),
  });
  res.end(JSON.stringify({ Type: status >= 500 ? 'Service' : 'User', message }));
}

function configuration(fn: LocalFunction) {
  return {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Runtime: 'nodejs24.x',
    Handler: `index.${fn.handlerExport}`,
    Timeout: fn.timeoutSeconds,
    MemorySize: fn.memoryMb,
    Environment: { Variables: fn.environment },
    Architectures: ['arm64'],
    PackageType: 'Zip',
    Version: '$LATEST',
    State: 'Active',
    LastUpdateStatus: 'Successful',
  };
}

export async function startLambdaApi(
  ctx: ServiceContext,
  runtime: LambdaRuntime,
  functions: LocalFunction[],
): Promise<EmulatorHandle> {
  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const match = /^\/2015-03-31\/functions\/?([^/]*)(\/invocations|\/configuration)?\/?$/.exec(url.pathname);
    if (!match) {
      sendLambdaError(
        res,
        404,
        'UnknownOperationException',
        `Unknown operation ${req.method} ${url.pathname}`,
      );
      return;
    }
    const name = decodeURIComponent(match[1] ?? '');
    const suffix = match[2];
    if (!name) {
      const faulted = await applyFault(ctx.faults.take('lambda', 'ListFunctions'), res, (f) =>
        sendLambdaError(res, f.status, f.error, f.message),
      );
      if (faulted === 'handled') return;
      sendJson(res, 200, { Functions: functions.map(configuration) });
      return;
    }
    const fn = runtime.lookup(name);
    if (suffix === '/invocations' && req.method === 'POST') {
      await invoke(req, res, body, name, fn);
      return;
    }
    const operation = suffix === '/configuration' ? 'GetFunctionConfiguration' : 'GetFunction';
    const faulted = await applyFault(ctx.faults.take('lambda', operation), res, (f) =>
      sendLambdaError(res, f.status, f.error, f.message),
    );
    if (faulted === 'handled') return;
    if (!fn) {
      sendLambdaError(res, 404, 'ResourceNotFoundException', `Function not found: ${name}`);
      return;
    }
    sendJson(
      res,
      200,
      operation === 'GetFunction'
        ? { Configuration: configuration(fn), Code: { RepositoryType: 'S3' } }
        : configuration(fn),
    );
  };

  const invoke = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    name: string,
    fn: LocalFunction | undefined,
  ) => {
    if (!fn) {
      sendLambdaError(res, 404, 'ResourceNotFoundException', `Function not found: ${name}`);
      return;
    }
    let event: unknown = {};
    if (body.length > 0) {
      try {
        event = JSON.parse(body.toString('utf8'));
      } catch {
        sendLambdaError(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
        return;
      }
    }
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (type === 'DryRun') {
      res.writeHead(204, { 'x-amzn-requestid': requestId() });
      res.end();
      return;
    }
    if (type === 'Event') {
      const { requestId: id } = runtime.invokeAsync(fn.logicalId, event);
      res.writeHead(202, { 'x-amzn-requestid': id });
      res.end();
      return;
    }
    const logsBefore = runtime.logs(fn.logicalId).length;
    try {
      const outcome = await runtime.invokeRaw(fn.logicalId, event);
      const headers: Record<string, string> = {
        'content-type': JSON_TYPE,
        'x-amz-executed-version': '$LATEST',
        'x-amzn-requestid': requestId(),
      };
      if (!outcome.ok) headers['x-amz-function-error'] = 'Unhandled';
      if (req.headers['x-amz-log-type'] === 'Tail') {
        // The last 4 KB of this invocation's log, as Lambda returns it.
        const tail = Buffer.from(runtime.logs(fn.logicalId).slice(logsBefore).join('\n'));
        headers['x-amz-log-result'] = tail.subarray(Math.max(0, tail.length - 4096)).toString('base64');
      }
      res.writeHead(200, headers);
      res.end(JSON.stringify(outcome.ok ? outcome.payload : outcome.error));
    } catch (error) {
      if (error instanceof LambdaServiceError)
        sendLambdaError(res, error.$metadata.httpStatusCode, error.name, error.message);
      else if (error instanceof ResourceNotFoundError)
        sendLambdaError(res, 404, 'ResourceNotFoundException', error.message);
      else throw error;
    }
  };

  const server = await startServer(handle);
  ctx.log('lambda', `Lambda API on ${server.url}`);
  return { url: server.url, close: server.close };
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': JSON_TYPE, 'x-amzn-requestid': requestId() });
  res.end(JSON.stringify(body));
}
