/**
 * The ALB's signing keys for `x-amzn-oidc-data`: ES256 (ECDSA P-256) key pairs, each known by a
 * UUID key id and published as a PEM SubjectPublicKeyInfo, which is what
 * `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>` serves. Old keys stay published
 * after a rotation, as the real endpoint keeps them, so tokens already in flight still verify.
 */
import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';

export interface AlbSigningKey {
  /** Key id: a UUID, placed in the token header and in the public-key URL. */
  kid: string;
  privateKey: KeyObject;
  /** `-----BEGIN PUBLIC KEY-----` PEM (SPKI). */
  publicKeyPem: string;
}

/** A fresh ES256 key pair with a random UUID key id. */
export function createSigningKey(): AlbSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    kid: randomUUID(),
    privateKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** The current signing key plus every key it replaced. */
export interface KeyRing {
  current(): AlbSigningKey;
  /** Public key PEM by key id, or undefined for an unknown kid. */
  publicKeyPem(kid: string): string | undefined;
  /** Make a new key current and return its kid; earlier keys remain published. */
  rotate(): string;
}

export function createKeyRing(): KeyRing {
  const keys = new Map<string, AlbSigningKey>();
  let current = createSigningKey();
  keys.set(current.kid, current);
  return {
    current: () => current,
    publicKeyPem: (kid) => keys.get(kid)?.publicKeyPem,
    rotate() {
      current = createSigningKey();
      keys.set(current.kid, current);
      return current.kid;
    },
  };
}
