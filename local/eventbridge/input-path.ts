/** The JSONPath subset EventBridge targets use in `InputPath`: `$`, `$.a.b`, `$.a[0]`, `$['a']`. */
export function selectInputPath(document: unknown, path: string): unknown {
  if (!path.startsWith('$')) throw new Error(`InputPath must start with $: ${path}`);
  const steps = [...path.slice(1).matchAll(/\.([^.[\]]+)|\[(\d+)\]|\['([^']+)'\]/g)].map(
    (match) => match[1] ?? (match[2] !== undefined ? Number(match[2]) : match[3]),
  );
  let current: unknown = document;
  for (const step of steps) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[step as string | number];
  }
  return current;
}
