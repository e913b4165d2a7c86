/**
 * The awsQuery wire protocol (STS, SNS): form-encoded requests with `Action` and `Version`,
 * XML answers `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…`.
 */
import type { ServerResponse } from 'node:http';
import { requestId, xmlEscape } from './http.ts';

/** A decoded form body: flat keys as sent (`Attributes.entry.1.key`). */
export type QueryParams = Record<string, string>;

export function parseQueryBody(body: Buffer | string): QueryParams {
  return Object.fromEntries(new URLSearchParams(body.toString()));
}

/** Members of a list parameter: `Prefix.member.1`, `Prefix.member.2`, … (or `Prefix.1`). */
export function queryList(params: QueryParams, prefix: string): string[] {
  const values: string[] = [];
  for (let i = 1; ; i += 1) {
    const value = params[`${prefix}.member.${i}`] ?? params[`${prefix}.${i}`];
    if (value === undefined) return values;
    values.push(value);
  }
}

/**
 * Entries of a map parameter: `Prefix.entry.N.<keyName>` / `Prefix.entry.N.<valueName>[.sub]`.
 * Values come back as the sub-keys under the value name (`{ DataType, StringValue }`), or as the
 * plain value under `''` when the value is a scalar.
 */
export function queryMap(
  params: QueryParams,
  prefix: string,
  keyName = 'key',
  valueName = 'value',
): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  for (let i = 1; ; i += 1) {
    const base = `${prefix}.entry.${i}`;
    const key = params[`${base}.${keyName}`];
    if (key === undefined) return result;
    const value: Record<string, string> = {};
    const valuePrefix = `${base}.${valueName}`;
    for (const [name, text] of Object.entries(params)) {
      if (name === valuePrefix) value[''] = text;
      else if (name.startsWith(`${valuePrefix}.`)) value[name.slice(valuePrefix.length + 1)] = text;
    }
    result[key] = value;
  }
}

export type XmlValue =
  | string
  | number
  | boolean
  | undefined
  | null
  | XmlValue[]
  | { [key: string]: XmlValue };

/** Render a value as XML children; arrays become `<member>` lists, as awsQuery answers them. */
export function toXml(value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, child]) => child !== undefined && child !== null)
      .map(([name, child]) => `<${name}>${toXml(child)}</${name}>`)
      .join('');
  }
  return xmlEscape(String(value));
}

/** Answer an awsQuery call with `<ActionResponse xmlns><ActionResult>result</ActionResult>…`. */
export function sendQueryResult(
  res: ServerResponse,
  action: string,
  xmlns: string,
  result: Record<string, XmlValue> | undefined,
): void {
  const id = requestId();
  const inner = result === undefined ? '' : `<${action}Result>${toXml(result)}</${action}Result>`;
  res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': id });
  res.end(
    `<${action}Response xmlns="${xmlns}">${inner}` +
      `<ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></${action}Response>`,
  );
}
