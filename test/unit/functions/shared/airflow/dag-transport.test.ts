import { describe, expect, it } from '@jest/globals';
import type { EnvironmentInfo } from '../../../../../functions/shared/airflow/client.ts';
import {
  chooseTransport,
  type DagTransport,
  MAX_REST_PATH,
  restPaths,
} from '../../../../../functions/shared/airflow/dag-transport.ts';

const transport = (kind: 'rest' | 'cli') => ({ kind }) as DagTransport;
const transports = { rest: transport('rest'), cli: transport('cli') };
const env = (version: string, kind: 'rest' | 'cli'): EnvironmentInfo => ({
  name: 'dev',
  airflowVersion: version,
  apiVersion: version.startsWith('3.') ? 'v2' : 'v1',
  transport: kind,
});

describe('Function: chooseTransport', () => {
  it('uses REST on an InvokeRestApi environment while the path fits 64 characters, the CLI beyond', () => {
    const fits = `/${'a'.repeat(MAX_REST_PATH - 1)}`;
    expect(fits).toHaveLength(64);
    expect(chooseTransport(env('2.10.3', 'rest'), fits, transports).kind).toBe('rest');
    expect(chooseTransport(env('2.10.3', 'rest'), `${fits}b`, transports).kind).toBe('cli');
  });

  it('uses the CLI for every call on an environment without InvokeRestApi, however short the path', () => {
    expect(chooseTransport(env('2.2.2', 'cli'), '/dags/x', transports).kind).toBe('cli');
  });
});

describe('restPaths', () => {
  it('encodes DAG and run ids, so a run id with + or : stays one path segment', () => {
    expect(restPaths.dag('etl/daily')).toBe('/dags/etl%2Fdaily');
    expect(restPaths.runs('etl')).toBe('/dags/etl/dagRuns');
    expect(restPaths.run('etl', 's3:2026-01-01T00:00:00+00:00')).toBe(
      '/dags/etl/dagRuns/s3%3A2026-01-01T00%3A00%3A00%2B00%3A00',
    );
  });
});
