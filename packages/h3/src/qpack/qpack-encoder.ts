import { checkFieldBytes, RwsError } from '@rws/core';
import { ERROR_CODES, HTTP3_ERROR } from '../errors.js';
import { entrySize } from './dynamic-table.js';
import { EncoderTable } from './encoder-table.js';
import type { HeaderField } from './qpack-decoder.js';
import { NEED_MORE, QpackReader } from './qpack-reader.js';
import { QpackWriter } from './qpack-writer.js';
import { staticExactIndex, staticNameIndex } from './static-table.js';

/** How the encoder may use the dynamic table, and where its instructions go. */
export interface QpackEncoderOptions {
  /** The most table capacity we use, whatever the peer allows (default 4096; 0: static only). */
  readonly maxTableCapacity?: number;
  /** Receives the bytes to write on our encoder stream (RFC 9204 §4.2). */
  readonly onEncoderStream?: (bytes: Uint8Array) => void;
  /** Field names never put in the dynamic table and sent as never-indexed literals. */
  readonly sensitive?: ReadonlySet<string>;
  /** False writes strings raw, never Huffman-coded (to compare with RFC 9204's examples). */
  readonly huffman?: boolean;
}

/** Credentials: indexing them would let a peer that shares the table probe them (RFC 9204 §7.1). */
const SENSITIVE: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
]);

/** Fields whose values rarely repeat: inserting them only churns the table. */
const UNIQUE_VALUES: ReadonlySet<string> = new Set([
  'content-length',
  'content-range',
  'date',
  'etag',
  'last-modified',
  'expires',
  'age',
  'location',
  'if-none-match',
  'if-modified-since',
  'x-request-id',
]);

/** A field section the decoder has not acknowledged yet, and the entries it refers to. */
interface PendingSection {
  readonly requiredInsertCount: number;
  readonly refs: readonly number[];
}

/**
 * The QPACK encoder of one HTTP/3 connection. Until the peer's SETTINGS allow a dynamic
 * table it uses the static table and literals only. Then it inserts repeated fields (never
 * credentials, nor values that rarely repeat), references them, duplicates entries about to
 * be evicted, and evicts only entries the decoder acknowledged and no pending section needs.
 * A section refers to unacknowledged entries only while the streams that could block stay
 * within the peer's SETTINGS_QPACK_BLOCKED_STREAMS.
 * @see RFC 9204 §2.1, §4.3, §4.5
 */
export class QpackEncoder {
  readonly #table = new EncoderTable();
  readonly #maxTableCapacity: number;
  readonly #onEncoderStream: (bytes: Uint8Array) => void;
  readonly #sensitive: ReadonlySet<string>;
  readonly #huffman: boolean;
  /** Unacknowledged sections per stream, oldest first (a stream has headers and trailers). */
  readonly #pending = new Map<number, PendingSection[]>();
  /** Decoder stream bytes that end inside an instruction. */
  #partial: Uint8Array = new Uint8Array(0);
  /** Insertions the decoder is known to have received (RFC 9204 §2.1.4). */
  #knownReceivedCount = 0;
  #maxEntries = 0;
  #maxBlockedStreams = 0;
  /**
   * The peer's SETTINGS_MAX_FIELD_SECTION_SIZE (unlimited until its SETTINGS arrive): a larger
   * section is refused before anything is inserted (RFC 9114 §4.2.2).
   */
  maxFieldSectionSize: number = Number.POSITIVE_INFINITY;

  constructor(options: QpackEncoderOptions = {}) {
    this.#maxTableCapacity = options.maxTableCapacity ?? 4096;
    this.#onEncoderStream = options.onEncoderStream ?? (() => {});
    this.#sensitive = options.sensitive ?? SENSITIVE;
    this.#huffman = options.huffman ?? true;
  }

  /** The dynamic table as we built it (for tests and diagnostics). */
  get table(): EncoderTable {
    return this.#table;
  }

  get knownReceivedCount(): number {
    return this.#knownReceivedCount;
  }

  /** Streams with a section that refers to insertions the decoder may not have yet. */
  get blockingStreams(): number {
    let count = 0;
    for (const sections of this.#pending.values()) if (this.#isBlocking(sections)) count++;
    return count;
  }

  /**
   * Applies the peer's SETTINGS_QPACK_MAX_TABLE_CAPACITY and SETTINGS_QPACK_BLOCKED_STREAMS
   * (0 when absent). Sets our table capacity on the encoder stream when it is not 0.
   */
  configure(peerMaxTableCapacity: number, peerBlockedStreams: number): void {
    if (this.#maxEntries > 0 || this.#table.capacity > 0) return;
    const capacity = Math.min(peerMaxTableCapacity, this.#maxTableCapacity);
    // MaxEntries comes from the decoder's maximum, not the capacity we use (§4.5.1.1).
    this.#maxEntries = Math.floor(peerMaxTableCapacity / 32);
    this.#maxBlockedStreams = peerBlockedStreams;
    if (capacity === 0) return;
    this.#table.setCapacity(capacity);
    // Set Dynamic Table Capacity (§4.3.1).
    this.#onEncoderStream(new QpackWriter().int(0x20, 5, capacity).finish());
  }

  /**
   * Encodes a field section (the payload of a HEADERS frame) of `streamId`; names lower case,
   * byte strings (one char per octet). A char above 0xFF (`RWS_CORE_INVALID_HEADER`) or a
   * section over the peer's limit throws before anything is inserted or referenced.
   */
  encode(input: Iterable<HeaderField>, streamId: number): Uint8Array {
    const fields = Array.isArray(input) ? (input as readonly HeaderField[]) : [...input];
    for (const [name, value] of fields) checkFieldBytes(name, value);
    return this.encodeTrusted(fields, streamId);
  }

  /**
   * Encodes like `encode` without the check for a char above 0xFF, for fields known to be byte
   * strings: those of a core `Headers` (validated when set, or parsed from octets), numbers,
   * ASCII constants, or fields already passed through `checkFieldBytes`. The server's responses
   * use it: there the check could not fail. A char above 0xFF given here goes out as its low
   * byte.
   */
  encodeTrusted(input: Iterable<HeaderField>, streamId: number): Uint8Array {
    const fields = Array.isArray(input) ? (input as readonly HeaderField[]) : [...input];
    const size = fieldSectionSize(fields);
    if (size > this.maxFieldSectionSize) {
      throw new RwsError(
        ERROR_CODES.FIELD_SECTION_TOO_LARGE,
        `a field section of ${size} bytes exceeds the peer's SETTINGS_MAX_FIELD_SECTION_SIZE of ${this.maxFieldSectionSize}`,
      );
    }
    const table = this.#table;
    const base = table.insertCount;
    const instructions = new QpackWriter(this.#huffman);
    const lines = new QpackWriter(this.#huffman);
    const sections = this.#pending.get(streamId);
    const mayBlock =
      (sections !== undefined && this.#isBlocking(sections)) ||
      this.blockingStreams < this.#maxBlockedStreams;
    const refs: number[] = [];
    const pin = (absolute: number): void => {
      refs.push(absolute);
      // Pinned at once, so a later insertion of this same section cannot evict it.
      table.addRef(absolute, 1);
    };
    const reference = (absolute: number): void => {
      pin(absolute);
      // Indexed Field Line (§4.5.2) or with Post-Base Index (§4.5.3).
      if (absolute < base) lines.int(0x80, 6, base - 1 - absolute);
      else lines.int(0x10, 4, absolute - base);
    };
    const nameReference = (absolute: number, isSensitive: boolean): void => {
      pin(absolute);
      // Literal Field Line with (dynamic) Name Reference (§4.5.4, T=0) or with Post-Base Name
      // Reference (§4.5.5); N as for the static form.
      if (absolute < base) lines.int(isSensitive ? 0x60 : 0x40, 4, base - 1 - absolute);
      else lines.int(isSensitive ? 0x08 : 0x00, 3, absolute - base);
    };
    for (const [name, value] of fields) {
      const exact = staticExactIndex(name, value);
      if (exact >= 0) {
        lines.int(0xc0, 6, exact);
        continue;
      }
      const isSensitive = this.#sensitive.has(name);
      if (!isSensitive && table.capacity > 0) {
        const absolute = this.#findUsable(name, value, mayBlock, instructions);
        if (absolute >= 0) {
          reference(absolute);
          continue;
        }
      }
      // Literal Field Line with Name Reference (§4.5.4), static or dynamic, or Literal Name
      // (§4.5.6); the N bit asks intermediaries never to index sensitive values. A value kept
      // out of the table (unique per message, too large, no room) still saves its name.
      const nameIndex = staticNameIndex(name);
      const dynamicName =
        nameIndex >= 0 || table.capacity === 0 ? -1 : this.#usableName(name, mayBlock);
      if (nameIndex >= 0) lines.int(isSensitive ? 0x70 : 0x50, 4, nameIndex);
      else if (dynamicName >= 0) nameReference(dynamicName, isSensitive);
      else lines.string(isSensitive ? 0x30 : 0x20, 3, name);
      lines.string(0, 7, value);
    }
    const emitted = instructions.finish();
    if (emitted.length > 0) this.#onEncoderStream(emitted);
    let ric = 0;
    for (const absolute of refs) ric = Math.max(ric, absolute + 1);
    const prefix = new QpackWriter();
    if (ric === 0) {
      prefix.int(0, 8, 0).int(0, 7, 0);
    } else {
      // Encoded Required Insert Count and signed Delta Base (§4.5.1).
      prefix.int(0, 8, (ric % (2 * this.#maxEntries)) + 1);
      if (base >= ric) prefix.int(0, 7, base - ric);
      else prefix.int(0x80, 7, ric - base - 1);
      const section = { requiredInsertCount: ric, refs };
      if (sections === undefined) this.#pending.set(streamId, [section]);
      else sections.push(section);
    }
    return Buffer.concat([prefix.finish(), lines.finish()]);
  }

  /**
   * A dynamic entry holding exactly this field that the section may refer to, inserting or
   * duplicating one when that is worth it and possible; -1 when the field goes as a literal.
   */
  #findUsable(name: string, value: string, mayBlock: boolean, out: QpackWriter): number {
    const table = this.#table;
    const known = this.#knownReceivedCount;
    const existing = table.findExact(name, value);
    const isUsable = (absolute: number): boolean => absolute < known || mayBlock;
    if (existing >= 0 && !table.isDraining(existing)) return isUsable(existing) ? existing : -1;
    const size = entrySize(name, value);
    if (UNIQUE_VALUES.has(name) || size > table.capacity / 2 || !table.canInsert(size, known)) {
      return existing >= 0 && isUsable(existing) ? existing : -1;
    }
    if (existing >= 0) {
      // Duplicate (§4.3.4): a fresh copy of an entry that is about to be evicted.
      out.int(0, 5, table.insertCount - 1 - existing);
    } else {
      const nameIndex = staticNameIndex(name);
      const dynamicName = nameIndex >= 0 ? -1 : table.findName(name);
      // Insert with Static or Dynamic Name Reference (§4.3.2; a dynamic one is relative to
      // the insert count, and the decoder reads the name before this insertion may evict its
      // entry, §3.2.2), else with Literal Name (§4.3.3). The encoder stream is ordered, so a
      // dynamic name reference never blocks.
      if (nameIndex >= 0) out.int(0xc0, 6, nameIndex);
      else if (dynamicName >= 0) out.int(0x80, 6, table.insertCount - 1 - dynamicName);
      else out.string(0x40, 5, name);
      out.string(0, 7, value);
    }
    const inserted = table.insert(name, value);
    // Inserted speculatively even when the section may not block on it: the next one can use it.
    return mayBlock ? inserted : -1;
  }

  /**
   * A dynamic entry whose name a literal field line may refer to: acknowledged (or the section
   * may block) and not draining, since a reference pins it where new insertions need room.
   */
  #usableName(name: string, mayBlock: boolean): number {
    const table = this.#table;
    const absolute = table.findName(name);
    if (absolute < 0 || table.isDraining(absolute)) return -1;
    return absolute < this.#knownReceivedCount || mayBlock ? absolute : -1;
  }

  #isBlocking(sections: readonly PendingSection[]): boolean {
    return sections.some((s) => s.requiredInsertCount > this.#knownReceivedCount);
  }

  #release(section: PendingSection): void {
    for (const absolute of section.refs) this.#table.addRef(absolute, -1);
  }

  /**
   * Reads the peer decoder's instructions (RFC 9204 §4.4): Section Acknowledgment, Stream
   * Cancellation, Insert Count Increment. An acknowledgment of nothing pending or an increment
   * beyond our insertions is `Http3Error` QPACK_DECODER_STREAM_ERROR.
   */
  onDecoderStream(chunk: Uint8Array): void {
    const buf = this.#partial.length === 0 ? chunk : Buffer.concat([this.#partial, chunk]);
    const r = new QpackReader(buf, HTTP3_ERROR.QPACK_DECODER_STREAM_ERROR, 0);
    let start = 0;
    try {
      while (r.hasMore) {
        const first = r.peek();
        if ((first & 0x80) !== 0) this.#sectionAcknowledged(r, r.int(7));
        else if ((first & 0x40) !== 0) this.#streamCancelled(r.int(6));
        else this.#insertCountIncrement(r, r.int(6));
        start = r.pos;
      }
    } catch (error) {
      if (error !== NEED_MORE) throw error;
    }
    this.#partial = buf.slice(start);
  }

  #sectionAcknowledged(r: QpackReader, streamId: number): void {
    const sections = this.#pending.get(streamId);
    const section = sections?.shift();
    if (section === undefined) {
      throw r.error(`Section Acknowledgment for stream ${streamId}, which has none pending`);
    }
    if (sections!.length === 0) this.#pending.delete(streamId);
    this.#release(section);
    this.#knownReceivedCount = Math.max(this.#knownReceivedCount, section.requiredInsertCount);
  }

  #streamCancelled(streamId: number): void {
    for (const section of this.#pending.get(streamId) ?? []) this.#release(section);
    this.#pending.delete(streamId);
  }

  #insertCountIncrement(r: QpackReader, increment: number): void {
    const known = this.#knownReceivedCount + increment;
    if (increment === 0 || known > this.#table.insertCount) {
      throw r.error(
        `Insert Count Increment of ${increment} beyond the ${this.#table.insertCount} entries inserted`,
      );
    }
    this.#knownReceivedCount = known;
  }
}

/** A section's size as SETTINGS_MAX_FIELD_SECTION_SIZE counts it (RFC 9114 §4.2.2). */
function fieldSectionSize(fields: readonly HeaderField[]): number {
  let size = 0;
  for (const [name, value] of fields) size += name.length + value.length + 32;
  return size;
}
