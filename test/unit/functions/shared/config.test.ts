import { describe, expect, it } from '@jest/globals';
import {
  boolean,
  integer,
  optionalString,
  requiredString,
  stringList,
  url,
} from '../../../../functions/shared/config.ts';
import { ConfigError } from '../../../../functions/shared/errors.ts';

describe('functions/shared/config', () => {
  it('returns a required value, trimmed', () => {
    expect(requiredString({ TABLE: '  flows  ' }, 'TABLE')).toBe('flows');
  });

  it('names the variable when a required value is missing or blank', () => {
    for (const env of [{}, { TABLE: '' }, { TABLE: '   ' }]) {
      expect(() => requiredString(env, 'TABLE')).toThrow(ConfigError);
      expect(() => requiredString(env, 'TABLE')).toThrow(
        'Environment variable TABLE is required but is not set',
      );
    }
  });

  it('falls back to the default for optional values', () => {
    expect(optionalString({}, 'X', 'dflt')).toBe('dflt');
    expect(optionalString({ X: 'set' }, 'X', 'dflt')).toBe('set');
  });

  it('splits comma-separated lists and drops empty items', () => {
    expect(stringList({ ARNS: ' a, b ,,c ' }, 'ARNS', { required: true })).toEqual(['a', 'b', 'c']);
    expect(stringList({}, 'ARNS', { required: false })).toEqual([]);
    expect(() => stringList({ ARNS: ' , ' }, 'ARNS', { required: true })).toThrow(
      'Environment variable ARNS must list at least one value',
    );
  });

  it('parses bounded integers and rejects junk or out-of-range values', () => {
    expect(integer({}, 'N', 5, { min: 1, max: 10 })).toBe(5);
    expect(integer({ N: '7' }, 'N', 5, { min: 1, max: 10 })).toBe(7);
    expect(() => integer({ N: '7s' }, 'N', 5, { min: 1, max: 10 })).toThrow('N must be an integer, got "7s"');
    expect(() => integer({ N: '11' }, 'N', 5, { min: 1, max: 10 })).toThrow(
      'N must be between 1 and 10, got 11',
    );
  });

  it('parses booleans strictly', () => {
    expect(boolean({ B: 'TRUE' }, 'B', false)).toBe(true);
    expect(boolean({ B: 'false' }, 'B', true)).toBe(false);
    expect(boolean({}, 'B', true)).toBe(true);
    expect(() => boolean({ B: 'yes' }, 'B', true)).toThrow('B must be "true" or "false", got "yes"');
  });

  it('accepts absolute http(s) URLs without a trailing slash and rejects others', () => {
    expect(url({ U: 'https://keys.example.com/' }, 'U')).toBe('https://keys.example.com');
    expect(url({}, 'U', 'http://127.0.0.1:9000')).toBe('http://127.0.0.1:9000');
    expect(() => url({ U: 'keys.example.com' }, 'U')).toThrow('U must be an absolute URL');
    expect(() => url({ U: 'file:///etc/passwd' }, 'U')).toThrow('U must be an http(s) URL');
    expect(() => url({}, 'U')).toThrow('Environment variable U is required');
  });
});
