/** Levenshtein distance, two rows: config keys are short, so O(n·m) is nothing. */
function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * The candidate `input` is a prefix of, else the closest one by edit distance, or null when
 * none is close enough (a third of the
 * length, at least 2 edits, like most CLIs' suggestions).
 */
export function didYouMean(input: string, candidates: Iterable<string>): string | null {
  const needle = input.toLowerCase();
  const list = [...candidates];
  // A truncated name (`--tls-cert` for `--tls-cert-file`) is the likeliest slip of all.
  if (needle.length >= 3) {
    let prefixed: string | null = null;
    for (const c of list) {
      if (c.toLowerCase().startsWith(needle) && (prefixed === null || c.length < prefixed.length)) {
        prefixed = c;
      }
    }
    if (prefixed !== null) return prefixed;
  }
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(needle.length / 3));
  for (const c of list) {
    const d = levenshtein(needle, c.toLowerCase());
    if (d < bestDistance || (d === bestDistance && best === null)) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
