/**
 * The default access-log line as a string: one JSON object, exactly the text `JSON.stringify`
 * of the record gives.
 */
import type { LogEntry } from './format.js';
import { isoTime } from './iso-time.js';
import { REQUEST_ID_PREFIX, slotPrefix } from './json-field-prefix.js';
import { jsonNumber } from './json-number.js';

/** Values up to this long are checked by a loop, longer ones by `NEEDS_ESCAPE`. */
const SHORT_VALUE = 8;
/** What JSON escapes or this line leaves to `JSON.stringify`: controls, `"`, `\`, non-ASCII. */
const NEEDS_ESCAPE = /[\x00-\x1f"\\\x7f-\uffff]/;

/**
 * The inside of a JSON string literal (no quotes). Printable ASCII without `"` and `\`
 * (addresses, methods, most paths and user agents) is returned as it is, allocating nothing;
 * anything else goes through `JSON.stringify`. The caller writes the quotes into its own
 * literal text: a `"${s}"` per value made two strings more per field of every line.
 */
function jsonInner(s: string): string {
  // A charCodeAt loop costs ~45 instructions a character in callgrind (each read dispatches on
  // the string's representation); the regular expression ~240 for the call and ~14 a
  // character: the loop for short values (method, a short path), the test for longer ones
  // (request ids, user agents, addresses).
  if (s.length > SHORT_VALUE) {
    return NEEDS_ESCAPE.test(s) ? JSON.stringify(s).slice(1, -1) : s;
  }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(s).slice(1, -1);
  }
  return s;
}

/**
 * One JSON object per line; `request_id` only when there is one; extra fields as keys of
 * their own after the standard ones. Built as a string (the same text `JSON.stringify` of the
 * record gives), without an intermediate object per line.
 */
export function formatJson(e: LogEntry): string {
  // Quotes sit in the literal text around each value, so a plain value adds no string of
  // its own beyond the concatenation that places it.
  let out =
    `{"time":"${isoTime(e.startMs)}","remote_addr":"${jsonInner(e.remoteAddress)}",` +
    `"method":"${jsonInner(e.method)}","path":"${jsonInner(e.target)}",` +
    `"protocol":"${jsonInner(e.protocol)}","status":${jsonNumber(e.status)},` +
    `"bytes":${jsonNumber(e.bytes)},` +
    `"duration_ms":${jsonNumber(Math.round(e.durationMs * 1000) / 1000)}`;
  out += e.userAgent === null ? ',"user_agent":null' : `,"user_agent":"${jsonInner(e.userAgent)}"`;
  out += e.referer === null ? ',"referer":null' : `,"referer":"${jsonInner(e.referer)}"`;
  if (e.requestId !== null) out += `,"request_id":"${jsonInner(e.requestId)}"`;
  const fields = e.fields;
  if (fields !== null) {
    const keys = Object.keys(fields);
    // The values in the same order as the keys, from one builtin: `fields[key]` with a
    // different key each time is a megamorphic keyed load (~100 instructions each, issue #10).
    const values = Object.values(fields);
    for (let slot = 0; slot < keys.length; slot++) {
      const key = keys[slot]!;
      const prefix = slotPrefix(slot, key);
      // A standard key is never replaced; `request_id` comes from a field only when the
      // request has none.
      if (prefix === null || (prefix === REQUEST_ID_PREFIX && e.requestId !== null)) continue;
      const value = values[slot];
      out +=
        typeof value === 'string'
          ? `${prefix.quoted}${jsonInner(value)}"`
          : `${prefix.bare}${typeof value === 'number' ? jsonNumber(value) : 'null'}`;
    }
  }
  return `${out}}`;
}
