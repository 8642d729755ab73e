import { type QuicError, transportError } from '../errors.js';
import { readVarint } from './varint.js';

/**
 * A bounds-checked cursor over received bytes. Every read past the end, or any value the
 * caller rejects through `fail()`, throws one QuicError with the code given at construction:
 * FRAME_ENCODING_ERROR for frames, TRANSPORT_PARAMETER_ERROR for transport parameters, a TLS
 * decode_error for handshake messages. Parsers therefore never throw anything else.
 */
export class ByteReader {
  readonly buf: Uint8Array;
  offset: number;
  end: number;
  readonly #makeError: (message: string) => QuicError;

  constructor(
    buf: Uint8Array,
    makeError: (message: string) => QuicError = (m) => transportError(0x07, m),
    offset = 0,
    end: number = buf.length,
  ) {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
    this.#makeError = makeError;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.offset;
  }

  /** An error of this reader's kind; callers `throw reader.fail('…')`. */
  fail(message: string): QuicError {
    return this.#makeError(message);
  }

  #need(n: number, what: string): void {
    if (this.offset + n > this.end)
      throw this.fail(`${what} runs past the end (${n} bytes needed, ${this.remaining} left)`);
  }

  u8(what = 'a byte'): number {
    this.#need(1, what);
    return this.buf[this.offset++]!;
  }

  u16(what = 'a 16-bit field'): number {
    this.#need(2, what);
    const v = (this.buf[this.offset]! << 8) | this.buf[this.offset + 1]!;
    this.offset += 2;
    return v;
  }

  u24(what = 'a 24-bit length'): number {
    this.#need(3, what);
    const b = this.buf;
    const v = (b[this.offset]! << 16) | (b[this.offset + 1]! << 8) | b[this.offset + 2]!;
    this.offset += 3;
    return v;
  }

  u32(what = 'a 32-bit field'): number {
    this.#need(4, what);
    const b = this.buf;
    const o = this.offset;
    this.offset += 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  varint(what = 'a varint'): number {
    if (this.offset >= this.end) throw this.fail(`${what} runs past the end`);
    const size = 1 << (this.buf[this.offset]! >> 6);
    this.#need(size, what);
    const v = readVarint(this.buf, this.offset);
    this.offset += size;
    return v;
  }

  /** `n` bytes as a view into the received buffer (no copy). */
  bytes(n: number, what = 'a field'): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0) throw this.fail(`${what} has an impossible length ${n}`);
    this.#need(n, what);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** A reader over the next `n` bytes (for length-prefixed vectors); this one skips them. */
  sub(n: number, what = 'a vector'): ByteReader {
    this.#need(n, what);
    const r = new ByteReader(this.buf, this.#makeError, this.offset, this.offset + n);
    this.offset += n;
    return r;
  }
}
