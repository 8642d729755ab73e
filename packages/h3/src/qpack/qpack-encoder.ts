import { HTTP3_ERROR } from '../errors.js';
import type { HeaderField } from './qpack-decoder.js';
import { NEED_MORE, QpackReader } from './qpack-reader.js';
import { QpackWriter } from './qpack-writer.js';
import { staticExactIndex, staticNameIndex } from './static-table.js';

/**
 * The QPACK encoder of one HTTP/3 connection. It is conservative: field lines use the static
 * table and literals (Huffman-coded when shorter), never the dynamic table, so no section can
 * block the peer's decoder and the encoder stream stays silent.
 * @see RFC 9204 §2.1, §4.5
 */
export class QpackEncoder {
  /** Decoder stream bytes that end inside an instruction. */
  #pending: Uint8Array = new Uint8Array(0);

  /** Encodes a field section (the payload of a HEADERS frame). Names must be lower case. */
  encode(fields: Iterable<HeaderField>): Uint8Array {
    // Required Insert Count 0 and Base 0: the section refers to no dynamic entry.
    const w = new QpackWriter().int(0, 8, 0).int(0, 7, 0);
    for (const [name, value] of fields) {
      const exact = staticExactIndex(name, value);
      if (exact >= 0) {
        // Indexed Field Line, static (§4.5.2).
        w.int(0xc0, 6, exact);
        continue;
      }
      const nameIndex = staticNameIndex(name);
      if (nameIndex >= 0) w.int(0x50, 4, nameIndex);
      else w.string(0x20, 3, name);
      w.string(0, 7, value);
    }
    return w.finish();
  }

  /**
   * Reads the peer decoder's instructions (RFC 9204 §4.4). This encoder never inserts or
   * references dynamic entries, so a Section Acknowledgment or an Insert Count Increment is
   * the peer's error: `Http3Error` QPACK_DECODER_STREAM_ERROR. Stream Cancellations are fine.
   */
  onDecoderStream(chunk: Uint8Array): void {
    const buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const r = new QpackReader(buf, HTTP3_ERROR.QPACK_DECODER_STREAM_ERROR, 0);
    let start = 0;
    try {
      while (r.hasMore) {
        const first = r.peek();
        if ((first & 0x80) !== 0) {
          const streamId = r.int(7);
          throw r.error(`Section Acknowledgment for stream ${streamId}, which has none pending`);
        }
        if ((first & 0x40) !== 0) {
          r.int(6);
        } else {
          const increment = r.int(6);
          throw r.error(`Insert Count Increment of ${increment} beyond the 0 entries inserted`);
        }
        start = r.pos;
      }
    } catch (error) {
      if (error !== NEED_MORE) throw error;
    }
    this.#pending = buf.slice(start);
  }
}
