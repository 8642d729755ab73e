import type { Headers } from '@rws/core';
import { fieldCount, fieldValue } from '../field-value.js';

/**
 * The last merge `appendVary` computed: the same response type meets the same `Vary` on
 * every request (compress's `Accept-Encoding` met by CORS's `Origin`), so the merged value is
 * kept, one flat string instead of a new concatenation each time.
 */
let lastExisting: string | null = null;
let lastNames: readonly string[] | null = null;
let lastValue = '';
/** The last merge added a name (else `Vary` already had them all, or had `*`). */
let isLastChanged = false;
let isLastStar = false;

/**
 * Adds field names to `Vary`, keeping the ones already there (compared case-insensitively)
 * and leaving `Vary: *` alone, which already covers every field (RFC 9110 §12.5.5). Repeated
 * `Vary` lines are merged into one.
 *
 * @param names field names to add, as they should be written (`Origin`); the same array on
 *   every call of one caller, so its last merge can be reused.
 */
export function appendVary(headers: Headers, names: readonly string[]): void {
  const existing = fieldValue(headers, 'vary');
  if (existing === null) {
    headers.set('vary', names.length === 1 ? names[0]! : joinNames(names));
    return;
  }
  if (existing !== lastExisting || names !== lastNames) merge(existing, names);
  if (isLastStar) return;
  // Unchanged, repeated lines (which the lookup joined) are still written back as one.
  if (isLastChanged || fieldCount(headers, 'vary') > 1) headers.set('vary', lastValue);
}

function merge(existing: string, names: readonly string[]): void {
  lastExisting = existing;
  lastNames = names;
  lastValue = existing;
  isLastChanged = false;
  isLastStar = hasListMember(existing, '*');
  if (isLastStar) return;
  for (const name of names) {
    // Checked against the value so far, so a name given twice is added once.
    if (hasListMember(lastValue, name)) continue;
    lastValue = lastValue.trim() === '' ? name : `${lastValue}, ${name}`;
    isLastChanged = true;
  }
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
