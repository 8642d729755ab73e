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
  const present = splitList(existing);
  if (present.includes('*')) return;
  let value = existing;
  let isChanged = false;
  for (const name of names) {
    const key = name.toLowerCase();
    if (present.includes(key)) continue;
    present.push(key);
    value = value.trim() === '' ? name : `${value}, ${name}`;
    isChanged = true;
  }
  // `get()` already joined repeated lines; setting writes them back as one.
  if (isChanged || headers.getAll('vary').length > 1) headers.set('vary', value);
}

function joinNames(names: readonly string[]): string {
  let out = '';
  for (const name of names) out = out === '' ? name : `${out}, ${name}`;
  return out;
}

/** Lower-cased, trimmed members of a comma-separated list (RFC 9110 §5.6.1), empties dropped. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= value.length; i++) {
    if (i === value.length || value.charCodeAt(i) === 44 /* , */) {
      const item = value.slice(start, i).trim().toLowerCase();
      if (item !== '') out.push(item);
      start = i + 1;
    }
  }
  return out;
}
