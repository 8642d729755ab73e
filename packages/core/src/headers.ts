import { isToken } from './is-token.js';
import { RwsError } from './rws-error.js';

const BRAND: unique symbol = Symbol.for('rws.headers') as never;

/** Anything a `Headers` can be built from. */
export type HeadersInit =
  | Headers
  | Iterable<readonly [string, string]>
  | Record<string, string | readonly string[] | number | undefined>;

/**
 * Case-insensitive, multi-valued header fields, shaped like the Web `Headers` but cheap to
 * build per request: one flat array `[name, value, name, value, …]` with lower-case names.
 * Field order is kept, which matters for proxies and `Set-Cookie`.
 */
export class Headers implements Iterable<[string, string]> {
  /** Flat `[name, value, …]`; names are lower-case. */
  #list: string[];

  constructor(init?: HeadersInit | null) {
    // Kept this small so V8 inlines it where headers are made per request (`fromTrustedList`,
    // the response helpers): with the copying below inline it stayed in a lower tier, and its
    // field stores went through generic inline caches (~230 instructions per Headers).
    this.#list = init == null ? [] : Headers.#listOf(init);
  }

  /** A new flat list holding `init`'s fields, validated (a Headers of ours is copied as is). */
  static #listOf(init: HeadersInit): string[] {
    if (init instanceof Headers) {
      // A Headers of another copy of core has no #list of ours: copy through its public list.
      return #list in init ? init.#list.slice() : (init as Headers).toList().slice();
    }
    const headers = new Headers();
    if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const [name, value] of init as Iterable<readonly [string, string]>) {
        headers.append(name, value);
      }
    } else {
      const record = init as Record<string, string | readonly string[] | number | undefined>;
      for (const name of Object.keys(record)) {
        const value = record[name];
        if (value === undefined) continue;
        if (typeof value === 'string' || typeof value === 'number')
          headers.append(name, String(value));
        else for (const v of value) headers.append(name, v);
      }
    }
    return headers.#list;
  }

  /**
   * Wraps a flat `[name, value, …]` array without copying or validating it. For transports
   * whose parser has already validated the fields and lower-cased the names.
   */
  static fromTrustedList(list: string[]): Headers {
    const headers = new Headers();
    headers.#list = list;
    return headers;
  }

  /**
   * `instanceof Headers` recognises a `Headers` from another copy of core (two versions of
   * @rws/core in one install) by its registered brand, as `RwsError` does.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { [BRAND]?: unknown })[BRAND] === true
    );
  }

  /**
   * The values of `name` joined with `, ` (RFC 9110 §5.3), or null when absent. `cookie` values
   * join with `; ` instead: HTTP/2 and HTTP/3 may split one Cookie header into several fields,
   * which are put back together that way (RFC 9113 §8.2.3, RFC 9114 §4.2.1).
   */
  get(name: string): string | null {
    const key = lowerName(name);
    const list = this.#list;
    const separator = key === 'cookie' ? '; ' : ', ';
    let result: string | null = null;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === key) {
        result = result === null ? list[i + 1]! : result + separator + list[i + 1]!;
      }
    }
    return result;
  }

  /** Every value of `name`, each as sent. */
  getAll(name: string): string[] {
    const key = lowerName(name);
    const out: string[] = [];
    const list = this.#list;
    for (let i = 0; i < list.length; i += 2) if (list[i] === key) out.push(list[i + 1]!);
    return out;
  }

  /** Every `Set-Cookie` value, unjoined (they cannot be combined with commas). */
  getSetCookie(): string[] {
    return this.getAll('set-cookie');
  }

  has(name: string): boolean {
    const key = lowerName(name);
    const list = this.#list;
    for (let i = 0; i < list.length; i += 2) if (list[i] === key) return true;
    return false;
  }

  /** Replaces every value of `name` with `value`. */
  set(name: string, value: string): this {
    const key = checkName(name);
    checkValue(key, value);
    this.#replace(key, value);
    return this;
  }

  /**
   * `set()` without validation, for a value its caller made or checked itself, as
   * `fromTrustedList` is for a parser's fields: a request id the server generated, or a
   * client's checked to be visible ASCII. `name` must be a lower-case token and `value` a
   * valid field value (no control characters, no char above 0xFF); anything else is written
   * as it is and can corrupt the head. A value set on every request costs its scan each time
   * otherwise: a request id set on the request and the response cost ~1,700 instructions per
   * request in `set` and its regular expression (callgrind, `pnpm bench:profile rws-gateway`).
   */
  setTrusted(name: string, value: string): this {
    this.#replace(name, value);
    return this;
  }

  #replace(key: string, value: string): void {
    const list = this.#list;
    let found = false;
    for (let i = 0; i < list.length; ) {
      if (list[i] === key) {
        if (!found) {
          list[i + 1] = value;
          found = true;
          i += 2;
        } else {
          list.splice(i, 2);
        }
      } else {
        i += 2;
      }
    }
    if (!found) list.push(key, value);
  }

  /** Adds a value, keeping the existing ones. */
  append(name: string, value: string): this {
    const key = checkName(name);
    checkValue(key, value);
    this.#list.push(key, value);
    return this;
  }

  /** Removes every value of `name`. */
  delete(name: string): this {
    const key = lowerName(name);
    const list = this.#list;
    for (let i = 0; i < list.length; ) {
      if (list[i] === key) list.splice(i, 2);
      else i += 2;
    }
    return this;
  }

  /** The number of fields (a name sent twice counts twice). */
  get size(): number {
    return this.#list.length >> 1;
  }

  forEach(fn: (value: string, name: string, headers: Headers) => void): void {
    const list = this.#list;
    for (let i = 0; i < list.length; i += 2) fn(list[i + 1]!, list[i]!, this);
  }

  /** Every field in order, repeated names not joined. */
  *entries(): IterableIterator<[string, string]> {
    const list = this.#list;
    for (let i = 0; i < list.length; i += 2) yield [list[i]!, list[i + 1]!];
  }

  *keys(): IterableIterator<string> {
    const list = this.#list;
    for (let i = 0; i < list.length; i += 2) yield list[i]!;
  }

  *values(): IterableIterator<string> {
    const list = this.#list;
    for (let i = 1; i < list.length; i += 2) yield list[i]!;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /**
   * The flat `[name, value, …]` list itself, for transports that serialise it. Callers must
   * not modify it.
   */
  toList(): readonly string[] {
    return this.#list;
  }

  /**
   * A plain object; repeated names are joined as `get()` joins them (`, `, or `; ` for
   * `cookie`), except `set-cookie`, kept as an array.
   */
  toJSON(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    const list = this.#list;
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i]!;
      const value = list[i + 1]!;
      const prev = out[name];
      if (prev === undefined) out[name] = name === 'set-cookie' ? [value] : value;
      else if (Array.isArray(prev)) prev.push(value);
      else out[name] = prev + (name === 'cookie' ? '; ' : ', ') + value;
    }
    return out;
  }
}

function lowerName(name: string): string {
  // Most lookups already use lower-case literals; skip the allocation for them.
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) return name.toLowerCase();
  }
  return name;
}

/**
 * Names that passed `checkName`, mapped to their lower-case key. Nearly every `set`/`append`
 * passes a literal, and testing it character by character cost ~750 instructions per call
 * (callgrind, `pnpm bench:profile rws-static`); a hit here is one hash lookup. Bounded, so
 * names built from input cannot grow it without limit.
 */
const checkedNames = new Map<string, string>();
const CHECKED_NAMES_MAX = 256;

function checkName(name: string): string {
  const known = checkedNames.get(name);
  if (known !== undefined) return known;
  if (!isToken(name)) {
    throw new RwsError(
      'RWS_CORE_INVALID_HEADER',
      `invalid header name ${JSON.stringify(name.slice(0, 64))}`,
      {
        status: 500,
      },
    );
  }
  const key = lowerName(name);
  if (checkedNames.size < CHECKED_NAMES_MAX) checkedNames.set(name, key);
  return key;
}

// The brand sits on the prototype (isolatedDeclarations cannot emit a computed class member);
// copies of core share the registered symbol.
Object.defineProperty(Headers.prototype, BRAND, { value: true });

// C0 controls but HTAB, DEL, and every code unit above 0xFF (a surrogate half included).
const INVALID_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f\u0100-\uffff]/;

/**
 * The last values that passed `checkValue`. A value is often set twice, validated the first
 * time: a request id set on the request and then on the response, a value read from one
 * `Headers` and set on another. Strings are immutable, so a value equal to one that passed
 * passes too; comparing it with a few held strings costs far less than the scan (its length
 * differs from most, and an identical reference is equal at once). Only short values are held,
 * so a miss never compares long strings. A power of two in size.
 */
const checkedValues: string[] = ['', '', '', ''];
let nextCheckedValue = 0;
const CHECKED_VALUE_MAX_CHARS = 128;

/**
 * RFC 9110 §5.5: a field value has no control characters but HTAB: no NUL, CR, LF, other
 * C0 controls or DEL. Every transport would reject them later (HTTP/1.1 framing, and HTTP/2
 * and HTTP/3 treat them as malformed, RFC 9113 §8.2.1, RFC 9114 §4.2), so they are refused
 * here, where the code that set them is on the stack.
 *
 * Names and values are byte strings, one char per octet, as WHATWG fetch's ByteString and
 * node:http have them: the HTTP/1.1 parser reads each octet as one char (Latin-1) and every
 * writer sends each char as one octet, so a value relayed by a proxy keeps its bytes, and
 * octets 0x80–0xFF (obs-text) pass as they are. A char above 0xFF has no octet and is refused:
 * written as Latin-1 it would lose its high bits (U+010A would become LF).
 */
function checkValue(name: string, value: string): void {
  if (typeof value !== 'string') {
    throw new RwsError('RWS_CORE_INVALID_HEADER', `header ${name} value must be a string`, {
      status: 500,
    });
  }
  const held = checkedValues;
  if (value === held[0] || value === held[1] || value === held[2] || value === held[3]) return;
  // The regular expression scans in native code (a loop of `charCodeAt` cost ~30 instructions
  // per character); the loop below only runs to name the character of a value that fails.
  if (!INVALID_VALUE_CHAR.test(value)) {
    if (value.length <= CHECKED_VALUE_MAX_CHARS) {
      held[nextCheckedValue] = value;
      nextCheckedValue = (nextCheckedValue + 1) & 3;
    }
    return;
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) {
      throw new RwsError(
        'RWS_CORE_INVALID_HEADER',
        `header ${name} value contains the control character 0x${c.toString(16).padStart(2, '0')}`,
        { status: 500 },
      );
    }
    if (c > 0xff) {
      const point = value.codePointAt(i)!;
      throw new RwsError(
        'RWS_CORE_INVALID_HEADER',
        `header ${name} value has the character U+${point.toString(16).toUpperCase().padStart(4, '0')}, above 0xFF: ` +
          'header values are byte strings (one char per octet); percent-encode the text ' +
          "(encodeHeaderUrl for a URL) or use RFC 8187 (filename*=UTF-8''…)",
        { status: 500 },
      );
    }
  }
}
