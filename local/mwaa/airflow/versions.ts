/**
 * The Airflow versions the local MWAA accepts and what differs between them. The versions and
 * the allowed in-place changes come from the project's version matrix
 * (functions/shared/versions/airflow-versions.json), the same data the upgrade workflow, the CLI
 * and docs/upgrades.md read, so the emulator cannot drift from them.
 */
import { checkVersionChange, SUPPORTED_VERSIONS } from '../../../functions/shared/versions/matrix.ts';

/** Airflow versions MWAA offers, oldest first (from the version matrix). */
export const SUPPORTED_AIRFLOW_VERSIONS: readonly string[] = SUPPORTED_VERSIONS.map((v) => v.version);

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
 * MWAA's in-place version change rules, from the version matrix: within a major version up or
 * down; 2.x to 3.x only from 2.11.x; 3.x back only to 2.11.x. Returns why a change is refused
 * (as UpdateEnvironment's ValidationException says it), or undefined when it is allowed or no
 * change at all.
 */
export function versionChangeProblem(from: string, to: string): string | undefined {
  const check = checkVersionChange(from, to);
  if (check.allowed || check.kind === 'none') return undefined;
  return `Airflow ${from} cannot be changed to ${to} in place: ${check.reason}.`;
}
