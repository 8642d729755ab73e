/**
 * The text before each extra field of a JSON line (`,"upstream":"`), built once per field name
 * and found by position: a `fields` function returns the same keys in the same order on every
 * line (the gateway's five), so a line's prefixes cost one `===` each (issue #10).
 */

/** Keys a JSON line always has (plus `request_id`): extra fields cannot replace them. */
const JSON_KEYS = new Set([
  'time',
  'remote_addr',
  'method',
  'path',
  'protocol',
  'status',
  'bytes',
  'duration_ms',
  'user_agent',
  'referer',
  'request_id',
]);

/** An extra field's `,"key":` and `,"key":"` (for a string value: one piece less per line). */
interface FieldPrefix {
  readonly bare: string;
  readonly quoted: string;
}

function makePrefix(key: string): FieldPrefix {
  const bare = `,${JSON.stringify(key)}:`;
  return { bare, quoted: `${bare}"` };
}

/** The prefix of `request_id`, which a field may give only when the request has no id. */
export const REQUEST_ID_PREFIX: FieldPrefix = makePrefix('request_id');
/** The prefixes per extra field name, built once per name (a `fields` function returns the same few). */
const fieldPrefixes = new Map<string, FieldPrefix | null>([['request_id', REQUEST_ID_PREFIX]]);
/** Up to this many distinct names are remembered; a `fields` function inventing names per request is not. */
const MAX_FIELD_PREFIXES = 256;

/** The prefixes of an extra field, or null for a standard key it may not replace. */
function fieldPrefix(key: string): FieldPrefix | null {
  let prefix = fieldPrefixes.get(key);
  if (prefix === undefined) {
    prefix = JSON_KEYS.has(key) && key !== 'request_id' ? null : makePrefix(key);
    if (fieldPrefixes.size < MAX_FIELD_PREFIXES) fieldPrefixes.set(key, prefix);
  }
  return prefix;
}

/**
 * The key seen last at each position of a `fields` object and its prefix. Any other key falls
 * back to `fieldPrefix`, whose answer for a key never changes, so the output is the same.
 */
const MAX_FIELD_SLOTS = 16;
const slotKeys: (string | undefined)[] = new Array(MAX_FIELD_SLOTS).fill(undefined);
const slotPrefixes: (FieldPrefix | null)[] = new Array(MAX_FIELD_SLOTS).fill(null);

/** The prefix of `key` at position `slot` of a `fields` object, or null for a standard key. */
export function slotPrefix(slot: number, key: string): FieldPrefix | null {
  if (slot >= MAX_FIELD_SLOTS) return fieldPrefix(key);
  if (slotKeys[slot] === key) return slotPrefixes[slot] ?? null;
  const prefix = fieldPrefix(key);
  slotKeys[slot] = key;
  slotPrefixes[slot] = prefix;
  return prefix;
}
