/**
 * The Airflow versions the local MWAA accepts and what differs between them. The facts come from
 * the emulator's own data, mwaa-versions.json (written from the MWAA user guide), never from the
 * product's version matrix: the upgrade workflow validates a change with its matrix and then asks
 * this emulator, so a mistake on either side makes an integration test fail instead of being
 * shared (test/unit/emulator-agreement/versions-and-backup-format.test.ts compares the two directly).
 */
import data from './mwaa-versions.json' with { type: 'json' };

/** Airflow versions MWAA offers, oldest first. */
export const SUPPORTED_AIRFLOW_VERSIONS: readonly string[] = data.offered;

/** What CreateEnvironment uses when the request names no version (see mwaa-versions.json). */
export const DEFAULT_AIRFLOW_VERSION: string = data.default.version;

/** InvokeRestApi needs an environment on this Airflow version or later. */
export const MIN_INVOKE_REST_API_VERSION = '2.4.3';

export interface AirflowFlavor {
  version: string;
  major: 2 | 3;
  /** REST API root this version serves (`/api/v1` on 2.x, `/api/v2` on 3.x). */
  apiPrefix: '/api/v1' | '/api/v2';
}

export function isSupportedVersion(version: string): boolean {
  return SUPPORTED_AIRFLOW_VERSIONS.includes(version);
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

interface AcrossMajors {
  from: number;
  to: number;
  /** Only environments on this minor line may cross (2.x → 3.x only from 2.11.x). */
  fromLine?: string;
  /** Crossing lands only on this minor line (3.x → 2.x only to 2.11.x). */
  toLine?: string;
}

const ACROSS: readonly AcrossMajors[] = data.inPlaceChanges.acrossMajors;
const NEVER: readonly number[] = data.inPlaceChanges.neverMajors;

const majorOf = (version: string) => Number(version.split('.')[0]);
/** `1.10.12` → `1.10`. */
const lineOf = (version: string) => version.split('.').slice(0, 2).join('.');
const onLine = (version: string, line: string) => lineOf(version) === line;
const newestOn = (line: string) =>
  [...SUPPORTED_AIRFLOW_VERSIONS]
    .filter((v) => onLine(v, line))
    .sort(compareVersions)
    .at(-1) ?? `${line}.x`;

/** Why MWAA refuses to change `from` to `to` in place, or undefined when it does it. */
function refusal(from: string, to: string): string | undefined {
  const gone = data.noLongerOffered.find((v) => v.version === to);
  if (gone) {
    if (gone.endOfSupport) return `Airflow ${to}: end of support on MWAA: ${gone.endOfSupport}`;
    if (NEVER.includes(majorOf(to)))
      return `Airflow ${to}: MWAA does not create or downgrade to Airflow ${lineOf(to)}`;
    return `Airflow ${to}: no longer supported by MWAA`;
  }
  if (!isSupportedVersion(to))
    return `Airflow ${to} is not a version MWAA supports (supported: ${SUPPORTED_AIRFLOW_VERSIONS.join(', ')})`;
  if (NEVER.includes(majorOf(from)))
    return `Airflow ${lineOf(from)} cannot be upgraded in place; create a new environment and migrate`;
  if (NEVER.includes(majorOf(to))) return `MWAA does not create or downgrade to Airflow ${lineOf(to)}`;
  // Within a major version every minor and patch change is allowed, up or down.
  if (majorOf(from) === majorOf(to)) return undefined;
  const path = ACROSS.find((p) => p.from === majorOf(from) && p.to === majorOf(to));
  if (!path) return `MWAA does not change Airflow ${from} to ${to} in place`;
  if (path.fromLine && !onLine(from, path.fromLine))
    return `an upgrade to Airflow ${path.to} must start from ${path.fromLine}.x: upgrade to ${newestOn(path.fromLine)} first`;
  if (path.toLine && !onLine(to, path.toLine))
    return `Airflow ${path.from} can only be downgraded to ${path.toLine}.x`;
  return undefined;
}

/**
 * MWAA's in-place version change rules: within a major version up or down; 2.x to 3.x only from
 * 2.11.x; 3.x back only to 2.11.x; never to or from 1.10. Returns why a change is refused (as
 * UpdateEnvironment's ValidationException says it), or undefined when it is allowed or no change
 * at all.
 */
export function versionChangeProblem(from: string, to: string): string | undefined {
  if (from === to) return undefined;
  const reason = refusal(from, to);
  return reason === undefined ? undefined : `Airflow ${from} cannot be changed to ${to} in place: ${reason}.`;
}
