import { checkFieldBytes } from '@rws/core';
import { huffmanEncode, huffmanEncodedLength } from './huffman.js';
import { DynamicTable } from './internal/dynamic-table.js';
import { STATIC_COUNT, STATIC_NAME_INDEX, STATIC_PAIR_INDEX } from './internal/static-table.js';

/**
 * Fields never put in the dynamic table and sent "never indexed" (RFC 7541 §7.1.3), so an
 * intermediary does not index them either: credentials and cookies.
 */
const NEVER_INDEXED = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** Fields whose values rarely repeat: indexing them would only evict useful entries. */
const NOT_INDEXED = new Set([
  ':path',
  'content-length',
  'content-range',
  'date',
  'etag',
  'last-modified',
  'location',
  'age',
  'expires',
]);

/**
 * The HPACK encoder of one connection (RFC 7541). Indexes repeated fields in a dynamic table
 * of at most the size the peer allows (SETTINGS_HEADER_TABLE_SIZE) and Huffman-codes strings
 * when that is shorter.
 *
 * @example
 * ```ts
 * import { HpackDecoder, HpackEncoder } from '@rws/h2';
 * const block = new HpackEncoder().encode([':status', '200', 'content-type', 'text/plain']);
 * new HpackDecoder().decode(block); // [':status', '200', 'content-type', 'text/plain']
 * ```
 */
export class HpackEncoder {
  readonly #table: DynamicTable;
  /** `name\0value` → absolute insertion number of its newest dynamic entry. */
  readonly #pairs = new Map<string, number>();
  /** name → absolute insertion number of its newest dynamic entry. */
  readonly #names = new Map<string, number>();
  /** Smallest size set since the last block, then the final one (RFC 7541 §4.2). */
  #pendingMin = -1;
  #pendingSize = -1;
  #out = Buffer.allocUnsafe(4096);
  #pos = 0;

  constructor(maxTableSize = 4096) {
    this.#table = new DynamicTable(maxTableSize);
  }

  /** Applies the peer's SETTINGS_HEADER_TABLE_SIZE; the next block starts with a size update. */
  setMaxTableSize(size: number): void {
    this.#pendingMin = this.#pendingMin === -1 ? size : Math.min(this.#pendingMin, size);
    this.#pendingSize = size;
    this.#table.setMaxSize(size);
  }

  /**
   * Encodes a flat `[name, value, …]` list (lower-case names, byte strings: one char per
   * octet). Throws `RWS_CORE_INVALID_HEADER` for a char above 0xFF, before the dynamic table
   * changes: the peer's decoder never sees this block, so the tables stay in step.
   */
  encode(fields: readonly string[]): Uint8Array {
    for (let i = 0; i < fields.length; i += 2) checkFieldBytes(fields[i]!, fields[i + 1]!);
    return this.encodeTrusted(fields);
  }

  /**
   * Encodes like `encode` without the check for a char above 0xFF, for fields known to be byte
   * strings: those of a core `Headers` (validated when set, or parsed from octets), numbers and
   * ASCII constants. The servers' responses use it: the check would cost them ~6% of an encode
   * and could not fail. A char above 0xFF given here goes out as its low byte.
   */
  encodeTrusted(fields: readonly string[]): Uint8Array {
    this.#pos = 0;
    if (this.#pendingSize !== -1) {
      if (this.#pendingMin < this.#pendingSize) this.#int(this.#pendingMin, 5, 0x20);
      this.#int(this.#pendingSize, 5, 0x20);
      this.#pendingMin = -1;
      this.#pendingSize = -1;
    }
    for (let i = 0; i < fields.length; i += 2) this.#field(fields[i]!, fields[i + 1]!);
    return Uint8Array.prototype.slice.call(this.#out, 0, this.#pos);
  }

  #field(name: string, value: string): void {
    const key = `${name}\0${value}`;
    const table = this.#table;
    const staticPair = STATIC_PAIR_INDEX.get(key);
    if (staticPair !== undefined) {
      this.#int(staticPair, 7, 0x80);
      return;
    }
    const dynPair = this.#pairs.get(key);
    if (dynPair !== undefined) {
      const age = table.inserted - 1 - dynPair;
      if (age < table.length) {
        this.#int(STATIC_COUNT + 1 + age, 7, 0x80);
        return;
      }
      this.#pairs.delete(key);
    }
    let nameIndex = STATIC_NAME_INDEX.get(name) ?? 0;
    if (nameIndex === 0) {
      const dynName = this.#names.get(name);
      if (dynName !== undefined) {
        const age = table.inserted - 1 - dynName;
        if (age < table.length) nameIndex = STATIC_COUNT + 1 + age;
        else this.#names.delete(name);
      }
    }
    const size = name.length + value.length + 32;
    if (NEVER_INDEXED.has(name)) {
      this.#int(nameIndex, 4, 0x10);
    } else if (NOT_INDEXED.has(name) || size > table.maxSize >>> 1) {
      this.#int(nameIndex, 4, 0x00);
    } else {
      this.#int(nameIndex, 6, 0x40);
      const abs = table.inserted;
      table.add(name, value, name.length + value.length);
      this.#pairs.set(key, abs);
      this.#names.set(name, abs);
    }
    if (nameIndex === 0) this.#string(name);
    this.#string(value);
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#out.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#out.length * 2, this.#pos + n));
    this.#out.copy(next, 0, 0, this.#pos);
    this.#out = next;
  }

  /** Prefix integer (RFC 7541 §5.1). */
  #int(value: number, prefixBits: number, flags: number): void {
    this.#room(6);
    const max = (1 << prefixBits) - 1;
    const out = this.#out;
    if (value < max) {
      out[this.#pos++] = flags | value;
      return;
    }
    out[this.#pos++] = flags | max;
    value -= max;
    while (value >= 128) {
      out[this.#pos++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    out[this.#pos++] = value;
  }

  /** String literal (RFC 7541 §5.2), Huffman-coded when shorter. */
  #string(s: string): void {
    const raw = Buffer.from(s, 'latin1');
    const huffLength = huffmanEncodedLength(raw);
    if (huffLength < raw.length) {
      this.#int(huffLength, 7, 0x80);
      this.#room(huffLength);
      this.#pos = huffmanEncode(raw, this.#out, this.#pos);
    } else {
      this.#int(raw.length, 7, 0);
      this.#room(raw.length);
      raw.copy(this.#out, this.#pos);
      this.#pos += raw.length;
    }
  }
}
