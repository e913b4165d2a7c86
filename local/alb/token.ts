/**
 * `x-amzn-oidc-data` exactly as an Application Load Balancer builds it. It looks like a JWT but
 * is not a standard JWS: every segment is base64url *with* `=` padding, and the ES256 signature
 * (raw r‖s, 64 bytes, not DER) is computed over the padded `header.payload` text. A verifier
 * that strips the padding before checking therefore fails, which is the point of emulating it.
 */
import { sign } from 'node:crypto';
import type { AlbSigningKey } from './keys.ts';

/** Header fields of the ALB user-claims token, in the order the ALB writes them. */
export interface OidcDataHeader {
  typ: 'JWT';
  kid: string;
  alg: 'ES256';
  iss: string;
  client: string;
  signer: string;
  exp: number;
}

export interface OidcDataInput {
  key: AlbSigningKey;
  /** The OIDC issuer of the authenticate-oidc action. */
  issuer: string;
  /** The OIDC client id of the authenticate-oidc action. */
  clientId: string;
  /** The ARN of the load balancer that signs (the header's `signer`). */
  signer: string;
  /** Expiry, epoch seconds. */
  exp: number;
  /** Claims from the IdP's userinfo endpoint. */
  claims: Record<string, unknown>;
}

/** base64url of `data`, keeping the `=` padding that RFC 7515 would strip. */
export function base64UrlPadded(data: Buffer | string): string {
  const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return buffer.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Build and sign the token. The payload is the userinfo claims plus `exp` and `iss`. */
export function buildOidcDataToken(input: OidcDataInput): string {
  const header: OidcDataHeader = {
    typ: 'JWT',
    kid: input.key.kid,
    alg: 'ES256',
    iss: input.issuer,
    client: input.clientId,
    signer: input.signer,
    exp: input.exp,
  };
  const payload = { ...input.claims, exp: input.exp, iss: input.issuer };
  const signingInput = `${base64UrlPadded(JSON.stringify(header))}.${base64UrlPadded(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(signingInput, 'ascii'), {
    key: input.key.privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${signingInput}.${base64UrlPadded(signature)}`;
}

/** Decode one segment (padded or not) as JSON; for tests and logs of non-secret headers. */
export function decodeSegment(segment: string): unknown {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}
