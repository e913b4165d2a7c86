import { describe, expect, it } from '@jest/globals';
import { SecretsNotExportableError } from '../../../../functions/metadata-transfer/errors.ts';
import { parseSecrets, secretsRunId } from '../../../../functions/metadata-transfer/secrets-task.ts';

const file = (connections: unknown[], variables: unknown[] = [], format = 1) =>
  JSON.stringify({ format, connections, variables });

describe('Function: metadata-transfer secrets task (Airflow 3)', () => {
  it('reads back exactly the connections and variables asked for', () => {
    const secrets = parseSecrets(
      file(
        [{ connection_id: 'wh', conn_type: 'postgres', password: 'p', port: 5432, extra: '{"a":1}' }],
        [{ key: 'k', value: 'v' }],
      ),
      ['wh'],
      ['k'],
    );
    expect(secrets.connections.get('wh')).toMatchObject({
      password: 'p',
      port: 5432,
      extra: '{"a":1}',
      host: null,
    });
    expect(secrets.variables.get('k')).toBe('v');
  });

  it.each([
    ['a missing connection', file([]), ['wh'], []],
    ['an extra variable', file([{ connection_id: 'wh' }], [{ key: 'x', value: 'secret-x' }]), ['wh'], []],
    ['another format', file([{ connection_id: 'wh' }], [], 2), ['wh'], []],
    ['not JSON', '{', ['wh'], []],
  ])('refuses %s without quoting a value', (_what, json, ids, keys) => {
    let caught: unknown;
    try {
      parseSecrets(json, ids, keys);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SecretsNotExportableError);
    expect(String((caught as Error).message)).not.toContain('secret-x');
  });

  it('derives the run id from the backup id, so a retried export finds its run', () => {
    expect(secretsRunId('20261203T120000Z-abc')).toBe('mwaa_ops_export_secrets__20261203T120000Z-abc');
  });
});
