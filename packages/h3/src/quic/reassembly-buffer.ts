import { TRANSPORT_ERROR, transportError } from '../errors.js';

/**
 * Puts received byte ranges (CRYPTO or STREAM frame data) back in order. Ranges may arrive out
 * of order, duplicated or overlapping; `read()` hands out the contiguous bytes from the current
 * read offset. Buffered out-of-order bytes are bounded by `maxBufferedBytes`, so a peer cannot
 * make us hold more than that per stream.
 */
export class ReassemblyBuffer {
  /** Everything before this offset was handed out. */
  #readOffset = 0;
  /** Out-of-order pieces, sorted by offset, not overlapping, all above #readOffset. */
  #pieces: Array<{ offset: number; data: Uint8Array }> = [];
  #buffered = 0;
  /** Raised when a stream's receive window grows. */
  maxBufferedBytes: number;
  readonly #overflowCode: number;

  constructor(
    maxBufferedBytes: number,
    overflowCode: number = TRANSPORT_ERROR.CRYPTO_BUFFER_EXCEEDED,
  ) {
    this.maxBufferedBytes = maxBufferedBytes;
    this.#overflowCode = overflowCode;
  }

  /** Offset of the next byte `read()` will return. */
  get readOffset(): number {
    return this.#readOffset;
  }

  /** Bytes held out of order. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Adds `data` at `offset`; parts already read or already held are dropped. */
  insert(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    let cursor = Math.max(offset, this.#readOffset);
    if (cursor >= end) return;
    // Walk the held pieces and keep only the gaps between them that the new range covers.
    const gaps: Array<{ offset: number; data: Uint8Array }> = [];
    for (const p of this.#pieces) {
      const pEnd = p.offset + p.data.length;
      if (pEnd <= cursor) continue;
      if (p.offset >= end) break;
      if (p.offset > cursor)
        gaps.push({ offset: cursor, data: data.subarray(cursor - offset, p.offset - offset) });
      cursor = pEnd;
      if (cursor >= end) break;
    }
    if (cursor < end) gaps.push({ offset: cursor, data: data.subarray(cursor - offset) });
    for (const gap of gaps) this.#add(gap.offset, gap.data);
    if (gaps.length > 0) this.#pieces.sort((a, b) => a.offset - b.offset);
  }

  #add(offset: number, data: Uint8Array): void {
    if (this.#buffered + data.length > this.maxBufferedBytes) {
      throw transportError(
        this.#overflowCode,
        `more than ${this.maxBufferedBytes} bytes buffered out of order`,
      );
    }
    // Copy: the packet buffer the data views into is not ours to keep.
    this.#pieces.push({ offset, data: data.slice() });
    this.#buffered += data.length;
  }

  /** The next contiguous bytes, or undefined when the next byte has not arrived. */
  read(): Uint8Array | undefined {
    const first = this.#pieces[0];
    if (first === undefined || first.offset !== this.#readOffset) return undefined;
    this.#pieces.shift();
    this.#buffered -= first.data.length;
    this.#readOffset += first.data.length;
    return first.data;
  }
}
