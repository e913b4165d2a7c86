/** S3's errors: the failure the object API throws, and the REST-XML error document it answers with. */
import type { ServerResponse } from 'node:http';
import { requestId, xmlEscape } from '../core/http.ts';

/** An S3 error code with its HTTP status, e.g. 404 NoSuchKey. */
export class S3Failure extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** S3's REST-XML error; HEAD responses carry no body, so the SDK names the error from the status. */
export function sendS3Error(
  res: ServerResponse,
  method: string,
  status: number,
  code: string,
  message: string,
  resource: string,
) {
  const id = requestId().replace(/-/g, '').slice(0, 16).toUpperCase();
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': id, 'x-amz-id-2': id });
  if (method.toUpperCase() === 'HEAD') {
    res.end();
    return;
  }
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>` +
      `<Resource>${xmlEscape(resource)}</Resource><RequestId>${id}</RequestId><HostId>${id}</HostId></Error>`,
  );
}
