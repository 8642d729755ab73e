import { huffmanEncode, huffmanEncodedLength } from '@rws/h2';

/** A growing byte buffer for QPACK prefix integers and string literals. */
export class QpackWriter {
  #buf = new Uint8Array(256);
  #len = 0;
  readonly #isHuffmanAllowed: boolean;

  /** `huffman: false` writes every string raw (to compare with RFC 9204's examples). */
  constructor(huffman = true) {
    this.#isHuffmanAllowed = huffman;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** A prefix integer: `flags` fill the bits above the low `prefixBits` bits of the first byte. */
  int(flags: number, prefixBits: number, value: number): this {
    this.#reserve(10);
    const mask = (1 << prefixBits) - 1;
    if (value < mask) {
      this.#buf[this.#len++] = flags | value;
      return this;
    }
    this.#buf[this.#len++] = flags | mask;
    let rest = value - mask;
    while (rest >= 128) {
      this.#buf[this.#len++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.#buf[this.#len++] = rest;
    return this;
  }

  /**
   * A string literal with a `prefixBits`-bit length and the Huffman flag just above it; Huffman
   * coding is used when it is shorter. `flags` fill the bits above the flag.
   */
  string(flags: number, prefixBits: number, text: string): this {
    const raw = Buffer.from(text, 'latin1');
    const coded = this.#isHuffmanAllowed ? huffmanEncodedLength(raw) : raw.length;
    if (coded < raw.length) {
      this.int(flags | (1 << prefixBits), prefixBits, coded);
      this.#reserve(coded);
      this.#len = huffmanEncode(raw, this.#buf, this.#len);
    } else {
      this.int(flags, prefixBits, raw.length);
      this.#reserve(raw.length);
      this.#buf.set(raw, this.#len);
      this.#len += raw.length;
    }
    return this;
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}
