import { RwsError } from '@rws/core';
import { ERROR_CODES, HTTP3_ERROR, http3Error, qpackError } from '../errors.js';
import { DynamicTable } from './dynamic-table.js';
import { NEED_MORE, QpackReader } from './qpack-reader.js';
import { QpackWriter } from './qpack-writer.js';
import { STATIC_TABLE } from './static-table.js';

/** One field line: a lower-case name and its value (octets as a Latin-1 string). */
export type HeaderField = readonly [name: string, value: string];

/** Settings this decoder announces to the peer's encoder, and where its instructions go. */
export interface QpackDecoderOptions {
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY we send (default 4096; 0 turns the dynamic table off). */
  readonly maxTableCapacity?: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS we send (default 16). */
  readonly maxBlockedStreams?: number;
  /** SETTINGS_MAX_FIELD_SECTION_SIZE we send: name + value + 32 per line (default 64 KiB). */
  readonly maxFieldSectionSize?: number;
  /** Receives the bytes to write on our decoder stream (RFC 9204 §4.2). */
  readonly onDecoderStream?: (bytes: Uint8Array) => void;
}

interface BlockedSection {
  readonly requiredInsertCount: number;
  readonly block: Uint8Array;
  readonly resolve: (fields: HeaderField[]) => void;
  readonly reject: (error: unknown) => void;
}

const { QPACK_DECOMPRESSION_FAILED, QPACK_ENCODER_STREAM_ERROR } = HTTP3_ERROR;

/**
 * The QPACK decoder of one HTTP/3 connection: applies the peer encoder's instructions to the
 * dynamic table, decodes field sections (waiting for insertions a section needs, up to the
 * blocked-streams limit), and writes Section Acknowledgment, Stream Cancellation and Insert
 * Count Increment instructions.
 * @see RFC 9204 §2.2, §4.3, §4.4, §4.5
 */
export class QpackDecoder {
  readonly #table = new DynamicTable();
  readonly #maxTableCapacity: number;
  readonly #maxBlockedStreams: number;
  readonly #maxFieldSectionSize: number;
  readonly #onDecoderStream: (bytes: Uint8Array) => void;
  readonly #blocked = new Map<number, BlockedSection>();
  /** Encoder stream bytes that end inside an instruction. */
  #pending: Uint8Array = new Uint8Array(0);
  /** Insert count the peer's encoder knows we received (RFC 9204 §2.1.4). */
  #knownReceivedCount = 0;

  constructor(options: QpackDecoderOptions = {}) {
    this.#maxTableCapacity = options.maxTableCapacity ?? 4096;
    this.#maxBlockedStreams = options.maxBlockedStreams ?? 16;
    this.#maxFieldSectionSize = options.maxFieldSectionSize ?? 65536;
    this.#onDecoderStream = options.onDecoderStream ?? (() => {});
  }

  /** The dynamic table as the peer's encoder built it (for tests and diagnostics). */
  get table(): DynamicTable {
    return this.#table;
  }

  /** Streams waiting for encoder instructions. */
  get blockedStreams(): number {
    return this.#blocked.size;
  }

  /**
   * Applies bytes received on the peer's encoder stream. An instruction split across calls
   * waits for the rest. Throws `Http3Error` QPACK_ENCODER_STREAM_ERROR, a connection error;
   * a section it unblocks that turns out malformed rejects that section's `decode()`.
   */
  onEncoderStream(chunk: Uint8Array): void {
    const buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    // No string longer than the table capacity can be part of a valid insertion.
    const reader = new QpackReader(buf, QPACK_ENCODER_STREAM_ERROR, this.#maxTableCapacity);
    let start = 0;
    try {
      while (reader.hasMore) {
        this.#encoderInstruction(reader);
        start = reader.pos;
      }
    } catch (error) {
      if (error !== NEED_MORE) throw error;
    }
    this.#pending = buf.slice(start);
    this.#unblock();
  }

  #encoderInstruction(r: QpackReader): void {
    const first = r.peek();
    const table = this.#table;
    if ((first & 0x80) !== 0) {
      // Insert With Name Reference (§4.3.2): T bit picks static or dynamic (relative index).
      const isStatic = (first & 0x40) !== 0;
      const index = r.int(6);
      const value = r.string(7);
      const name = isStatic
        ? STATIC_TABLE[index]?.[0]
        : table.get(table.insertCount - 1 - index)?.[0];
      if (name === undefined) throw r.error(`insertion names a missing entry (index ${index})`);
      this.#insert(r, name, value);
    } else if ((first & 0x40) !== 0) {
      // Insert With Literal Name (§4.3.3).
      const name = r.string(5);
      const value = r.string(7);
      this.#insert(r, name, value);
    } else if ((first & 0x20) !== 0) {
      // Set Dynamic Table Capacity (§4.3.1).
      const capacity = r.int(5);
      if (capacity > this.#maxTableCapacity) {
        throw r.error(
          `dynamic table capacity ${capacity} exceeds the maximum of ${this.#maxTableCapacity}`,
        );
      }
      table.setCapacity(capacity);
    } else {
      // Duplicate (§4.3.4).
      const index = r.int(5);
      const entry = table.get(table.insertCount - 1 - index);
      if (entry === undefined) throw r.error(`duplicate of a missing entry (index ${index})`);
      this.#insert(r, entry[0], entry[1]);
    }
  }

  #insert(r: QpackReader, name: string, value: string): void {
    if (!this.#table.insert(name, value)) {
      throw r.error(
        `entry of ${name.length + value.length + 32} bytes exceeds the table capacity ${this.#table.capacity}`,
      );
    }
  }

  /** Decodes sections whose insertions arrived; acknowledges insertions no section did. */
  #unblock(): void {
    const insertCount = this.#table.insertCount;
    const out = new QpackWriter();
    for (const [streamId, section] of this.#blocked) {
      if (section.requiredInsertCount > insertCount) continue;
      this.#blocked.delete(streamId);
      // A malformed section fails its own decode() promise, not the encoder stream.
      try {
        section.resolve(this.#decodeNow(streamId, section.block, out));
      } catch (error) {
        section.reject(error);
      }
    }
    if (insertCount > this.#knownReceivedCount) {
      // Insert Count Increment (§4.4.3).
      out.int(0x00, 6, insertCount - this.#knownReceivedCount);
      this.#knownReceivedCount = insertCount;
    }
    this.#emit(out);
  }

  /**
   * Decodes one encoded field section (the payload of a HEADERS frame) of `streamId`. The
   * promise waits when the section needs insertions not received yet. Rejects with
   * `Http3Error` QPACK_DECOMPRESSION_FAILED (a connection error) for a malformed section, a
   * reference outside the table, or one blocked stream too many.
   */
  decode(streamId: number, block: Uint8Array): Promise<HeaderField[]> {
    try {
      const ric = this.#requiredInsertCount(block);
      if (ric <= this.#table.insertCount) {
        const out = new QpackWriter();
        const fields = this.#decodeNow(streamId, block, out);
        this.#emit(out);
        return Promise.resolve(fields);
      }
      if (this.#blocked.size >= this.#maxBlockedStreams) {
        throw qpackError(
          QPACK_DECOMPRESSION_FAILED,
          `stream ${streamId} would be blocked beyond the limit of ${this.#maxBlockedStreams} blocked streams`,
        );
      }
      return new Promise((resolve, reject) => {
        this.#blocked.set(streamId, { requiredInsertCount: ric, block, resolve, reject });
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The stream was reset or abandoned before its section was decoded: forget a blocked
   * section and tell the encoder (Stream Cancellation, §4.4.2) so it releases references.
   */
  cancelStream(streamId: number): void {
    const blocked = this.#blocked.get(streamId);
    if (blocked !== undefined) {
      this.#blocked.delete(streamId);
      blocked.reject(new RwsError(ERROR_CODES.STREAM_RESET, `stream ${streamId} was cancelled`));
    }
    // With no dynamic table there is nothing to release (§4.4.2).
    if (this.#maxTableCapacity > 0) this.#emit(new QpackWriter().int(0x40, 6, streamId));
  }

  #emit(out: QpackWriter): void {
    const bytes = out.finish();
    if (bytes.length > 0) this.#onDecoderStream(bytes);
  }

  #reader(block: Uint8Array): QpackReader {
    return new QpackReader(block, QPACK_DECOMPRESSION_FAILED, this.#maxFieldSectionSize);
  }

  /** Required Insert Count from the section prefix (§4.5.1.1). */
  #requiredInsertCount(block: Uint8Array, r = this.#reader(block)): number {
    const encoded = guard(() => r.int(8));
    if (encoded === 0) return 0;
    const maxEntries = Math.floor(this.#maxTableCapacity / 32);
    const fullRange = 2 * maxEntries;
    if (encoded > fullRange) {
      throw r.error(`encoded Required Insert Count ${encoded} is out of range`);
    }
    const maxValue = this.#table.insertCount + maxEntries;
    const maxWrapped = Math.floor(maxValue / fullRange) * fullRange;
    let ric = maxWrapped + encoded - 1;
    if (ric > maxValue) {
      if (ric <= fullRange) throw r.error(`encoded Required Insert Count ${encoded} is invalid`);
      ric -= fullRange;
    }
    if (ric === 0) throw r.error('encoded Required Insert Count decodes to 0');
    return ric;
  }

  #decodeNow(streamId: number, block: Uint8Array, out: QpackWriter): HeaderField[] {
    const r = this.#reader(block);
    const ric = this.#requiredInsertCount(block, r);
    const signAndDelta = guard(() => r.peek());
    const delta = guard(() => r.int(7));
    let base: number;
    if ((signAndDelta & 0x80) === 0) base = ric + delta;
    else if (delta < ric) base = ric - delta - 1;
    else throw r.error(`Base is negative (Required Insert Count ${ric}, Delta Base ${delta})`);
    const fields: HeaderField[] = [];
    let size = 0;
    let largest = -1;
    const dynamic = (absolute: number): readonly [string, string] => {
      if (absolute >= ric) {
        throw r.error(
          `reference to dynamic entry ${absolute} at or above Required Insert Count ${ric}`,
        );
      }
      const entry = this.#table.get(absolute);
      if (entry === undefined) throw r.error(`reference to evicted dynamic entry ${absolute}`);
      if (absolute > largest) largest = absolute;
      return entry;
    };
    const staticEntry = (index: number): readonly [string, string] => {
      const entry = STATIC_TABLE[index];
      if (entry === undefined) throw r.error(`static table index ${index} does not exist`);
      return entry;
    };
    guard(() => {
      while (r.hasMore) {
        const first = r.peek();
        let field: HeaderField;
        if ((first & 0x80) !== 0) {
          // Indexed Field Line (§4.5.2).
          const index = r.int(6);
          field = (first & 0x40) !== 0 ? staticEntry(index) : dynamic(base - 1 - index);
        } else if ((first & 0x40) !== 0) {
          // Literal Field Line with Name Reference (§4.5.4).
          const index = r.int(4);
          const name = ((first & 0x10) !== 0 ? staticEntry(index) : dynamic(base - 1 - index))[0];
          field = [name, r.string(7)];
        } else if ((first & 0x20) !== 0) {
          // Literal Field Line with Literal Name (§4.5.6).
          const name = r.string(3);
          field = [name, r.string(7)];
        } else if ((first & 0x10) !== 0) {
          // Indexed Field Line with Post-Base Index (§4.5.3).
          field = dynamic(base + r.int(4));
        } else {
          // Literal Field Line with Post-Base Name Reference (§4.5.5).
          const name = dynamic(base + r.int(3))[0];
          field = [name, r.string(7)];
        }
        size += field[0].length + field[1].length + 32;
        if (size > this.#maxFieldSectionSize) {
          throw http3Error(
            HTTP3_ERROR.H3_EXCESSIVE_LOAD,
            `field section exceeds the limit of ${this.#maxFieldSectionSize} bytes`,
          );
        }
        fields.push(field);
      }
    });
    if (ric > 0) {
      // A Required Insert Count larger than needed is an error (§4.5.1.1).
      if (largest + 1 !== ric) {
        throw r.error(`Required Insert Count ${ric} but the largest reference is ${largest}`);
      }
      // Section Acknowledgment (§4.4.1).
      out.int(0x80, 7, streamId);
      if (ric > this.#knownReceivedCount) this.#knownReceivedCount = ric;
    }
    return fields;
  }
}

/** A field section is complete: running out of bytes inside it is malformed. */
function guard<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error === NEED_MORE) {
      throw qpackError(QPACK_DECOMPRESSION_FAILED, 'field section ends inside a field line');
    }
    throw error;
  }
}
