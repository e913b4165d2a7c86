import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { closestName } from './closest-name.ts';
import { bareValueProblems, dummyArn, findPlaceholders, substitute } from './definition-substitutions.ts';
import { exportedNames } from './module-exports.ts';

describe('definition substitutions', () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${…} here are ASL placeholders, not JavaScript.
  const text = '{"Resource": "${Fn}", "Seconds": ${Wait}, "Name": "x-${Env}-y", "Escaped": "\\"${Q}\\""}';

  it('finds placeholders and whether each sits inside a JSON string', () => {
    expect(findPlaceholders(text).map(({ name, inString }) => [name, inString])).toEqual([
      ['Fn', true],
      ['Wait', false],
      ['Env', true],
      ['Q', true],
    ]);
  });

  it('substitutes literals as they are, intrinsics as a dummy ARN in strings and 1 as bare values', () => {
    const result = substitute(text, {
      Fn: { 'Fn::GetAtt': ['F', 'Arn'] },
      Wait: { Ref: 'P' },
      Env: 'dev',
      Q: 'q',
    });
    expect(JSON.parse(result)).toEqual({
      Resource: dummyArn('Fn'),
      Seconds: 1,
      Name: 'x-dev-y',
      Escaped: '"q"',
    });
    expect(JSON.parse(substitute(text, { Fn: 'a', Wait: '30', Env: 'e', Q: 'q' })).Seconds).toBe(30);
  });

  it('flags a bare placeholder whose literal value is not a number', () => {
    expect(bareValueProblems(text, { Wait: 'soon' })).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder, not JavaScript.
      '${Wait} stands for a whole JSON value (a number) but its substitution is "soon"',
    ]);
    expect(bareValueProblems(text, { Wait: 5 })).toEqual([]);
  });
});

describe('closestName', () => {
  it('suggests a likely typo and nothing for an unrelated word', () => {
    expect(closestName('Timout', ['Timeout', 'MemorySize'])).toBe('Timeout');
    expect(closestName('handler', ['Handler'])).toBe('Handler');
    expect(closestName('Banana', ['Timeout', 'MemorySize'])).toBeUndefined();
  });
});

describe('exportedNames', () => {
  const dir = mkdtempSync(join(tmpdir(), 'exports-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every export form, following export * into relative modules', () => {
    writeFileSync(join(dir, 'lib.ts'), 'export const fromStar = 1;\n');
    writeFileSync(
      join(dir, 'index.ts'),
      [
        'export async function a() {}',
        'export const b = 1, { c } = { c: 2 };',
        'const d = 1;',
        'export { d as handler };',
        'export class E {}',
        "export * from './lib.ts';",
        'function notExported() {}',
      ].join('\n'),
    );
    expect([...(exportedNames(join(dir, 'index.ts')) ?? [])].sort()).toEqual([
      'E',
      'a',
      'b',
      'c',
      'fromStar',
      'handler',
    ]);
  });

  it('returns undefined for a missing file', () => {
    expect(exportedNames(join(dir, 'missing.ts'))).toBeUndefined();
  });
});
