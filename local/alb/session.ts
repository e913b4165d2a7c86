/**
 * The ALB authentication session, kept entirely in the browser as `AWSELBAuthSessionCookie-<n>`
 * cookies. The value is opaque to clients: AES-256-GCM under a key that lives only in this
 * emulator, so a client can neither read nor forge it. Like the ALB, a value too large for one
 * cookie is split across shards `-0`, `-1`, … and reassembled in index order.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What the ALB remembers between requests: the userinfo claims and the access token. */
export interface AlbSession {
  claims: Record<string, unknown>;
  accessToken: string;
  /** Session expiry (the action's SessionTimeout), epoch milliseconds on the emulated clock. */
  expiresAt: number;
}

export const DEFAULT_SESSION_COOKIE_NAME = 'AWSELBAuthSessionCookie';

/**
 * Browsers cap a cookie's name plus value at 4096 bytes; each shard fills up to that, so
 * `name-<n>=value` never exceeds the limit and large group claims become several cookies.
 */
export const MAX_COOKIE_BYTES = 4096;

/**
 * The ALB refuses sessions whose claims and access token together exceed 11 KB (it answers
 * 500), which also bounds the number of shards a login can produce.
 */
export const MAX_SESSION_BYTES = 11 * 1024;

export class SessionTooLargeError extends Error {
  constructor(bytes: number) {
    super(`user claims and access token are ${bytes} bytes; the ALB limit is ${MAX_SESSION_BYTES}`);
    this.name = 'SessionTooLargeError';
  }
}

export interface SessionCodec {
  /** Encrypt a session into the cookie value (before sharding). */
  seal(session: AlbSession): string;
  /** Decrypt a cookie value; undefined when tampered with, malformed or from another key. */
  open(value: string): AlbSession | undefined;
}

export function createSessionCodec(key: Buffer = randomBytes(32)): SessionCodec {
  return {
    seal(session) {
      const size = Buffer.byteLength(JSON.stringify(session.claims)) + Buffer.byteLength(session.accessToken);
      if (size > MAX_SESSION_BYTES) throw new SessionTooLargeError(size);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([cipher.update(JSON.stringify(session), 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
    },
    open(value) {
      try {
        const raw = Buffer.from(value, 'base64url');
        if (raw.length < 29) return undefined;
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
        const session = JSON.parse(text) as AlbSession;
        return typeof session.accessToken === 'string' && typeof session.expiresAt === 'number'
          ? session
          : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** Split a sealed value into `[name-0, part], [name-1, part], …` within the cookie size limit. */
export function shardCookie(baseName: string, value: string): Array<[string, string]> {
  const shards: Array<[string, string]> = [];
  let offset = 0;
  do {
    const name = `${baseName}-${shards.length}`;
    // name + '=' + value; the value is base64url, so characters are bytes.
    const room = MAX_COOKIE_BYTES - name.length - 1;
    shards.push([name, value.slice(offset, offset + room)]);
    offset += room;
  } while (offset < value.length);
  return shards;
}

/** Parse every `Cookie` header into name → value (the first occurrence of a name wins, as in browsers' order). */
export function parseCookies(headers: string | string[] | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  const lines = headers === undefined ? [] : Array.isArray(headers) ? headers : [headers];
  for (const line of lines) {
    for (const part of line.split(';')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const name = part.slice(0, eq).trim();
      if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
    }
  }
  return cookies;
}

/** Shard names present in the request, `-0` upwards, stopping at the first gap. */
export function presentShards(cookies: Map<string, string>, baseName: string): string[] {
  const names: string[] = [];
  while (cookies.has(`${baseName}-${names.length}`)) names.push(`${baseName}-${names.length}`);
  return names;
}

/** Reassemble and open the session; undefined when absent, invalid or expired at `now`. */
export function readSession(
  cookies: Map<string, string>,
  baseName: string,
  codec: SessionCodec,
  now: number,
): AlbSession | undefined {
  const names = presentShards(cookies, baseName);
  if (names.length === 0) return undefined;
  const session = codec.open(names.map((name) => cookies.get(name) ?? '').join(''));
  return session && session.expiresAt > now ? session : undefined;
}

/**
 * `Set-Cookie` lines for a new session. `Secure` is left out because the local listener speaks
 * plain HTTP and browsers drop Secure cookies set over http on non-localhost hosts; the real ALB
 * (HTTPS only for authenticate actions) sets it. Shards the request carried beyond the new
 * count are expired so a smaller session cannot be glued to a stale tail. The lifetime is a
 * `Max-Age` in real seconds because the browser counts real time; the session's own expiry, on
 * the emulated clock, is sealed inside the value and checked on every request.
 */
export function sessionSetCookies(
  baseName: string,
  sealed: string,
  maxAgeSeconds: number,
  staleShardNames: string[] = [],
): string[] {
  const shards = shardCookie(baseName, sealed);
  const lines = shards.map(
    ([name, value]) =>
      `${name}=${value}; Max-Age=${Math.floor(maxAgeSeconds)}; Path=/; HttpOnly; SameSite=Lax`,
  );
  const fresh = new Set(shards.map(([name]) => name));
  for (const name of staleShardNames) {
    if (!fresh.has(name)) lines.push(expiredCookie(name));
  }
  return lines;
}

/** A `Set-Cookie` line that deletes `name`. */
export function expiredCookie(name: string): string {
  return `${name}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; HttpOnly; SameSite=Lax`;
}
