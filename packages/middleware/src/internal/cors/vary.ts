import type { Headers } from '@rws/core';

/**
 * Adds field names to `Vary`, keeping the ones already there (compared case-insensitively)
 * and leaving `Vary: *` alone, which already covers every field (RFC 9110 §12.5.5). Repeated
 * `Vary` lines are merged into one.
 *
 * @param names field names to add, as they should be written (`Origin`).
 */
export function appendVary(headers: Headers, names: readonly string[]): void {
  const existing = headers.get('vary');
  if (existing === null) {
    headers.set('vary', names.length === 1 ? names[0]! : joinNames(names));
    return;
  }
  if (hasListMember(existing, '*')) return;
  let value = existing;
  let isChanged = false;
  for (const name of names) {
    // Checked against `value`, so a name given twice is added once.
    if (hasListMember(value, name)) continue;
    value = value.trim() === '' ? name : `${value}, ${name}`;
    isChanged = true;
  }
  // `get()` already joined repeated lines; setting writes them back as one.
  if (isChanged || headers.getAll('vary').length > 1) headers.set('vary', value);
}

/**
 * True when the comma-separated `list` has `name` as a member, compared ASCII
 * case-insensitively with optional whitespace around members (RFC 9110 §5.6.1). Runs on every
 * response that gets a `Vary`, so it compares in place instead of splitting the list.
 */
export function hasListMember(list: string, name: string): boolean {
  let start = 0;
  while (start <= list.length) {
    let end = list.indexOf(',', start);
    if (end === -1) end = list.length;
    let from = start;
    let to = end;
    while (from < to && isWhitespace(list.charCodeAt(from))) from++;
    while (to > from && isWhitespace(list.charCodeAt(to - 1))) to--;
    if (to - from === name.length && equalsIgnoringCase(list, from, name)) return true;
    start = end + 1;
  }
  return false;
}

const isWhitespace = (c: number): boolean => c === 32 || c === 9;

function equalsIgnoringCase(list: string, from: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    let a = list.charCodeAt(from + i);
    let b = name.charCodeAt(i);
    if (a === b) continue;
    // ASCII letters only: `| 32` maps A-Z onto a-z.
    if (a >= 65 && a <= 90) a |= 32;
    if (b >= 65 && b <= 90) b |= 32;
    if (a !== b) return false;
  }
  return true;
}

function joinNames(names: readonly string[]): string {
  let out = '';
  for (const name of names) out = out === '' ? name : `${out}, ${name}`;
  return out;
}
