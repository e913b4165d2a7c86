/**
 * The Airflow versions the local MWAA accepts and what differs between them. The project will
 * later keep the supported versions and allowed upgrades in one data file; until then this is
 * the single place the emulator reads them from.
 */

/** Airflow versions MWAA offers, oldest first. */
export const SUPPORTED_AIRFLOW_VERSIONS = [
  '2.7.2',
  '2.8.1',
  '2.9.2',
  '2.10.1',
  '2.10.3',
  '2.11.0',
  '3.0.6',
] as const;

/** What CreateEnvironment uses when the request names no version (MWAA picks a recent 2.x). */
export const DEFAULT_AIRFLOW_VERSION = '2.11.0';

/** InvokeRestApi needs an environment on this Airflow version or later. */
export const MIN_INVOKE_REST_API_VERSION = '2.4.3';

export interface AirflowFlavor {
  version: string;
  major: 2 | 3;
  /** REST API root this version serves (`/api/v1` on 2.x, `/api/v2` on 3.x). */
  apiPrefix: '/api/v1' | '/api/v2';
}

export function isSupportedVersion(version: string): boolean {
  return (SUPPORTED_AIRFLOW_VERSIONS as readonly string[]).includes(version);
}

export function flavorOf(version: string): AirflowFlavor {
  const major = Number(version.split('.')[0]) >= 3 ? 3 : 2;
  return { version, major, apiPrefix: major === 3 ? '/api/v2' : '/api/v1' };
}

/** Numeric comparison of dotted versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * MWAA's in-place version change rules (user guide): within a major version up or down; 2.x to
 * 3.x only from 2.11.x; 3.x back only to 2.11.x. Returns why a change is refused, or undefined.
 */
export function versionChangeProblem(from: string, to: string): string | undefined {
  if (from === to) return undefined;
  const a = flavorOf(from);
  const b = flavorOf(to);
  if (a.major === b.major) return undefined;
  const elevenX = (v: string) => v.startsWith('2.11.');
  if (a.major === 2 && !elevenX(from))
    return `Upgrading from Airflow ${from} to ${to} is not supported; upgrade to 2.11 first.`;
  if (b.major === 2 && !elevenX(to)) return `Airflow ${from} can only be changed back to 2.11.x, not ${to}.`;
  return undefined;
}
