/**
 * The serialised header fields of the last response a server wrote, kept per prefix: most
 * responses of a server repeat the fields of the one before (a handler's constant
 * `content-type`, a cached file's prebuilt validators and caching fields), often with one
 * field that changes per request appended last (`x-request-id`). The fields up to the first
 * difference are reused as one already-built string instead of being concatenated again, so
 * a repeated response costs a comparison of string references per field.
 *
 * Equality is checked field by field on a private copy of the previous list, so a `Headers`
 * changed in place after it was written can never make a stale block look current.
 */
import { parseContentLength } from '@rws/core';

/** `closes`: a handler's `Connection: close`. */
const CLOSES = 1;
const HAS_DATE = 2;
const HAS_TRAILER = 4;

export class FieldBlocks {
  /** Copy of the previous response's `[name, value, …]`. */
  #list: string[] = [];
  /**
   * `#text[k]`: the serialised ordinary fields among the first `k` pairs; null when only the
   * last pair changed and its text was not built (see `serialize`): `#text[k - 1]` and that pair.
   */
  #text: (string | null)[] = [''];
  #flags: number[] = [0];
  #lengths: number[] = [-1];

  /** `text`, or null until asked for (`lead` and the tail, see `serialize`). */
  #full: string | null = '';
  /**
   * `text` split around its last field's value, when the list ends in a field it serialises:
   * `text` is `lead + tailName + ': ' + tailValue + '\r\n'`. `lead` is the same string while the
   * fields before the last repeat, so a response whose last field changes per request (a
   * request id) is recognised by reference (see ResponseMemo). Else `lead` is `text` and the
   * tail is empty.
   */
  lead = '';
  tailName = '';
  tailValue = '';
  /** The handler's own Content-Length (the last valid one), or -1. */
  handlerLength = -1;
  /** The handler asked to close the connection. */
  isClose = false;
  hasDate = false;
  hasTrailerField = false;

  /**
   * Serialises `list` into `text` and the flags. The transport owns `Connection`,
   * `Content-Length` and `Transfer-Encoding`: they are read, not copied.
   */
  serialize(list: readonly string[]): void {
    const prev = this.#list;
    const n = list.length;
    const max = Math.min(n, prev.length);
    let i = 0;
    while (i < max && list[i] === prev[i] && list[i + 1] === prev[i + 1]) i += 2;
    // The same fields as last time (a handler's constant ones): everything is as it was.
    if (i === n && prev.length === n) return;
    if (i === n - 2 && prev.length === n && isPlain(list[i]!)) {
      // Only the last field's value or name changed (a request id): what a repeated head
      // needs is `lead` and the tail; the joined `text` is built only if someone asks.
      const k = i >> 1;
      const name = list[i]!;
      const value = list[i + 1]!;
      prev[i] = name;
      prev[i + 1] = value;
      this.#text[k + 1] = null;
      this.#full = null;
      this.lead = this.#textAt(k);
      this.tailName = name;
      this.tailValue = value;
      // A plain field leaves the flags and the length as the fields before it set them.
      const flags = this.#flags[k]!;
      const length = this.#lengths[k]!;
      this.#flags[k + 1] = flags;
      this.#lengths[k + 1] = length;
      this.handlerLength = length;
      this.isClose = (flags & CLOSES) !== 0;
      this.hasDate = (flags & HAS_DATE) !== 0;
      this.hasTrailerField = (flags & HAS_TRAILER) !== 0;
      return;
    }
    this.#serializeFrom(list, i);
  }

  /**
   * `serialize` from pair `i` on, the first that differs from the previous list. Its own
   * function: it runs when the fields before the last change (once a second for a relayed Date),
   * and code of `serialize` that ran that rarely would have no type feedback when it does,
   * sending the optimised function back to a lower tier.
   */
  #serializeFrom(list: readonly string[], i: number): void {
    const prev = this.#list;
    const n = list.length;
    const start = i;
    let k = i >> 1;
    let text = this.#textAt(k);
    let flags = this.#flags[k]!;
    let length = this.#lengths[k]!;
    if (i < n || prev.length !== n) {
      const texts = this.#text;
      const allFlags = this.#flags;
      const lengths = this.#lengths;
      for (; i < n; i += 2) {
        const name = list[i]!;
        const value = list[i + 1]!;
        switch (name.length) {
          case 10:
            // The transport owns Connection; a handler asking to close is honoured.
            if (name === 'connection') {
              if (value.toLowerCase().indexOf('close') !== -1) flags |= CLOSES;
            } else text += `${name}: ${value}\r\n`;
            break;
          case 14:
            if (name === 'content-length') length = parseContentLength(value);
            else text += `${name}: ${value}\r\n`;
            break;
          case 17:
            if (name !== 'transfer-encoding') text += `${name}: ${value}\r\n`;
            break;
          case 4:
            if (name === 'date') flags |= HAS_DATE;
            text += `${name}: ${value}\r\n`;
            break;
          case 7:
            if (name === 'trailer') flags |= HAS_TRAILER;
            text += `${name}: ${value}\r\n`;
            break;
          default:
            text += `${name}: ${value}\r\n`;
        }
        k++;
        texts[k] = text;
        allFlags[k] = flags;
        lengths[k] = length;
      }
      // Setting `.length` takes V8's slow path even when it does not change (~400
      // instructions each), and a response whose last field changes per request (a request
      // id) keeps the same lengths every time: assign only when they differ.
      if (texts.length !== k + 1) {
        texts.length = k + 1;
        allFlags.length = k + 1;
        lengths.length = k + 1;
      }
      // Copied into the private array in place, from the first difference on: a response
      // whose last field changes per request (a request id) allocates no new array.
      for (let j = start; j < n; j++) prev[j] = list[j]!;
      if (prev.length !== n) prev.length = n;
    }
    this.#full = text;
    const last = n - 2;
    if (last < 0 || isTransportOwned(list[last]!)) {
      this.lead = text;
      this.tailName = '';
      this.tailValue = '';
    } else {
      this.lead = this.#textAt(last >> 1);
      this.tailName = list[last]!;
      this.tailValue = list[last + 1]!;
    }
    this.handlerLength = length;
    this.isClose = (flags & CLOSES) !== 0;
    this.hasDate = (flags & HAS_DATE) !== 0;
    this.hasTrailerField = (flags & HAS_TRAILER) !== 0;
  }

  /** The serialised fields of the last `serialize` (without the transport-owned ones). */
  get text(): string {
    return (this.#full ??= `${this.lead}${this.tailName}: ${this.tailValue}\r\n`);
  }

  /** `#text[k]`, built from `#text[k - 1]` and the previous list's pair when it was skipped. */
  #textAt(k: number): string {
    const texts = this.#text;
    const text = texts[k];
    if (text !== null) return text!;
    const prev = this.#list;
    const built = `${this.#textAt(k - 1)}${prev[2 * k - 2]}: ${prev[2 * k - 1]}\r\n`;
    texts[k] = built;
    return built;
  }
}

/**
 * A field `serialize` only copies: none of the transport-owned ones, nor Date or Trailer,
 * which set flags.
 */
function isPlain(name: string): boolean {
  switch (name.length) {
    case 4:
      return name !== 'date';
    case 7:
      return name !== 'trailer';
    default:
      return !isTransportOwned(name);
  }
}

/** Connection, Content-Length and Transfer-Encoding: read by `serialize`, never copied. */
function isTransportOwned(name: string): boolean {
  switch (name.length) {
    case 10:
      return name === 'connection';
    case 14:
      return name === 'content-length';
    case 17:
      return name === 'transfer-encoding';
    default:
      return false;
  }
}
