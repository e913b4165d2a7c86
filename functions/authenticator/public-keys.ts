/**
 * The ALB's public keys: `GET <endpoint>/<kid>` answers a PEM (not a JWKS). Keys are cached per
 * kid for the life of the container (a kid's key never changes) and concurrent requests for the
 * same kid share one fetch. Only successful fetches are cached, and the cache is bounded, so a
 * stream of made-up kids cannot grow it.
 */
import { importSPKI } from 'jose';
import { TokenRejectedError, UpstreamError } from './errors.ts';

/** ALB key ids are UUIDs; nothing else may reach the key URL (no `../`, no `https://…`). */
export const KID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const MAX_PEM_BYTES = 4096;
const PEM_PUBLIC_KEY = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\s*$/;

export type VerificationKey = Awaited<ReturnType<typeof importSPKI>>;

export interface KeySource {
  /** The ES256 verification key for `kid`; throws TokenRejectedError for an unknown kid. */
  get(kid: string): Promise<VerificationKey>;
}

export interface KeyFetcherOptions {
  /** Base URL without a trailing slash. */
  endpoint: string;
  timeoutMs: number;
  /** Replaceable for tests and benchmarks; default the global fetch. */
  fetch?: typeof fetch;
  /** Most keys kept; the oldest is dropped beyond it. Default 16 (ALBs rotate rarely). */
  maxKeys?: number;
}

export function createKeyFetcher(options: KeyFetcherOptions): KeySource {
  const doFetch = options.fetch ?? fetch;
  const maxKeys = options.maxKeys ?? 16;
  const cache = new Map<string, Promise<VerificationKey>>();

  async function load(kid: string): Promise<VerificationKey> {
    let response: Response;
    try {
      response = await doFetch(`${options.endpoint}/${kid}`, {
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'error',
      });
    } catch (cause) {
      throw new UpstreamError('key-fetch-failed', { cause });
    }
    if (response.status === 404 || response.status === 403) {
      await response.body?.cancel();
      // The endpoint does not know this kid: a forged or foreign token, not an outage.
      throw new TokenRejectedError('unknown-kid');
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new UpstreamError('key-fetch-failed');
    }
    const text = await response.text();
    if (text.length > MAX_PEM_BYTES || !PEM_PUBLIC_KEY.test(text)) {
      throw new UpstreamError('key-malformed');
    }
    try {
      return await importSPKI(text, 'ES256');
    } catch (cause) {
      throw new UpstreamError('key-malformed', { cause });
    }
  }

  return {
    get(kid) {
      if (!KID_PATTERN.test(kid)) return Promise.reject(new TokenRejectedError('invalid-kid'));
      const key = kid.toLowerCase();
      const cached = cache.get(key);
      if (cached) return cached;
      const pending = load(key);
      cache.set(key, pending);
      pending.catch(() => cache.delete(key));
      if (cache.size > maxKeys) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return pending;
    },
  };
}
