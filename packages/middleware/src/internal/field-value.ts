import type { Headers } from '@rws/core';

/**
 * `headers.get(name)` for a `name` already in lower case, read straight from the flat
 * `[name, value, …]` list. The middleware on every request (CORS, compression, request id)
 * look up literal lower-case names; `get()` lower-cases its argument first, and four
 * `get()`s on one response cost ~2,100 instructions per request
 * (callgrind, `pnpm bench:profile rws-middleware --path /all`), about four times this scan.
 * Repeated fields are joined as `get()` joins them (`; ` for `cookie`, else `, `).
 */
export function fieldValue(headers: Headers, name: string): string | null {
  const list = headers.toList();
  let value: string | null = null;
  for (let i = 0; i < list.length; i += 2) {
    if (list[i] !== name) continue;
    const item = list[i + 1]!;
    value = value === null ? item : `${value}${name === 'cookie' ? '; ' : ', '}${item}`;
  }
  return value;
}

/** How many fields named `name` (lower case) `headers` has. */
export function fieldCount(headers: Headers, name: string): number {
  const list = headers.toList();
  let count = 0;
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) count++;
  return count;
}
