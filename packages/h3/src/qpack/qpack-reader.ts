import { huffmanDecode } from '@rws/h2';
import { qpackError } from '../errors.js';

/** Thrown when an instruction runs past the bytes received so far; the caller waits for more. */
export const NEED_MORE: unique symbol = Symbol('qpack.needMore');

/** Integers above this are refused: no index, length or capacity we accept comes close. */
const MAX_INTEGER = 2 ** 32;

/**
 * A cursor over QPACK bytes: prefix integers (RFC 7541 §5.1, as RFC 9204 §4.1.1 uses them) and
 * string literals (RFC 9204 §4.1.2). Malformed input throws one `Http3Error` with the caller's
 * QPACK error code; running out of input throws `NEED_MORE`.
 */
export class QpackReader {
  readonly #buf: Uint8Array;
  readonly #errorCode: number;
  readonly #maxStringLength: number;
  pos: number;

  constructor(buf: Uint8Array, errorCode: number, maxStringLength: number, pos = 0) {
    this.#buf = buf;
    this.#errorCode = errorCode;
    this.#maxStringLength = maxStringLength;
    this.pos = pos;
  }

  get hasMore(): boolean {
    return this.pos < this.#buf.length;
  }

  /** The next byte, without consuming it. */
  peek(): number {
    if (this.pos >= this.#buf.length) throw NEED_MORE;
    return this.#buf[this.pos]!;
  }

  /** A prefix integer whose first byte keeps its low `prefixBits` bits for the value. */
  int(prefixBits: number): number {
    const mask = (1 << prefixBits) - 1;
    let value = this.peek() & mask;
    this.pos++;
    if (value < mask) return value;
    let multiplier = 1;
    for (;;) {
      const byte = this.peek();
      this.pos++;
      value += (byte & 0x7f) * multiplier;
      if (value > MAX_INTEGER) throw this.error(`integer above ${MAX_INTEGER}`);
      if ((byte & 0x80) === 0) return value;
      multiplier *= 128;
    }
  }

  /**
   * A string literal: the Huffman flag is the bit just above the `prefixBits`-bit length.
   * Field values are octets; they come back as Latin-1 strings, one char per octet.
   */
  string(prefixBits: number): string {
    const isHuffman = (this.peek() & (1 << prefixBits)) !== 0;
    const length = this.int(prefixBits);
    if (length > this.#maxStringLength) {
      throw this.error(`string of ${length} bytes exceeds the limit of ${this.#maxStringLength}`);
    }
    const end = this.pos + length;
    if (end > this.#buf.length) throw NEED_MORE;
    let text: string | null;
    if (isHuffman) text = huffmanDecode(this.#buf, this.pos, end);
    else
      text = Buffer.from(this.#buf.buffer, this.#buf.byteOffset + this.pos, length).toString(
        'latin1',
      );
    if (text === null) throw this.error('invalid Huffman-coded string');
    this.pos = end;
    return text;
  }

  /** An error with this reader's QPACK code. */
  error(message: string): Error {
    return qpackError(this.#errorCode, message);
  }
}
