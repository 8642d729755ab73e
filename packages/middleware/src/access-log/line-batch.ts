/**
 * The access log's pending lines, encoded into a reused buffer as they are queued. Kept as
 * strings until their batch was written, they were trees of concatenations (~1 KB of heap per
 * 250-character line) that survived the young-generation collections falling between two
 * writes, and a scavenge's pause grows with what survives it (issue #11). A small `Buffer` per
 * line cut the survivors too, but made V8's GC a larger share of the time than the strings did
 * (a typed array per line); here there is no object per line at all.
 */

// Imported rather than read from the global: Node's global `Buffer` is a getter, a call per use.
import { Buffer } from 'node:buffer';
import { writeUtf8 } from '../internal/access-log/byte-writes.js';

/** Bytes of one batch buffer: several writes' worth (a write starts at `minWriteBytes`). */
const BATCH_BYTES = 64 * 1024;

export class LineBatch {
  #buf: Buffer = Buffer.allocUnsafeSlow(BATCH_BYTES);
  #used = 0;
  /** Full buffers (lines came faster than they were written), oldest first. */
  #sealed: Buffer[] = [];
  #sealedBytes = 0;
  /** A batch buffer whose bytes were written: the next one to fill. */
  #spare: Buffer | null = null;

  /** Bytes queued. */
  get bytes(): number {
    return this.#sealedBytes + this.#used;
  }

  /** Queues `line` and a newline. */
  add(line: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a lone surrogate becomes U+FFFD).
    const worst = line.length * 3 + 1;
    if (this.#used + worst > this.#buf.length) {
      if (this.#used > 0) {
        this.#sealed.push(this.#buf.subarray(0, this.#used));
        this.#sealedBytes += this.#used;
      }
      this.#buf = worst > BATCH_BYTES ? Buffer.allocUnsafeSlow(worst) : this.#fresh();
      this.#used = 0;
    }
    this.#used += writeUtf8(this.#buf, line, this.#used);
    this.#buf[this.#used++] = 10;
  }

  /**
   * Everything queued, as one buffer, leaving the batch empty. Hand it to `release` once it is
   * written, so its memory can take later lines.
   */
  take(): Buffer {
    let out: Buffer;
    if (this.#sealed.length === 0) {
      out = this.#buf.subarray(0, this.#used);
    } else {
      if (this.#used > 0) this.#sealed.push(this.#buf.subarray(0, this.#used));
      out = Buffer.concat(this.#sealed, this.bytes);
      this.#sealed = [];
      this.#sealedBytes = 0;
    }
    this.#buf = this.#fresh();
    this.#used = 0;
    return out;
  }

  /** `out` (from `take`) has been written: a batch buffer behind it is reused. */
  release(out: Buffer): void {
    if (this.#spare === null && out.byteOffset === 0 && out.buffer.byteLength === BATCH_BYTES) {
      this.#spare = Buffer.from(out.buffer);
    }
  }

  #fresh(): Buffer {
    const spare = this.#spare;
    this.#spare = null;
    return spare ?? Buffer.allocUnsafeSlow(BATCH_BYTES);
  }
}
