/**
 * The emulated transfer DAGs' pure rules (local/mwaa/transfer-acceptance.ts): the task token is
 * blanked in exported `dag_run.conf`, and the configuration comes from the environment's
 * AirflowConfigurationOptions before the local cloud's defaults (blank = unset, as in
 * dags/mwaa_ops/acceptance.py).
 */
import { describe, expect, it } from '@jest/globals';
import { blankTaskToken, settingsFrom } from '../../../mwaa/transfer-acceptance.ts';

describe('emulated transfer DAG rules', () => {
  it('blanks the task token in a run conf and leaves everything else as stored', () => {
    expect(JSON.parse(String(blankTaskToken('{"task_token":"AAAA","environment":"dev","n":[1]}')))).toEqual({
      task_token: '',
      environment: 'dev',
      n: [1],
    });
    const plain = '{"i": 1}';
    expect(blankTaskToken(plain)).toBe(plain);
    expect(blankTaskToken(null)).toBeNull();
    expect(blankTaskToken('not json')).toBe('not json');
  });

  it("reads mwaa_ops.* from the environment's options before the defaults; blank is unset", () => {
    const defaults = { stackName: 'mwaa-ops', backupBucket: 'bucket' };
    expect(settingsFrom('dev', {}, defaults)).toMatchObject({ environment: 'dev', ...defaults });
    expect(settingsFrom('dev', { 'mwaa_ops.backup_bucket': 'other' }, defaults).backupBucket).toBe('other');
    expect(settingsFrom('dev', { 'mwaa_ops.stack_name': ' ' }, defaults).stackName).toBeUndefined();
  });
});
