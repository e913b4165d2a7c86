/**
 * The Airflow version matrix (airflow-versions.json): which versions MWAA runs and which
 * in-place changes it allows. Pure functions; the JSON is the single source of truth.
 */
import data from './airflow-versions.json' with { type: 'json' };

export interface SupportedVersion {
  version: string;
  python: string;
  endOfSupport: string | null;
}

export interface VersionChangeCheck {
  from: string;
  to: string;
  allowed: boolean;
  /** Why a change is refused, in words an operator can act on. */
  reason?: string;
  /** What to watch out for when it is allowed. */
  note?: string;
  kind?: 'upgrade' | 'downgrade' | 'none';
  /** The --constraint line requirements.txt needs for the target version. */
  constraintsUrl?: string;
}

export const SUPPORTED_VERSIONS: readonly SupportedVersion[] = data.versions;
export const VERSION_MATRIX_CHECKED_AT = data.checkedAt;

export function isSupportedVersion(version: string): boolean {
  return SUPPORTED_VERSIONS.some((v) => v.version === version);
}

function numbers(version: string): number[] {
  return version.split('.').map((part) => Number.parseInt(part, 10));
}

export function compare(a: string, b: string): number {
  const [x, y] = [numbers(a), numbers(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/** `2.*`, `2.11.*`, `*` or an exact version. */
function matches(pattern: string, version: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return version.startsWith(pattern.slice(0, -1));
  return pattern === version;
}

export function constraintsUrl(version: string): string | undefined {
  const entry = SUPPORTED_VERSIONS.find((v) => v.version === version);
  if (!entry) return undefined;
  return data.requirements.constraintsUrl
    .replace('{version}', entry.version)
    .replace('{python}', entry.python);
}

/** Is changing an environment from `from` to `to` in place allowed, and what does it take? */
export function checkVersionChange(from: string, to: string): VersionChangeCheck {
  if (from === to) {
    return { from, to, allowed: false, kind: 'none', reason: `the environment already runs Airflow ${to}` };
  }
  const retired = data.retired.find((r) => r.version === to);
  if (retired) return { from, to, allowed: false, reason: `Airflow ${to}: ${retired.reason}` };
  if (!isSupportedVersion(to)) {
    return {
      from,
      to,
      allowed: false,
      reason: `Airflow ${to} is not a version MWAA supports (supported: ${SUPPORTED_VERSIONS.map((v) => v.version).join(', ')})`,
    };
  }
  const kind = compare(to, from) > 0 ? 'upgrade' : 'downgrade';
  const rule = data.changes.find((r) => matches(r.from, from) && matches(r.to, to));
  if (!rule?.allowed) {
    return {
      from,
      to,
      kind,
      allowed: false,
      reason: rule?.reason ?? `MWAA does not change Airflow ${from} to ${to} in place`,
    };
  }
  return { from, to, kind, allowed: true, note: rule.note, constraintsUrl: constraintsUrl(to) };
}

/** Every supported version an environment on `from` may move to, with the check for each. */
export function allowedChangesFrom(from: string): VersionChangeCheck[] {
  return SUPPORTED_VERSIONS.map((v) => checkVersionChange(from, v.version)).filter((c) => c.allowed);
}
