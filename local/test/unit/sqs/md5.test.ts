import { describe, expect, it } from '@jest/globals';
import { md5Hex, md5OfAttributes } from '../../../sqs/md5.ts';

describe('Function: md5OfAttributes', () => {
  // Expected digests as published by other SQS implementations that verify against AWS.
  it('matches the digest SQS computes for one string attribute', () => {
    expect(md5OfAttributes({ SellerName: { DataType: 'String', StringValue: 'Example Store' } })).toBe(
      'cd28f3b68aeee4b2eac9c66f2f694b58',
    );
  });

  it('sorts attributes by name and encodes numbers as strings', () => {
    expect(
      md5OfAttributes({
        ordinal: { DataType: 'Number', StringValue: '1' },
        category: { DataType: 'String', StringValue: 'test' },
      }),
    ).toBe('d21ae90c49061e927f57df5f5d72be1f');
  });

  it('has no digest for no attributes', () => {
    expect(md5OfAttributes({})).toBeUndefined();
  });

  it('hashes bodies as UTF-8', () => {
    expect(md5Hex('hello')).toBe('5d41402abc4b2a76b9719d911017c592');
  });
});
