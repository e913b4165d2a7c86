import { describe, expect, it } from '@jest/globals';
import {
  endpointFor,
  mwaaClient,
  s3Client,
  sfnClient,
  shared,
  snsClient,
} from '../../../../functions/shared/aws-clients.ts';

describe('functions/shared/aws-clients', () => {
  it('prefers the service-specific endpoint variable over the global one', () => {
    const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:1', AWS_ENDPOINT_URL_MWAA: 'http://127.0.0.1:2' };
    expect(endpointFor('MWAA', env)).toBe('http://127.0.0.1:2');
    expect(endpointFor('S3', env)).toBe('http://127.0.0.1:1');
    expect(endpointFor('S3', {})).toBeUndefined();
  });

  it('disables MWAA host prefixes only when an endpoint override is in force', async () => {
    const local = mwaaClient({ AWS_ENDPOINT_URL_MWAA: 'http://127.0.0.1:4566', AWS_REGION: 'us-east-1' });
    expect(local.config.disableHostPrefix).toBe(true);
    const endpoint = await local.config.endpoint?.();
    expect(endpoint?.hostname).toBe('127.0.0.1');
    expect(mwaaClient({}).config.disableHostPrefix).toBe(false);
  });

  it('uses path-style S3 addressing against an override and virtual-host style on AWS', () => {
    expect(s3Client({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' }).config.forcePathStyle).toBe(true);
    expect(s3Client({}).config.forcePathStyle).toBe(false);
  });

  it('creates each client once per container', () => {
    expect(shared(sfnClient)).toBe(shared(sfnClient));
    expect(shared(sfnClient)).not.toBe(shared(snsClient));
  });
});
