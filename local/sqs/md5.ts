/**
 * The MD5 digests SQS returns with messages. SDK clients recompute MD5OfMessageBody and reject
 * a mismatch; MD5OfMessageAttributes follows AWS's documented binary encoding (per attribute,
 * sorted by name: length-prefixed name, length-prefixed type, transport byte, length-prefixed
 * value).
 */
import { createHash } from 'node:crypto';

export interface SqsAttributeValue {
  DataType: string;
  StringValue?: string;
  /** Base64 in the JSON protocol. */
  BinaryValue?: string;
}

export const md5Hex = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

export function md5OfAttributes(attributes: Record<string, SqsAttributeValue>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const attribute = attributes[name] as SqsAttributeValue;
    parts.push(lengthPrefixed(Buffer.from(name)), lengthPrefixed(Buffer.from(attribute.DataType)));
    if (attribute.BinaryValue !== undefined && attribute.DataType.startsWith('Binary')) {
      parts.push(Buffer.from([2]), lengthPrefixed(Buffer.from(attribute.BinaryValue, 'base64')));
    } else {
      parts.push(Buffer.from([1]), lengthPrefixed(Buffer.from(attribute.StringValue ?? '')));
    }
  }
  return md5Hex(Buffer.concat(parts));
}
