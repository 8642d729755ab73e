/**
 * Incremental decoder for the chunked transfer coding (RFC 9112 §7.1), shared by the server
 * (request bodies) and the client (response bodies). Data chunks are handed out as
 * `subarray`s of the input (no copy). Chunk extensions are skipped (bounded), trailers are
 * parsed with the shared field parser. Every malformed byte is an error: a decoder that is
 * lenient here is a request-smuggling vector behind a proxy.
 */
import { ERROR_CODES, type Http1ErrorCode } from '../errors.js';
import { FieldSection, parseFieldSection } from './field-parser.js';
import { FIELD_VALUE, HEX } from './token-table.js';

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const SEMI = 59;

const S_SIZE = 0;
const S_SIZE_WS = 1;
const S_EXT = 2;
const S_SIZE_LF = 3;
const S_DATA = 4;
const S_DATA_CR = 5;
const S_DATA_LF = 6;
const S_TRAILER_START = 7;
const S_TRAILERS = 8;
const S_END_LF = 9;
const S_DONE = 10;
const S_ERROR = 11;

/** Limits of a `ChunkedDecoder`. */
export interface ChunkedDecoderOptions {
  /** Most hex digits in a chunk size (leading zeros count). Default 16. */
  maxSizeDigits?: number | undefined;
  /** Most bytes of chunk extensions over the whole body. Default 16 KiB. */
  maxExtensionBytes?: number | undefined;
  /** Most bytes in the trailer section. Default 16 KiB. */
  maxTrailerBytes?: number | undefined;
  /** Most trailer fields. Default 100. */
  maxTrailerCount?: number | undefined;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Decodes one chunked body. Feed it with `decode()` until `isDone` or `error` is set.
 */
export class ChunkedDecoder {
  /** Set when the body is malformed or a limit was crossed; decoding stops. */
  error: Http1ErrorCode | null = null;
  /** True once the last chunk and the trailer section have been read. */
  isDone = false;
  /** The trailer fields (flat lower-cased list), set when done; empty when none were sent. */
  trailers: string[] | null = null;
  /** Total data bytes decoded so far. */
  bodyBytes = 0;

  #state = S_SIZE;
  #size = 0;
  #digits = 0;
  #remaining = 0;
  #extBytes = 0;
  #trailerBuf: Buffer | null = null;
  readonly #maxSizeDigits: number;
  readonly #maxExtensionBytes: number;
  readonly #maxTrailerBytes: number;
  readonly #maxTrailerCount: number;

  constructor(options: ChunkedDecoderOptions = {}) {
    this.#maxSizeDigits = options.maxSizeDigits ?? 16;
    this.#maxExtensionBytes = options.maxExtensionBytes ?? 16 * 1024;
    this.#maxTrailerBytes = options.maxTrailerBytes ?? 16 * 1024;
    this.#maxTrailerCount = options.maxTrailerCount ?? 100;
  }

  /**
   * Decodes `buf[start..]`, pushing data slices (views of `buf`, not copies) onto `out`.
   * Returns the offset just past what was consumed: `buf.length` when more input is needed,
   * less when the body ended inside `buf` (the rest belongs to the next message), or -1 on
   * error (see `error`).
   */
  decode(buf: Buffer, start: number, out: Uint8Array[]): number {
    const len = buf.length;
    let pos = start;
    let state = this.#state;
    while (pos < len) {
      switch (state) {
        case S_SIZE: {
          const c = buf[pos]!;
          const h = HEX[c]!;
          if (h !== 0) {
            if (++this.#digits > this.#maxSizeDigits) return this.#fail();
            this.#size = this.#size * 16 + (h - 1);
            if (this.#size > Number.MAX_SAFE_INTEGER) return this.#fail();
            pos++;
            break;
          }
          // At least one digit, then `;` (extension), CR, or whitespace before `;` (BWS).
          if (this.#digits === 0) return this.#fail();
          if (c === CR) state = S_SIZE_LF;
          else if (c === SEMI) state = S_EXT;
          else if (c === SP || c === HTAB) state = S_SIZE_WS;
          else return this.#fail();
          pos++;
          break;
        }
        case S_SIZE_WS: {
          const c = buf[pos]!;
          // RFC 9112 §7.1.1: BWS is allowed only before a chunk extension. `1 \r\n` is
          // rejected because parsers disagree about it.
          if (c === SEMI) state = S_EXT;
          else if (c !== SP && c !== HTAB) return this.#fail();
          pos++;
          break;
        }
        case S_EXT: {
          // Extensions are ignored; any field-value byte is skipped, CR ends the line.
          const c = buf[pos]!;
          if (c === CR) state = S_SIZE_LF;
          else if (FIELD_VALUE[c] === 0) return this.#fail();
          else if (++this.#extBytes > this.#maxExtensionBytes) return this.#fail();
          pos++;
          break;
        }
        case S_SIZE_LF: {
          if (buf[pos] !== LF) return this.#fail();
          pos++;
          if (this.#size === 0) {
            state = S_TRAILER_START;
          } else {
            this.#remaining = this.#size;
            state = S_DATA;
          }
          break;
        }
        case S_DATA: {
          const n = Math.min(this.#remaining, len - pos);
          out.push(buf.subarray(pos, pos + n));
          pos += n;
          this.bodyBytes += n;
          this.#remaining -= n;
          if (this.#remaining === 0) state = S_DATA_CR;
          break;
        }
        case S_DATA_CR:
          if (buf[pos] !== CR) return this.#fail();
          pos++;
          state = S_DATA_LF;
          break;
        case S_DATA_LF:
          if (buf[pos] !== LF) return this.#fail();
          pos++;
          this.#size = 0;
          this.#digits = 0;
          state = S_SIZE;
          break;
        case S_TRAILER_START:
          if (buf[pos] === CR) {
            pos++;
            state = S_END_LF;
          } else {
            state = S_TRAILERS;
          }
          break;
        case S_TRAILERS: {
          const prev = this.#trailerBuf;
          const prevLen = prev === null ? 0 : prev.length;
          const joined =
            prev === null ? buf.subarray(pos) : Buffer.concat([prev, buf.subarray(pos)]);
          // The section ends with an empty line; the first field line has no CRLF before it,
          // so search for CRLF CRLF after a virtual CRLF (the one that ended the last chunk).
          const at = joined.indexOf(CRLFCRLF, Math.max(0, prevLen - 3));
          if (at === -1) {
            if (joined.length > this.#maxTrailerBytes)
              return this.#fail(ERROR_CODES.HEADERS_TOO_LARGE);
            this.#trailerBuf = Buffer.from(joined);
            this.#state = state;
            return len;
          }
          if (at + 4 > this.#maxTrailerBytes) return this.#fail(ERROR_CODES.HEADERS_TOO_LARGE);
          const section = new FieldSection();
          const err = parseFieldSection(joined, 0, at + 2, this.#maxTrailerCount, section);
          if (err !== null) return this.#fail(err);
          this.trailers = section.list;
          this.#trailerBuf = null;
          pos += at + 4 - prevLen;
          this.isDone = true;
          this.#state = S_DONE;
          return pos;
        }
        case S_END_LF:
          if (buf[pos] !== LF) return this.#fail();
          pos++;
          this.trailers = [];
          this.isDone = true;
          this.#state = S_DONE;
          return pos;
        default:
          // S_DONE / S_ERROR: nothing more belongs to this body.
          return state === S_DONE ? pos : -1;
      }
    }
    this.#state = state;
    return pos;
  }

  #fail(code: Http1ErrorCode = ERROR_CODES.INVALID_CHUNK): number {
    this.error = code;
    this.#state = S_ERROR;
    return -1;
  }
}
