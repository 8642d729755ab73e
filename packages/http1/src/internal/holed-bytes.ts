import { writeLatin1 } from './buffer-writes.js';

/**
 * Bytes already written, with a hole where one header value was: the same bytes with another
 * value of any length in the hole are copied around it instead of being built and encoded
 * again (see ResponseMemo).
 */
export class HoledBytes {
  #bytes: Uint8Array = new Uint8Array(0);
  #end = 0;
  #holeStart = 0;
  #value = '';
  /** `#bytes` up to `#end`, and the bytes before and after the hole, cut when first needed. */
  #whole: Uint8Array | null = null;
  #before: Uint8Array | null = null;
  #after: Uint8Array | null = null;

  /**
   * Holds `bytes` up to `end`, whose octets from `holeStart` are `value` (one octet per char).
   * `bytes` must not change afterwards. Nothing is cut or copied until the bytes are used: a
   * response written once costs no more than a few stores.
   */
  hold(bytes: Uint8Array, end: number, holeStart: number, value: string): void {
    this.#bytes = bytes;
    this.#end = end;
    this.#holeStart = holeStart;
    this.#value = value;
    this.#whole = null;
    this.#before = null;
    this.#after = null;
  }

  /** The bytes held, with `value` (one octet per char) in the hole: the same bytes when equal. */
  with(value: string): Uint8Array {
    if (value === this.#value) return this.#cutWhole();
    return this.withThen(value, null);
  }

  /** The bytes held, `value` (one octet per char) in the hole, then `then`, in a new buffer. */
  withThen(value: string, then: Uint8Array | null): Buffer {
    const tail = then === null ? 0 : then.byteLength;
    let out: Buffer;
    if (value === this.#value) {
      const whole = this.#cutWhole();
      out = Buffer.allocUnsafe(whole.byteLength + tail);
      out.set(whole, 0);
    } else {
      const bytes = this.#bytes;
      const before = (this.#before ??= bytes.subarray(0, this.#holeStart));
      const after = (this.#after ??= bytes.subarray(
        this.#holeStart + this.#value.length,
        this.#end,
      ));
      const at = before.byteLength + value.length;
      out = Buffer.allocUnsafe(at + after.byteLength + tail);
      out.set(before, 0);
      // A field value is a byte string (one char per octet): as many bytes as chars.
      writeLatin1(out, value, before.byteLength, value.length);
      out.set(after, at);
    }
    if (then !== null) out.set(then, out.byteLength - tail);
    return out;
  }

  #cutWhole(): Uint8Array {
    const bytes = this.#bytes;
    return (this.#whole ??= this.#end === bytes.byteLength ? bytes : bytes.subarray(0, this.#end));
  }
}
