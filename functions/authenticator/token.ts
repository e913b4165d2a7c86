/**
 * Verification of the `x-amzn-oidc-data` token an ALB adds after authenticate-oidc.
 *
 * The token looks like a JWT but every segment keeps its `=` padding and the ES256 signature
 * (raw r‖s) covers the padded text, so it is verified as received, never re-encoded. Cheap
 * header checks run first (algorithm, key id shape, signer, client, issuer, expiry) so that a
 * token from another ALB or with a hostile `kid` never causes a key fetch; then the signature
 * and the payload's `exp`/`nbf`/`iss` are checked by jose; then the identity is read.
 */
import { errors as joseErrors, jwtVerify } from 'jose';
import { TokenRejectedError } from './errors.ts';
import { canonicalEmail } from './identity.ts';
import { type KeySource, KID_PATTERN } from './public-keys.ts';

/** Who signed in, from a verified token. */
export interface VerifiedIdentity {
  /** The verified e-mail address in canonical form (identity.ts): the RBAC principal `user#<email>`. */
  readonly email: string;
  /** The token's issuer, which scopes `subject`. */
  readonly issuer?: string;
  /** The IdP's stable subject (`sub`) when it sends one: what session names are derived from. */
  readonly subject?: string;
  /** IdP groups from the configured claim: the RBAC principals `group#<name>`. */
  readonly groups: readonly string[];
}

export interface TokenVerifierOptions {
  readonly albArns: readonly string[];
  readonly issuer?: string;
  readonly clientId: string;
  readonly groupsClaim: string;
  readonly clockSkewSeconds: number;
  /**
   * Accept tokens whose `email_verified` is missing. Off by default: an address nobody proved
   * is not an identity to grant Airflow roles to. `email_verified: false` is refused always.
   */
  readonly allowUnverifiedEmail?: boolean;
  readonly keys: KeySource;
  /** Epoch milliseconds; injectable for tests. */
  readonly now?: () => number;
}

export interface TokenVerifier {
  /** Verify a token or throw TokenRejectedError (or UpstreamError when keys cannot be fetched). */
  verify(token: string | undefined): Promise<VerifiedIdentity>;
}

/** Whole token; the ALB itself fails above ~11 KB of claims, so anything larger is not from it. */
export const MAX_TOKEN_CHARS = 16 * 1024;
/** The ALB header is a few hundred bytes; a large one is an attack on the parser. */
export const MAX_HEADER_CHARS = 2048;
const MAX_GROUPS = 200;
const MAX_GROUP_CHARS = 256;
const SEGMENT = /^[A-Za-z0-9_-]+={0,2}$/;
/** OIDC allows up to 255 ASCII characters for `sub`. */
const MAX_SUBJECT_CHARS = 255;

function decodeHeader(segment: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(segment.replace(/=+$/, ''), 'base64url').toString('utf8'));
  } catch (cause) {
    throw new TokenRejectedError('malformed-header', { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TokenRejectedError('malformed-header');
  }
  return parsed as Record<string, unknown>;
}

function readGroups(value: unknown): string[] {
  const raw = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  const groups = new Set<string>();
  for (const item of raw) {
    if (typeof item !== 'string') continue;
    const group = item.trim();
    if (group !== '' && group.length <= MAX_GROUP_CHARS) groups.add(group);
    if (groups.size >= MAX_GROUPS) break;
  }
  return [...groups];
}

function joseReason(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'not-yet-valid';
    if (error.claim === 'iss') return 'wrong-issuer';
    return `invalid-claim-${error.claim.replace(/[^a-z_]/gi, '').slice(0, 20)}`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad-signature';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'unsupported-alg';
  return 'invalid-token';
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const now = options.now ?? Date.now;
  const signers = new Set(options.albArns);

  return {
    async verify(token) {
      if (token === undefined || token === '') throw new TokenRejectedError('missing-token');
      if (token.length > MAX_TOKEN_CHARS) throw new TokenRejectedError('token-too-large');
      const segments = token.split('.');
      if (segments.length !== 3 || !segments.every((s) => SEGMENT.test(s))) {
        throw new TokenRejectedError('malformed-token');
      }
      const [headerSegment = ''] = segments;
      if (headerSegment.length > MAX_HEADER_CHARS) throw new TokenRejectedError('header-too-large');
      const header = decodeHeader(headerSegment);
      if (header.alg !== 'ES256') throw new TokenRejectedError('unsupported-alg');
      if (typeof header.kid !== 'string' || !KID_PATTERN.test(header.kid)) {
        throw new TokenRejectedError('invalid-kid');
      }
      // Every ALB in a region signs with the same keys: only the signer ties a token to ours.
      if (typeof header.signer !== 'string' || !signers.has(header.signer)) {
        throw new TokenRejectedError('untrusted-signer');
      }
      if (header.client !== options.clientId) throw new TokenRejectedError('wrong-client');
      if (header.iss !== options.issuer) throw new TokenRejectedError('wrong-issuer');
      const nowSeconds = now() / 1000;
      if (typeof header.exp !== 'number' || header.exp + options.clockSkewSeconds < nowSeconds) {
        throw new TokenRejectedError('expired');
      }

      const key = await options.keys.get(header.kid);
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: ['ES256'],
          issuer: options.issuer,
          clockTolerance: options.clockSkewSeconds,
          currentDate: new Date(now()),
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        throw new TokenRejectedError(joseReason(error), { cause: error });
      }

      const canonical = canonicalEmail(typeof payload.email === 'string' ? payload.email : '');
      if ('problem' in canonical) {
        throw new TokenRejectedError(
          canonical.problem === 'not-normalized' ? 'email-not-normalized' : 'missing-email',
        );
      }
      const verified = payload.email_verified;
      const isVerified = verified === true || verified === 'true';
      if (!isVerified && !(verified === undefined && options.allowUnverifiedEmail === true)) {
        throw new TokenRejectedError('email-not-verified');
      }
      const subject =
        typeof payload.sub === 'string' && payload.sub !== '' && payload.sub.length <= MAX_SUBJECT_CHARS
          ? payload.sub
          : undefined;
      return {
        email: canonical.email,
        issuer: options.issuer,
        ...(subject !== undefined ? { subject } : {}),
        groups: readGroups(payload[options.groupsClaim]),
      };
    },
  };
}
