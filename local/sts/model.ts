/**
 * The credentials this STS has handed out, so GetCallerIdentity can answer for an assumed
 * role. Keys, secrets and tokens are random; role ids are stable per role ARN, as in AWS.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface IssuedSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  assumedRoleArn: string;
  assumedRoleId: string;
  account: string;
  sourceIdentity?: string;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const idChars = (bytes: Buffer, length: number) =>
  Array.from(bytes.subarray(0, length), (b) => ALPHABET[b % ALPHABET.length]).join('');

/** `AROA…` role id: derived from the role ARN so repeated calls agree. */
export function roleId(roleArn: string): string {
  return `AROA${idChars(createHash('sha256').update(roleArn).digest(), 17)}`;
}

export function newAccessKeyId(): string {
  return `ASIA${idChars(randomBytes(16), 16)}`;
}

export function newSecret(): string {
  return randomBytes(30).toString('base64');
}

export function newSessionToken(): string {
  return `IQoJb3JpZ2luX2VjE${randomBytes(96).toString('base64')}`;
}

/** `Credential=AKID/date/region/service/aws4_request` from a SigV4 Authorization header. */
export function accessKeyFromAuthorization(header: string | undefined): string | undefined {
  return header ? /Credential=([^/,\s]+)\//.exec(header)?.[1] : undefined;
}
