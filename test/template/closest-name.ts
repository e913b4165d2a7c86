/**
 * "Did you mean …?" for misspelled property names: the candidate with the smallest edit distance,
 * if it is close enough to be a plausible typo rather than a different word.
 */

/** Levenshtein distance, case-insensitive (CloudFormation names differ from typos mostly by case or a letter). */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[y.length]!;
}

/**
 * The candidate closest to `name`, or undefined when none is within a third of the name's length
 * (at least 2 edits), which keeps suggestions to likely typos.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** ` (did you mean X?)` or the empty string, for appending to a problem message. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const suggestion = closestName(name, candidates);
  return suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
}
