import { describe, expect, it } from '@jest/globals';
import { ShellSyntaxError, shellWords } from '../../../mwaa/airflow/shell-words.ts';
import { iamIdentityOf, resolveIdentity, roleFromRoleName } from '../../../mwaa/identity.ts';

describe('Function: shellWords', () => {
  it('keeps single-quoted JSON as one word', () => {
    expect(shellWords(`dags trigger d -c '{"a": "b c"}' -o json`)).toEqual([
      'dags',
      'trigger',
      'd',
      '-c',
      '{"a": "b c"}',
      '-o',
      'json',
    ]);
  });

  it('honours double quotes, escapes and adjacent quoted parts', () => {
    expect(shellWords(`a "b \\"c\\" d" e\\ f g'h i'"j"`)).toEqual(['a', 'b "c" d', 'e f', 'gh ij']);
    expect(shellWords(`x '' "" y`)).toEqual(['x', '', '', 'y']);
  });

  it('rejects unterminated quotes', () => {
    expect(() => shellWords(`dags trigger 'oops`)).toThrow(ShellSyntaxError);
    expect(() => shellWords(`dags trigger "oops`)).toThrow(ShellSyntaxError);
  });
});

describe('Function: resolveIdentity', () => {
  it('names the Airflow user after the IAM session and takes the role from the role name', () => {
    const identity = resolveIdentity('ASIA1', {
      identityForAccessKey: () => 'arn:aws:sts::123456789012:assumed-role/prod-airflow-Viewer/bob',
    });
    expect(identity).toEqual({
      iamIdentity: 'assumed-role/prod-airflow-Viewer/bob',
      airflowUser: 'assumed-role/prod-airflow-Viewer/bob',
      airflowRole: 'Viewer',
    });
  });

  it('prefers an explicit role and falls back to Public for unrecognised role names', () => {
    const arn = 'arn:aws:sts::123456789012:assumed-role/SomeRole/carol';
    expect(resolveIdentity('k', { identityForAccessKey: () => arn }).airflowRole).toBe('Public');
    expect(
      resolveIdentity('k', { identityForAccessKey: () => arn, roleForAccessKey: () => 'Op' }).airflowRole,
    ).toBe('Op');
    expect(resolveIdentity('k', {}).airflowRole).toBe('Admin');
  });

  it('parses identities and role suffixes exactly', () => {
    expect(iamIdentityOf('arn:aws:iam::123456789012:user/alice')).toBe('user/alice');
    expect(roleFromRoleName('env-Op')).toBe('Op');
    expect(roleFromRoleName('Operator')).toBeUndefined();
    expect(roleFromRoleName('AirflowViewer')).toBe('Viewer');
  });
});
