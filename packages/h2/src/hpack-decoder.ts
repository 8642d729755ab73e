import { RwsError } from '@rws/core';
import { ERROR_CODES } from './errors.js';
import { huffmanDecode } from './huffman.js';
import { DynamicTable } from './internal/dynamic-table.js';
import { STATIC_COUNT, STATIC_TABLE } from './internal/static-table.js';

/** Options of an `HpackDecoder`. */
export interface HpackDecoderOptions {
  /**
   * The most the peer's encoder may grow our dynamic table to: the value we advertise in
   * SETTINGS_HEADER_TABLE_SIZE. Default 4096.
   */
  maxTableSize?: number | undefined;
  /**
   * Largest decoded header list (RFC 9113 §6.5.2: names + values + 32 per field). A larger
   * list is still decoded, to keep the table in step, but its fields are dropped and
   * `isListTooLarge` is set. Default 64 KiB.
   */
  maxHeaderListSize?: number | undefined;
}

/**
 * The HPACK decoder of one connection (RFC 7541). `decode()` turns a complete header block
 * into a flat `[name, value, …]` list of Latin-1 strings (one char per octet).
 *
 * @example
 * ```ts
 * import { HpackDecoder } from '@rws/h2';
 * const fields = new HpackDecoder().decode(new Uint8Array([0x82, 0x84]));
 * // [':method', 'GET', ':path', '/']
 * ```
 */
export class HpackDecoder {
  readonly #table: DynamicTable;
  #maxTableSize: number;
  readonly #maxListSize: number;
  #isListTooLarge = false;

  constructor(options: HpackDecoderOptions = {}) {
    this.#maxTableSize = options.maxTableSize ?? 4096;
    this.#maxListSize = options.maxHeaderListSize ?? 65536;
    this.#table = new DynamicTable(this.#maxTableSize);
  }

  /** True when the last decoded block was larger than `maxHeaderListSize`. */
  get isListTooLarge(): boolean {
    return this.#isListTooLarge;
  }

  /** The current dynamic table size in octets (for tests and metrics). */
  get tableSize(): number {
    return this.#table.size;
  }

  /** Entries in the dynamic table. */
  get tableLength(): number {
    return this.#table.length;
  }

  /**
   * Lowers or raises the limit we advertise. Takes effect for blocks decoded after it; the
   * peer must follow with a size update (RFC 7541 §4.2).
   */
  setMaxTableSize(size: number): void {
    this.#maxTableSize = size;
    if (this.#table.maxSize > size) this.#table.setMaxSize(size);
  }

  /**
   * Decodes one complete header block. Throws `RWS_H2_COMPRESSION_ERROR` on any coding error;
   * the connection must then end (RFC 9113 §4.3).
   */
  decode(block: Uint8Array, start = 0, end: number = block.length): string[] {
    const out: string[] = [];
    const table = this.#table;
    let listSize = 0;
    let pos = start;
    let isFieldSeen = false;
    this.#isListTooLarge = false;
    while (pos < end) {
      const b = block[pos]!;
      let name: string;
      let value: string;
      if ((b & 0x80) !== 0) {
        // Indexed field (§6.1).
        const index = this.#int(block, pos, end, 7);
        pos = this.#next;
        if (index === 0) throw compression('index 0');
        if (index <= STATIC_COUNT) {
          const entry = STATIC_TABLE[index]!;
          name = entry[0];
          value = entry[1];
        } else {
          const i = index - STATIC_COUNT - 1;
          if (i >= table.length) throw compression(`index ${index} beyond the dynamic table`);
          name = table.name(i);
          value = table.value(i);
        }
      } else if ((b & 0xe0) === 0x20) {
        // Dynamic table size update (§6.3): only before the first field (§4.2).
        if (isFieldSeen) throw compression('table size update after a field');
        const size = this.#int(block, pos, end, 5);
        pos = this.#next;
        if (size > this.#maxTableSize) {
          throw compression(`table size update to ${size} above the limit ${this.#maxTableSize}`);
        }
        table.setMaxSize(size);
        continue;
      } else {
        // Literal (§6.2): with incremental indexing (01), without (0000) or never (0001).
        const isIndexing = (b & 0xc0) === 0x40;
        const index = this.#int(block, pos, end, isIndexing ? 6 : 4);
        pos = this.#next;
        if (index === 0) {
          name = this.#string(block, pos, end);
          pos = this.#next;
        } else if (index <= STATIC_COUNT) {
          name = STATIC_TABLE[index]![0];
        } else {
          const i = index - STATIC_COUNT - 1;
          if (i >= table.length) throw compression(`index ${index} beyond the dynamic table`);
          name = table.name(i);
        }
        value = this.#string(block, pos, end);
        pos = this.#next;
        if (isIndexing) table.add(name, value, name.length + value.length);
      }
      isFieldSeen = true;
      listSize += name.length + value.length + 32;
      if (listSize > this.#maxListSize) this.#isListTooLarge = true;
      else out.push(name, value);
    }
    return this.#isListTooLarge ? [] : out;
  }

  /** Position after the last integer or string read (avoids allocating a result pair). */
  #next = 0;

  /** Decodes a prefix integer (§5.1). Values above 2^31 are refused. */
  #int(src: Uint8Array, pos: number, end: number, prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let value = src[pos]! & max;
    pos++;
    if (value === max) {
      let shift = 0;
      for (;;) {
        if (pos >= end) throw compression('truncated integer');
        const b = src[pos++]!;
        value += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if ((b & 0x80) === 0) break;
        if (shift > 28) throw compression('integer too large');
      }
      if (value > 0x7fffffff) throw compression('integer too large');
    }
    this.#next = pos;
    return value;
  }

  /** Decodes a string literal (§5.2) as Latin-1. */
  #string(src: Uint8Array, pos: number, end: number): string {
    if (pos >= end) throw compression('truncated string');
    const isHuffman = (src[pos]! & 0x80) !== 0;
    const length = this.#int(src, pos, end, 7);
    pos = this.#next;
    if (length > end - pos) throw compression('string longer than the block');
    this.#next = pos + length;
    if (isHuffman) {
      const s = huffmanDecode(src, pos, pos + length);
      if (s === null) throw compression('invalid Huffman code or padding');
      return s;
    }
    return Buffer.from(src.buffer, src.byteOffset + pos, length).toString('latin1');
  }
}

function compression(what: string): RwsError {
  return new RwsError(ERROR_CODES.COMPRESSION_ERROR, `HPACK: ${what}`);
}
