import { describe, expect, it } from '@jest/globals';
import { SUPPORTED_VERSIONS } from '../../../functions/shared/versions/matrix.ts';
import {
  isSupportedVersion,
  SUPPORTED_AIRFLOW_VERSIONS,
  versionChangeProblem,
} from '../../../local/mwaa/airflow/versions.ts';

describe('local MWAA versions (the emulator’s own mwaa-versions.json)', () => {
  it('accepts exactly the versions of the product’s airflow-versions.json, from its own data', () => {
    expect(SUPPORTED_AIRFLOW_VERSIONS).toEqual(SUPPORTED_VERSIONS.map((v) => v.version));
    expect(isSupportedVersion('2.10.3')).toBe(true);
    expect(isSupportedVersion('2.6.3')).toBe(false);
  });

  it.each([
    ['2.10.3', '2.11.0'],
    ['2.11.0', '2.9.2'],
    ['2.11.0', '3.0.6'],
    ['3.0.6', '2.11.0'],
    ['2.10.3', '2.10.3'],
  ])('lets UpdateEnvironment change %s to %s', (from, to) => {
    expect(versionChangeProblem(from, to)).toBeUndefined();
  });

  it.each([
    ['2.10.3', '3.0.6', 'upgrade to 2.11.0 first'],
    ['3.0.6', '2.10.3', 'only be downgraded to 2.11.x'],
    ['2.10.3', '2.6.3', 'end of support'],
  ])('refuses %s → %s with the reason the matrix gives too', (from, to, reason) => {
    expect(versionChangeProblem(from, to)).toContain(reason);
  });
});
