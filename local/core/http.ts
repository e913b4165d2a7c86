/**
 * Small HTTP helpers shared by the emulators: a server on 127.0.0.1 with a free port, body
 * reading, and AWS error bodies in the three wire protocols our SDK clients speak
 * (awsJson 1.0/1.1, awsQuery XML, restJson).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export type RequestHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
) => Promise<void> | void;

export async function startServer(handler: RequestHandler, port = 0): Promise<RunningServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      Promise.resolve(handler(req, res, Buffer.concat(chunks))).catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ __type: 'InternalFailure', message: String(error) }));
        } else {
          res.end();
        }
      });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/x-amz-json-1.0',
) {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': requestId() });
  res.end(text);
}

/** awsJson 1.0 / 1.1 and restJson errors: `__type` plus `message`, and the x-amzn-errortype header. */
export function sendJsonError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  contentType = 'application/x-amz-json-1.0',
) {
  res.writeHead(status, {
    'content-type': contentType,
    'x-amzn-errortype': code,
    'x-amzn-requestid': requestId(),
  });
  res.end(JSON.stringify({ __type: code, message, Message: message }));
}

const xmlEscape = (text: string) =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

export { xmlEscape };

/** awsQuery errors (STS, SNS): an ErrorResponse XML document. */
export function sendQueryError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  sender = status < 500,
) {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId() });
  res.end(
    `<ErrorResponse><Error><Type>${sender ? 'Sender' : 'Receiver'}</Type><Code>${xmlEscape(code)}</Code>` +
      `<Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
  );
}

export function requestId(): string {
  return crypto.randomUUID();
}
