/**
 * `${Placeholder}`s in a state machine definition and the `DefinitionSubstitutions` that fill them.
 *
 * CloudFormation substitutes the placeholders textually, so a definition may hold a placeholder
 * outside any JSON string (`"TimeoutSeconds": ${ExportTimeoutSeconds}`): that is the only way to
 * substitute a number, since a quoted placeholder always yields a string. Such a file is JSON only
 * after substitution, so placeholders are found by scanning the text, not the parsed object.
 */

/** One occurrence of `${Name}` in the definition text. */
export interface Placeholder {
  name: string;
  /** Inside a JSON string (substituted as text) rather than standing for a whole JSON value. */
  inString: boolean;
  start: number;
  end: number;
}

/** Every `${Name}` in `text`, in order. */
export function findPlaceholders(text: string): Placeholder[] {
  const found: Placeholder[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString && char === '\\') {
      i++;
      continue;
    }
    if (char === '"') {
      inString = !inString;
      continue;
    }
    if (char === '$' && text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      if (close < 0) break;
      found.push({ name: text.slice(i + 2, close), inString, start: i, end: close + 1 });
      i = close;
    }
  }
  return found;
}

/** An account-free ARN that satisfies ARN-shaped fields such as a Task's `Resource`. */
export function dummyArn(name: string): string {
  return `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
}

function isNumeric(value: unknown): boolean {
  return (
    typeof value === 'number' ||
    (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
  );
}

/**
 * What CloudFormation would produce, close enough to validate: literal substitution values are used
 * as they are; values only CloudFormation can resolve (`!GetAtt`, `!Ref`, `!Sub`) become a dummy
 * ARN inside strings and the number 1 where the placeholder stands for a whole value.
 * Placeholders without a substitution are left as they are.
 */
export function substitute(text: string, substitutions: Record<string, unknown>): string {
  let result = '';
  let last = 0;
  for (const placeholder of findPlaceholders(text)) {
    if (!(placeholder.name in substitutions)) continue;
    const value = substitutions[placeholder.name];
    let replacement: string;
    if (placeholder.inString) {
      replacement =
        typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
          ? JSON.stringify(String(value)).slice(1, -1)
          : dummyArn(placeholder.name);
    } else {
      replacement = isNumeric(value)
        ? String(Number(value))
        : typeof value === 'boolean'
          ? String(value)
          : '1';
    }
    result += text.slice(last, placeholder.start) + replacement;
    last = placeholder.end;
  }
  return result + text.slice(last);
}

/**
 * Problems with placeholders that stand for a whole JSON value: their literal substitution value
 * must be a number or a boolean, or the substituted definition is not what the author meant.
 */
export function bareValueProblems(text: string, substitutions: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const placeholder of findPlaceholders(text)) {
    if (placeholder.inString || !(placeholder.name in substitutions)) continue;
    const value = substitutions[placeholder.name];
    const literal = typeof value !== 'object' || value === null;
    if (literal && !isNumeric(value) && typeof value !== 'boolean') {
      problems.push(
        `\${${placeholder.name}} stands for a whole JSON value (a number) but its substitution is ${JSON.stringify(value)}`,
      );
    }
  }
  return [...new Set(problems)];
}
