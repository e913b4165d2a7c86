/**
 * The ALB ↔ Lambda target contract: an HTTP request becomes the JSON event an ALB sends to a
 * Lambda target group, and the function's JSON answer becomes the HTTP response. Follows the
 * ELB guide "Lambda functions as targets", including multi-value headers
 * (`lambda.multi_value_headers.enabled`).
 */

/** The event an ALB sends to a Lambda target. With multi-value headers on, only the `multiValue*` fields are set. */
export interface AlbTargetEvent {
  requestContext: { elb: { targetGroupArn: string } };
  httpMethod: string;
  path: string;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

/** What a Lambda target answers. */
export interface AlbTargetResult {
  statusCode: number;
  statusDescription?: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body?: string;
  isBase64Encoded?: boolean;
}

export interface HttpAnswer {
  status: number;
  /** Reason phrase from `statusDescription` ("302 Found" → "Found"), if given. */
  reason?: string;
  /** Header lines in order; names as the function wrote them. */
  headers: Array<[string, string]>;
  body: Buffer;
}

/** The function's answer cannot be turned into HTTP: the ALB answers 502. */
export class InvalidTargetResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTargetResponseError';
  }
}

/** Hop-by-hop headers: never forwarded in either direction (the ALB ignores them from targets). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/** Content types whose bodies the ALB passes as text; everything else is base64-encoded. */
export function isTextContentType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type === 'application/javascript' ||
    type === 'application/xml'
  );
}

/**
 * Query parameters exactly as received: the ALB does not URL-decode them, and repeated keys
 * keep every value in order.
 */
export function parseRawQuery(query: string): Record<string, string[]> {
  const params: Record<string, string[]> = {};
  if (!query) return params;
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    const existing = params[key];
    if (existing) existing.push(value);
    else params[key] = [value];
  }
  return params;
}

export interface RequestParts {
  method: string;
  /** Request target as received: path plus optional `?query`. */
  rawUrl: string;
  /** Header lines in order (lower-case names), as the ALB forwards them. */
  headers: Array<[string, string]>;
  body: Buffer;
  targetGroupArn: string;
  multiValueHeaders: boolean;
}

/** Build the Lambda target event for a request. */
export function toAlbEvent(request: RequestParts): AlbTargetEvent {
  const queryStart = request.rawUrl.indexOf('?');
  const path = queryStart < 0 ? request.rawUrl : request.rawUrl.slice(0, queryStart);
  const query = parseRawQuery(queryStart < 0 ? '' : request.rawUrl.slice(queryStart + 1));
  const headerValues: Record<string, string[]> = {};
  for (const [rawName, value] of request.headers) {
    const name = rawName.toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
    const existing = headerValues[name];
    if (existing) existing.push(value);
    else headerValues[name] = [value];
  }
  const contentType = headerValues['content-type']?.at(-1);
  const text = request.body.length === 0 || isTextContentType(contentType);
  const base = {
    requestContext: { elb: { targetGroupArn: request.targetGroupArn } },
    httpMethod: request.method,
    path,
  };
  const body = {
    body: text ? request.body.toString('utf8') : request.body.toString('base64'),
    isBase64Encoded: !text,
  };
  if (request.multiValueHeaders) {
    return { ...base, multiValueQueryStringParameters: query, multiValueHeaders: headerValues, ...body };
  }
  // Without multi-value headers the ALB keeps the last value it received.
  const last = (record: Record<string, string[]>) =>
    Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v.at(-1) ?? '']));
  return { ...base, queryStringParameters: last(query), headers: last(headerValues), ...body };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Turn the function's result into an HTTP answer, or throw InvalidTargetResponseError (→ 502).
 * With multi-value headers enabled the ALB reads only `multiValueHeaders`; otherwise only
 * `headers`. The other field is ignored, as on AWS, where its headers silently go missing.
 */
export function fromAlbResult(result: unknown, multiValueHeaders: boolean): HttpAnswer {
  if (!isRecord(result)) throw new InvalidTargetResponseError('the function result is not a JSON object');
  const status = result.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new InvalidTargetResponseError('statusCode must be an integer HTTP status');
  }
  const headers: Array<[string, string]> = [];
  const source = multiValueHeaders ? result.multiValueHeaders : result.headers;
  if (source !== undefined && source !== null) {
    if (!isRecord(source)) throw new InvalidTargetResponseError('headers must be an object');
    for (const [name, value] of Object.entries(source)) {
      const values = multiValueHeaders ? value : [value];
      if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
        throw new InvalidTargetResponseError(
          `header ${name} must be ${multiValueHeaders ? 'an array of strings' : 'a string'}`,
        );
      }
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower) || lower === 'content-length') continue;
      for (const v of values as string[]) headers.push([name, v]);
    }
  }
  const rawBody = result.body;
  if (rawBody !== undefined && rawBody !== null && typeof rawBody !== 'string') {
    throw new InvalidTargetResponseError('body must be a string');
  }
  if (result.isBase64Encoded !== undefined && typeof result.isBase64Encoded !== 'boolean') {
    throw new InvalidTargetResponseError('isBase64Encoded must be a boolean');
  }
  const text = rawBody ?? '';
  const body = result.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  const description = typeof result.statusDescription === 'string' ? result.statusDescription : '';
  const reason = description.startsWith(`${status} `)
    ? description.slice(String(status).length + 1)
    : undefined;
  return { status, ...(reason ? { reason } : {}), headers, body };
}
