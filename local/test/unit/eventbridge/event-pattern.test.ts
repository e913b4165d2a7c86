import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  compileEventPattern,
  InvalidEventPatternError,
  matchesEventPattern,
} from '../../../eventbridge/event-pattern.ts';

const sfnEvent = {
  version: '0',
  id: '315c1398-40ff-a850-213b-158f73e60175',
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  account: '000000000000',
  time: '2026-11-26T12:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:states:us-east-1:000000000000:execution:Pause:run-1'],
  detail: {
    executionArn: 'arn:aws:states:us-east-1:000000000000:execution:Pause:run-1',
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Pause',
    status: 'FAILED',
    startDate: 1_764_158_400_000,
    stopDate: null,
    tags: ['ops', 'nightly'],
    environment: { name: 'prod-airflow', size: 3, ip: '10.0.12.7' },
  },
};

const matches = (pattern: Record<string, unknown>, event: Record<string, unknown> = sfnEvent) =>
  matchesEventPattern(pattern, event);

describe('Function: compileEventPattern', () => {
  describe('exact values', () => {
    it('matches when every field matches one of its listed values', () => {
      expect(
        matches({ source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'] }),
      ).toBe(true);
      expect(matches({ detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] } })).toBe(true);
    });

    it('does not match when any field differs', () => {
      expect(matches({ source: ['aws.states'], detail: { status: ['SUCCEEDED'] } })).toBe(false);
      expect(matches({ source: ['aws.s3'] })).toBe(false);
    });

    it('is case-sensitive and does not confuse strings with numbers', () => {
      expect(matches({ detail: { status: ['failed'] } })).toBe(false);
      expect(matches({ detail: { environment: { size: ['3'] } } })).toBe(false);
      expect(matches({ detail: { environment: { size: [3] } } })).toBe(true);
    });

    it('matches null only against a null value', () => {
      expect(matches({ detail: { stopDate: [null] } })).toBe(true);
      expect(matches({ detail: { status: [null] } })).toBe(false);
    });

    it('matches an array in the event when any element matches', () => {
      expect(matches({ detail: { tags: ['nightly'] } })).toBe(true);
      expect(matches({ detail: { tags: ['weekly'] } })).toBe(false);
      expect(matches({ resources: [{ prefix: 'arn:aws:states:' }] })).toBe(true);
    });

    it('requires nested objects to match at every level', () => {
      expect(matches({ detail: { environment: { name: ['prod-airflow'] } } })).toBe(true);
      expect(matches({ detail: { environment: { name: ['dev-airflow'] } } })).toBe(false);
      // A pattern object where the event has a scalar cannot match.
      expect(matches({ detail: { status: { nested: ['x'] } } })).toBe(false);
    });

    it('never matches a field the event does not have', () => {
      expect(matches({ detail: { missing: ['x'] } })).toBe(false);
      expect(matches({ detail: { missing: [{ 'anything-but': 'x' }] } })).toBe(false);
      expect(matches({ detail: { missing: [{ prefix: '' }] } })).toBe(false);
    });
  });

  describe('content filters', () => {
    it('prefix and suffix, optionally ignoring case', () => {
      expect(matches({ detail: { environment: { name: [{ prefix: 'prod-' }] } } })).toBe(true);
      expect(matches({ detail: { environment: { name: [{ prefix: 'PROD-' }] } } })).toBe(false);
      expect(
        matches({ detail: { environment: { name: [{ prefix: { 'equals-ignore-case': 'PROD-' } }] } } }),
      ).toBe(true);
      expect(matches({ detail: { environment: { name: [{ suffix: '-airflow' }] } } })).toBe(true);
      expect(
        matches({ detail: { environment: { name: [{ suffix: { 'equals-ignore-case': '-AIRFLOW' } }] } } }),
      ).toBe(true);
      expect(matches({ detail: { environment: { name: [{ suffix: '-dags' }] } } })).toBe(false);
    });

    it('prefix never matches numbers', () => {
      expect(matches({ detail: { environment: { size: [{ prefix: '3' }] } } })).toBe(false);
    });

    it('anything-but with a value, a list, and nested prefix/suffix/wildcard/equals-ignore-case', () => {
      expect(matches({ detail: { status: [{ 'anything-but': 'SUCCEEDED' }] } })).toBe(true);
      expect(matches({ detail: { status: [{ 'anything-but': ['SUCCEEDED', 'FAILED'] }] } })).toBe(false);
      expect(matches({ detail: { environment: { size: [{ 'anything-but': [1, 2] }] } } })).toBe(true);
      expect(matches({ detail: { environment: { size: [{ 'anything-but': 3 }] } } })).toBe(false);
      expect(matches({ detail: { status: [{ 'anything-but': { prefix: 'FAIL' } }] } })).toBe(false);
      expect(matches({ detail: { status: [{ 'anything-but': { suffix: 'ED' } }] } })).toBe(false);
      expect(matches({ detail: { status: [{ 'anything-but': { wildcard: 'F*D' } }] } })).toBe(false);
      expect(matches({ detail: { status: [{ 'anything-but': { wildcard: 'S*D' } }] } })).toBe(true);
      expect(
        matches({ detail: { status: [{ 'anything-but': { 'equals-ignore-case': ['failed'] } }] } }),
      ).toBe(false);
      expect(matches({ detail: { status: [{ 'anything-but': { 'equals-ignore-case': 'running' } }] } })).toBe(
        true,
      );
    });

    it('exists true / false', () => {
      expect(matches({ detail: { status: [{ exists: true }] } })).toBe(true);
      expect(matches({ detail: { missing: [{ exists: false }] } })).toBe(true);
      expect(matches({ detail: { missing: [{ exists: true }] } })).toBe(false);
      expect(matches({ detail: { status: [{ exists: false }] } })).toBe(false);
      // null is a value, so the field exists.
      expect(matches({ detail: { stopDate: [{ exists: true }] } })).toBe(true);
    });

    it('an empty array in the event counts as absent', () => {
      const event = { ...sfnEvent, resources: [] };
      expect(matches({ resources: [{ exists: false }] }, event)).toBe(true);
      expect(matches({ resources: [{ exists: true }] }, event)).toBe(false);
    });

    it('numeric ranges and equality', () => {
      expect(matches({ detail: { environment: { size: [{ numeric: ['>', 0, '<=', 3] }] } } })).toBe(true);
      expect(matches({ detail: { environment: { size: [{ numeric: ['>', 3] }] } } })).toBe(false);
      expect(matches({ detail: { environment: { size: [{ numeric: ['=', 3] }] } } })).toBe(true);
      expect(matches({ detail: { environment: { size: [{ numeric: ['>=', 3, '<', 4] }] } } })).toBe(true);
      expect(matches({ detail: { startDate: [{ numeric: ['<', 1_000] }] } })).toBe(false);
      // numeric never matches strings, even numeric-looking ones.
      expect(matches({ detail: { v: [{ numeric: ['=', 3] }] } }, { detail: { v: '3' } })).toBe(false);
    });

    it('equals-ignore-case', () => {
      expect(matches({ detail: { status: [{ 'equals-ignore-case': 'failed' }] } })).toBe(true);
      expect(matches({ detail: { status: [{ 'equals-ignore-case': 'fail' }] } })).toBe(false);
    });

    it('wildcard with * and an escaped literal star', () => {
      expect(
        matches({ detail: { executionArn: [{ wildcard: 'arn:aws:states:*:execution:Pause:*' }] } }),
      ).toBe(true);
      expect(
        matches({ detail: { executionArn: [{ wildcard: 'arn:aws:states:*:execution:Resume:*' }] } }),
      ).toBe(false);
      expect(matches({ k: [{ wildcard: 'a\\*b' }] }, { k: 'a*b' })).toBe(true);
      expect(matches({ k: [{ wildcard: 'a\\*b' }] }, { k: 'axb' })).toBe(false);
      expect(matches({ k: [{ wildcard: 'a.c' }] }, { k: 'abc' })).toBe(false);
    });

    it('cidr for IPv4 addresses', () => {
      expect(matches({ detail: { environment: { ip: [{ cidr: '10.0.0.0/16' }] } } })).toBe(true);
      expect(matches({ detail: { environment: { ip: [{ cidr: '10.1.0.0/16' }] } } })).toBe(false);
    });

    it('mixes literals and filters in one list as OR', () => {
      expect(matches({ detail: { status: ['SUCCEEDED', { prefix: 'FAI' }] } })).toBe(true);
    });

    it('$or matches when any branch matches', () => {
      const pattern = {
        source: ['aws.states'],
        $or: [{ detail: { status: ['SUCCEEDED'] } }, { 'detail-type': [{ suffix: 'Change' }] }],
      };
      expect(matches(pattern)).toBe(true);
      expect(matches({ $or: [{ source: ['x'] }, { source: ['y'] }] })).toBe(false);
    });
  });

  describe('invalid patterns', () => {
    it.each([
      ['a scalar leaf', { source: 'aws.states' }],
      ['an empty list', { source: [] }],
      ['an unknown operator', { source: [{ regex: '.*' }] }],
      ['a non-boolean exists', { source: [{ exists: 'yes' }] }],
      ['a bad numeric operator', { n: [{ numeric: ['~', 3] }] }],
      ['an odd numeric list', { n: [{ numeric: ['>'] }] }],
      ['a non-string prefix', { source: [{ prefix: 3 }] }],
      ['two operators in one object', { source: [{ prefix: 'a', suffix: 'b' }] }],
      ['consecutive wildcards', { source: [{ wildcard: 'a**' }] }],
      ['a bad cidr', { ip: [{ cidr: '10.0.0/33' }] }],
      ['$or with one branch', { $or: [{ source: ['a'] }] }],
      ['an empty pattern', {}],
    ])('rejects %s', (_label, pattern) => {
      expect(() => compileEventPattern(pattern as Record<string, unknown>)).toThrow(InvalidEventPatternError);
    });

    it('rejects text that is not JSON', () => {
      expect(() => compileEventPattern('{source:')).toThrow(InvalidEventPatternError);
    });

    it('accepts JSON text', () => {
      expect(compileEventPattern('{"source":["aws.states"]}').matches(sfnEvent)).toBe(true);
    });
  });

  describe('properties', () => {
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean());

    it('a pattern listing the exact value always matches, and one listing other values never does', () => {
      fc.assert(
        fc.property(
          fc.string({ minLength: 1 }),
          scalar,
          fc.array(scalar, { minLength: 1 }),
          (key, value, others) => {
            const event = { detail: { [key]: value } };
            expect(matches({ detail: { [key]: [value] } }, event)).toBe(true);
            const different = others.filter((other) => other !== value);
            if (different.length > 0) expect(matches({ detail: { [key]: different } }, event)).toBe(false);
          },
        ),
      );
    });

    it('anything-but is the complement of exact match for present scalar fields', () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.string(), fc.integer()),
          fc.array(fc.oneof(fc.string(), fc.integer()), { minLength: 1 }),
          (value, listed) => {
            const event = { k: value };
            expect(matches({ k: [{ 'anything-but': listed }] }, event)).toBe(!matches({ k: listed }, event));
          },
        ),
      );
    });

    it('numeric ranges agree with plain comparisons', () => {
      fc.assert(
        fc.property(
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          (n, low, high) => {
            expect(matches({ n: [{ numeric: ['>=', low, '<', high] }] }, { n })).toBe(n >= low && n < high);
          },
        ),
      );
    });

    it('prefix and suffix agree with startsWith/endsWith', () => {
      fc.assert(
        fc.property(fc.string(), fc.string(), (value, affix) => {
          expect(matches({ k: [{ prefix: affix }] }, { k: value })).toBe(value.startsWith(affix));
          expect(matches({ k: [{ suffix: affix }] }, { k: value })).toBe(value.endsWith(affix));
        }),
      );
    });

    it('a wildcard built from a split of the value always matches it', () => {
      fc.assert(
        fc.property(
          fc.string().filter((s) => !s.includes('*') && !s.includes('\\')),
          fc.nat(),
          (value, cut) => {
            const at = value.length === 0 ? 0 : cut % (value.length + 1);
            const pattern = `${value.slice(0, at)}*${value.slice(at)}`;
            expect(matches({ k: [{ wildcard: pattern }] }, { k: value })).toBe(true);
          },
        ),
      );
    });
  });
});
