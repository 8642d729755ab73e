/**
 * `JSON.stringify` with a fast path for the body most JSON responses have: one flat plain
 * object. For `{ id: '42' }` the builtin cost ~1,250 instructions per call (callgrind,
 * `pnpm bench:profile rws-app`), nearly all of it fixed overhead (runtime entry, string
 * builder, flattening); building the text in JavaScript costs a fraction of that.
 *
 * The output is byte for byte what `JSON.stringify(value)` returns, and every property is read
 * once, in the same order (getters run once; `toJSON` of a nested value gets its key).
 * Anything the fast path does not cover goes to `JSON.stringify`, before any property is read.
 * (A Proxy sees other traps: `getPrototypeOf` and `has('toJSON')` where the builtin calls
 * `get('toJSON')`.)
 */

/** Objects with more keys than this are left to the builtin (its cost is then worth it). */
const MAX_FAST_KEYS = 16;
/** Strings longer than this are checked and quoted by the builtin. */
const MAX_FAST_STRING = 64;

/** The JSON text of `value`, exactly as `JSON.stringify(value)` returns it. */
export function stringifyJson(value: unknown): string | undefined {
  if (
    typeof value !== 'object' ||
    value === null ||
    Object.getPrototypeOf(value) !== Object.prototype
  )
    return JSON.stringify(value);
  // `in` reads no property (no getter runs), so falling back here stays exact.
  if ('toJSON' in value) return JSON.stringify(value);
  const keys = Object.keys(value);
  const count = keys.length;
  if (count > MAX_FAST_KEYS) return JSON.stringify(value);
  for (let i = 0; i < count; i++) if (!isPlainText(keys[i]!)) return JSON.stringify(value);
  const record = value as Record<string, unknown>;
  let out = '{';
  for (let i = 0; i < count; i++) {
    const key = keys[i]!;
    const text = propertyText(key, record[key]);
    if (text === undefined) continue;
    out += out.length === 1 ? `"${key}":${text}` : `,"${key}":${text}`;
  }
  return `${out}}`;
}

/** One property's JSON text, or undefined when JSON leaves the property out. */
function propertyText(key: string, v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return isPlainText(v) ? `"${v}"` : JSON.stringify(v);
    case 'number':
      // JSON writes NaN and the infinities as null; finite numbers as `String` does.
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default: {
      if (v === null) return 'null';
      // Objects, arrays and bigints: the builtin, inside a one-key holder so that a `toJSON`
      // is called with this key, as it would be within the whole object.
      const holder = JSON.stringify({ [key]: v });
      // `{"key":…}`, or `{}` when the value's `toJSON` returned something JSON leaves out.
      return holder.length === 2 ? undefined : holder.slice(key.length + 4, -1);
    }
  }
}

/**
 * True when JSON writes `s` between quotes unchanged: no `"`, `\`, control characters or
 * surrogates (a lone surrogate is escaped). Most keys and short values are like this. Longer
 * strings are left to the builtin, whose scan is faster than this loop.
 */
function isPlainText(s: string): boolean {
  if (s.length > MAX_FAST_STRING) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}
