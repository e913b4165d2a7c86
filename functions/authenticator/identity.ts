/**
 * Who a person is, in one canonical form shared by the authenticator and the `rbac` CLI.
 *
 * Grants are keyed by e-mail (`user#<email>`), so two different addresses must never fold onto
 * one key. `String.prototype.toLowerCase` folds some non-ASCII letters onto ASCII ones (the
 * Kelvin sign U+212A becomes `k`), which let an IdP account `\u212Aate@corp.example` inherit the
 * grant of `kate@corp.example`. The rules here:
 *
 * - an address that NFKC normalisation would change is refused, not normalised: compatibility
 *   characters (Kelvin sign, full-width letters, ligatures) are how look-alike addresses are
 *   built, and a real IdP has no reason to issue them;
 * - only ASCII letters are case-folded (RFC 5321 local parts are case-sensitive in theory, but
 *   every IdP we target treats ASCII case as insignificant); other characters are kept exactly,
 *   so a grant for a non-ASCII address matches that address only.
 *
 * Role session names (which become the Airflow user name and the CloudTrail identity) are a
 * readable prefix of the address plus a hash of the stable identity: issuer + `sub` when the IdP
 * sends one, else the canonical address. Two people can then never share a session name or a
 * cached credential, even when sanitising or truncating their addresses gives the same prefix.
 */
import { createHash } from 'node:crypto';

const EMAIL = /^[^\s@<>"'`]+@[^\s@<>"'`]+$/;
const MAX_EMAIL_CHARS = 254;
/** STS: `[\w+=,.@-]`, 2 to 64 characters, for both RoleSessionName and SourceIdentity. */
const SESSION_NAME_CHARS = /[^\w+=,.@-]/g;
const MAX_SESSION_NAME = 64;
const HASH_CHARS = 16;

export type EmailProblem = 'missing' | 'malformed' | 'not-normalized';

/** The canonical form of an address, or why it has none. */
export function canonicalEmail(raw: string): { email: string } | { problem: EmailProblem } {
  const trimmed = raw.trim();
  if (trimmed === '') return { problem: 'missing' };
  if (trimmed.length > MAX_EMAIL_CHARS || !EMAIL.test(trimmed)) return { problem: 'malformed' };
  if (trimmed.normalize('NFKC') !== trimmed) return { problem: 'not-normalized' };
  return { email: foldAsciiCase(trimmed) };
}

/** Lower-case ASCII letters only; every other character is kept as it is. */
export function foldAsciiCase(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** The stable identity: issuer + subject when the IdP gives a subject, else the address. */
export interface IdentityKeySource {
  readonly email: string;
  readonly issuer?: string;
  readonly subject?: string;
}

/** A string no two people share: what credentials are cached under and what the hash covers. */
export function identityKey(identity: IdentityKeySource): string {
  return identity.subject !== undefined && identity.subject !== ''
    ? `sub\u0000${identity.issuer ?? ''}\u0000${identity.subject}`
    : `email\u0000${identity.email}`;
}

/**
 * `<16 hex characters of SHA-256(identity key)>.<readable address>`, at most 64 characters: the
 * address with characters STS refuses replaced by `-`, cut to fit. The hash makes the name
 * unique per person (64 bits); the address is only for people reading logs. The hash comes
 * first because MWAA's Airflow user name (`assumed-role/<role>/<session>`) is cut at
 * {@link MAX_AIRFLOW_USER} characters: whatever is cut, the part that tells people apart stays.
 */
export function sessionNameFor(identity: IdentityKeySource): string {
  const hash = createHash('sha256').update(identityKey(identity)).digest('hex').slice(0, HASH_CHARS);
  const readable = identity.email
    .replace(SESSION_NAME_CHARS, '-')
    .slice(0, MAX_SESSION_NAME - HASH_CHARS - 1);
  return `${hash}.${readable}`;
}

/** CreateWebLoginToken's AirflowIdentity is at most 64 characters (MWAA API reference). */
export const MAX_AIRFLOW_USER = 64;

/**
 * Whether Airflow user names made with this login role still tell people apart: the role part
 * `assumed-role/<role name>/` must leave room for the whole hash.
 */
export function roleNameLeavesRoomForHash(roleName: string): boolean {
  return `assumed-role/${roleName}/`.length + HASH_CHARS <= MAX_AIRFLOW_USER;
}
