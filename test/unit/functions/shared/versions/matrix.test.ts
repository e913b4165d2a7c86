import { describe, expect, it } from '@jest/globals';
import {
  allowedChangesFrom,
  checkVersionChange,
  constraintsUrl,
  SUPPORTED_VERSIONS,
} from '../../../../../functions/shared/versions/matrix.ts';

describe('Airflow version matrix', () => {
  it('lists every version in scope', () => {
    expect(SUPPORTED_VERSIONS.map((v) => v.version)).toEqual([
      '2.7.2',
      '2.8.1',
      '2.9.2',
      '2.10.1',
      '2.10.3',
      '2.11.0',
      '3.0.6',
    ]);
  });

  it('allows minor upgrades and downgrades within a major', () => {
    expect(checkVersionChange('2.10.3', '2.11.0')).toMatchObject({ allowed: true, kind: 'upgrade' });
    expect(checkVersionChange('2.11.0', '2.9.2')).toMatchObject({ allowed: true, kind: 'downgrade' });
  });

  it('allows 2.11 → 3.x and 3.x → 2.11 only', () => {
    expect(checkVersionChange('2.11.0', '3.0.6')).toMatchObject({ allowed: true, kind: 'upgrade' });
    expect(checkVersionChange('2.10.3', '3.0.6')).toMatchObject({
      allowed: false,
      reason: 'an upgrade to Airflow 3 must start from 2.11.x: upgrade to 2.11.0 first',
    });
    expect(checkVersionChange('3.0.6', '2.11.0')).toMatchObject({ allowed: true, kind: 'downgrade' });
    expect(checkVersionChange('3.0.6', '2.10.3').allowed).toBe(false);
  });

  it('refuses unknown, retired and identical versions with a reason', () => {
    expect(checkVersionChange('2.10.3', '2.12.0').reason).toContain('is not a version MWAA supports');
    expect(checkVersionChange('2.7.2', '2.6.3').reason).toBe(
      'Airflow 2.6.3: end of support on MWAA: 2025-12-30',
    );
    expect(checkVersionChange('2.10.3', '1.10.12').allowed).toBe(false);
    expect(checkVersionChange('2.10.3', '2.10.3')).toMatchObject({
      allowed: false,
      kind: 'none',
      reason: 'the environment already runs Airflow 2.10.3',
    });
  });

  it('names the requirements constraint for the target', () => {
    expect(constraintsUrl('2.11.0')).toBe(
      'https://raw.githubusercontent.com/apache/airflow/constraints-2.11.0/constraints-3.11.txt',
    );
    expect(checkVersionChange('2.11.0', '3.0.6').constraintsUrl).toContain(
      'constraints-3.0.6/constraints-3.12.txt',
    );
  });

  it('lists allowed targets from a version', () => {
    expect(allowedChangesFrom('2.10.3').map((c) => c.to)).toEqual([
      '2.7.2',
      '2.8.1',
      '2.9.2',
      '2.10.1',
      '2.11.0',
    ]);
    expect(allowedChangesFrom('3.0.6').map((c) => c.to)).toEqual(['2.11.0']);
  });
});
