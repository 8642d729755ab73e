import { varintLength, writeVarint } from './varint.js';

/**
 * A growable byte buffer for building packets, frames and handshake messages. Length-prefixed
 * vectors are written with `beginLength`/`endLength`, which patch the prefix afterwards.
 */
export class ByteWriter {
  #buf: Uint8Array;
  #length = 0;

  /** `capacity` bytes to start with, or a buffer to write into from its start. */
  constructor(capacity: number | Uint8Array = 256) {
    this.#buf = typeof capacity === 'number' ? new Uint8Array(capacity) : capacity;
  }

  get length(): number {
    return this.#length;
  }

  #reserve(n: number): void {
    if (this.#length + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#length + n));
    next.set(this.#buf.subarray(0, this.#length));
    this.#buf = next;
  }

  u8(v: number): this {
    this.#reserve(1);
    this.#buf[this.#length++] = v;
    return this;
  }

  u16(v: number): this {
    this.#reserve(2);
    this.#buf[this.#length++] = v >>> 8;
    this.#buf[this.#length++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.#reserve(3);
    this.#buf[this.#length++] = v >>> 16;
    this.#buf[this.#length++] = (v >>> 8) & 0xff;
    this.#buf[this.#length++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.#reserve(4);
    this.#buf[this.#length++] = v >>> 24;
    this.#buf[this.#length++] = (v >>> 16) & 0xff;
    this.#buf[this.#length++] = (v >>> 8) & 0xff;
    this.#buf[this.#length++] = v & 0xff;
    return this;
  }

  varint(v: number, size?: 1 | 2 | 4 | 8): this {
    const n = size ?? varintLength(v);
    this.#reserve(n);
    this.#length = writeVarint(this.#buf, this.#length, v, n);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#reserve(b.length);
    this.#buf.set(b, this.#length);
    this.#length += b.length;
    return this;
  }

  /** Reserves a `size`-byte big-endian length prefix; returns its position for endLength. */
  beginLength(size: 1 | 2 | 3): number {
    this.#reserve(size);
    const at = this.#length;
    this.#length += size;
    return at;
  }

  /** Fills the prefix reserved at `at` with the bytes written since. */
  endLength(at: number, size: 1 | 2 | 3): this {
    const n = this.#length - at - size;
    if (n >= 2 ** (8 * size))
      throw new RangeError(`vector of ${n} bytes overflows a ${size}-byte length`);
    for (let i = size - 1; i >= 0; i--) this.#buf[at + (size - 1 - i)] = (n >>> (8 * i)) & 0xff;
    return this;
  }

  /** Forgets what was written, keeping the buffer (a scratch writer reused per packet). */
  reset(): this {
    this.#length = 0;
    return this;
  }

  /**
   * Appends `n` bytes for the caller to fill and returns a view of them. The view is valid
   * until the next write (which may move the buffer).
   */
  claim(n: number): Uint8Array {
    this.#reserve(n);
    const at = this.#length;
    this.#length += n;
    return this.#buf.subarray(at, at + n);
  }

  /** The bytes written so far (a view; copy before writing more if kept). */
  /** Moves the end `n` bytes on without a view of them (bytes the caller fills in later). */
  skip(n: number): this {
    this.#reserve(n);
    this.#length += n;
    return this;
  }

  /**
   * The bytes from `start` to the end, in one view (the buffer itself when that is all of it:
   * a datagram sized exactly for its one packet).
   */
  tail(start: number): Uint8Array {
    if (start === 0 && this.#length === this.#buf.length) return this.#buf;
    return this.#buf.subarray(start, this.#length);
  }

  view(): Uint8Array {
    return this.#buf.subarray(0, this.#length);
  }

  /**
   * The bytes written, for a writer that is done: its own buffer when they fill it exactly
   * (a datagram sized up front), else a copy. Views taken earlier stay views of the result.
   */
  done(): Uint8Array {
    return this.#length === this.#buf.length ? this.#buf : this.finish();
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#length);
  }
}
