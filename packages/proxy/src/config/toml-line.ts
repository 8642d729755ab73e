import type { KeyPath } from './config-problem.js';

function splitDotted(s: string): string[] {
  // Good enough for config keys: bare or quoted parts separated by dots.
  return s
    .split('.')
    .map((p) => p.trim())
    .map((p) =>
      (p.startsWith('"') && p.endsWith('"')) || (p.startsWith("'") && p.endsWith("'"))
        ? p.slice(1, -1)
        : p,
    );
}

/**
 * The 1-based line where `path` is set (or its table opened), found by scanning the text:
 * smol-toml does not report positions of values, and a line number is what a human needs.
 * Array-of-tables indices count `[[x]]` headers: `['route', 1, 'match']` is the
 * `[route.match]` after the second `[[route]]`.
 */
export function findTomlLine(text: string, path: KeyPath): number | undefined {
  const target = path.map(String).join('\u0000');
  const arrayCounts = new Map<string, number>();
  let table: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      const isArray = line.startsWith('[[');
      const close = line.indexOf(isArray ? ']]' : ']');
      if (close === -1) continue;
      const parts = splitDotted(line.slice(isArray ? 2 : 1, close));
      const name = parts.join('.');
      if (isArray) {
        arrayCounts.set(name, (arrayCounts.get(name) ?? -1) + 1);
        // A new [[route]] starts fresh counts for the arrays nested in it.
        for (const k of arrayCounts.keys()) if (k.startsWith(`${name}.`)) arrayCounts.delete(k);
      }
      // Insert the current index after every array-of-tables prefix: [route.match] → route.N.match.
      table = [];
      for (let j = 0; j < parts.length; j++) {
        table.push(parts[j]!);
        const idx = arrayCounts.get(parts.slice(0, j + 1).join('.'));
        if (idx !== undefined) table.push(String(idx));
      }
      if (table.join('\u0000') === target) return i + 1;
      // `[[x]]` itself is where the array `x` is first written.
      if (isArray && arrayCounts.get(name) === 0 && parts.join('\u0000') === target) return i + 1;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq === -1) continue;
    const full = [...table, ...splitDotted(line.slice(0, eq))];
    if (full.join('\u0000') === target) return i + 1;
  }
  return undefined;
}

/** The line of `path`, else of its nearest parent that has one (inline tables, arrays). */
export function tomlLineOf(text: string, path: KeyPath): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const line = findTomlLine(text, path.slice(0, n));
    if (line !== undefined) return line;
  }
  return undefined;
}
