/**
 * DynamoDB: dynalite in memory behind a fault-injection front. The front reads only the
 * `X-Amz-Target` header to name the operation, then hands the untouched request to dynalite's
 * own request handler in-process (no second network hop).
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { applyFault } from '../core/fault-response.ts';
import { sendJsonError } from '../core/http.ts';
import type { LocalTable } from '../core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import { createTableRequest } from './tables.ts';

type Dynalite = (options: Record<string, unknown>) => Server;
// dynalite is CommonJS without types; loaded with the module so startLocalCloud does not pay for it.
const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;

export interface DynamoDbOptions {
  tables: LocalTable[];
}

/** `com.amazonaws.dynamodb.v20120810#Code`, the way DynamoDB names its errors on the wire. */
export const dynamoErrorType = (code: string) => `com.amazonaws.dynamodb.v20120810#${code}`;

export async function startDynamoDb(ctx: ServiceContext, options: DynamoDbOptions): Promise<EmulatorHandle> {
  const backend = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dispatch = backend.listeners('request')[0] as RequestListener;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    const outcome = await applyFault(ctx.faults.take('dynamodb', operation), res, (fault) =>
      sendJsonError(res, fault.status, dynamoErrorType(fault.error), fault.message),
    );
    if (outcome === 'handled') {
      req.resume();
      return;
    }
    dispatch(req, res);
  };

  const front = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJsonError(res, 500, dynamoErrorType('InternalServerError'), String(error));
    });
  });
  front.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;

  // Create the template's tables through the wire API, so they pass dynalite's own validation.
  await Promise.all(options.tables.map((table) => createTable(url, table)));
  ctx.log('dynamodb', `DynamoDB (dynalite) on ${url}`, { tables: options.tables.map((t) => t.name) });

  let closed: Promise<void> | undefined;
  return {
    url,
    close() {
      closed ??= (async () => {
        front.closeAllConnections();
        await new Promise<void>((resolve) => front.close(() => resolve()));
        // dynalite's close also closes its store; the server itself never listened.
        await new Promise<void>((resolve) => backend.close(() => resolve()));
      })();
      return closed;
    },
  };
}

async function createTable(url: string, table: LocalTable): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.CreateTable',
      authorization:
        'AWS4-HMAC-SHA256 Credential=S3RVER/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      'x-amz-date': '20200101T000000Z',
    },
    body: JSON.stringify(createTableRequest(table)),
  });
  if (!response.ok) {
    throw new Error(`creating table ${table.logicalId} (${table.name}) failed: ${await response.text()}`);
  }
}
