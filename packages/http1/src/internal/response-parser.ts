/**
 * Incremental, strict HTTP/1.1 response parser for the client (RFC 9112). It is fed socket
 * chunks with `execute()` and reports the response through callbacks. It shares the header
 * field parser and the chunked decoder with the server, so both sides apply the same rules:
 * everything that could desynchronise a connection (and let a response be smuggled into
 * another exchange) is an `RWS_HTTP1_INVALID_RESPONSE` error naming the problem — both
 * Content-Length and Transfer-Encoding, bad or differing Content-Length, obs-fold, bare CR
 * or LF, invalid token characters, bad chunk sizes. The socket is never reused after one.
 */
import type { RwsError } from '@rws/core';
import { ERROR_CODES, type Http1ErrorCode } from '../errors.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import { CLIENT_ERROR_CODES, clientError, invalidResponse } from './client-errors.js';
import {
  CONN_CLOSE,
  CONN_KEEP_ALIVE,
  FieldSection,
  parseFieldSection,
  TE_ABSENT,
  TE_CHUNKED,
  TE_CODINGS_THEN_CHUNKED,
  TE_NOT_CHUNKED,
} from './field-parser.js';
import { latin1 } from './token-table.js';

// The byte constants are locals of the functions that use them: a module-scope constant is
// a context load plus a type check at each use in optimised code, a local one is folded.

/** The empty line that ends a head, after the last line's CRLF. */
const HEAD_END: Buffer = Buffer.from('\r\n\r\n', 'latin1');

/** Most header fields in a response head (past it: `RWS_HTTP1_RESPONSE_TOO_LARGE`). */
const MAX_FIELD_COUNT = 256;

/** Body framing chosen from the response head (RFC 9112 §6.3). */
type ResponseFraming = 'none' | 'length' | 'chunked' | 'close' | 'tunnel';

/** A parsed final (non-1xx) response head. */
export interface ResponseHead {
  readonly status: number;
  readonly statusText: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly versionMinor: number;
  /** Flat lower-cased `[name, value, …]`. */
  readonly fields: string[];
  readonly framing: ResponseFraming;
  /** Content-Length for `length` framing, else -1. */
  readonly contentLength: number;
  /** False when the connection cannot carry another exchange after this one. */
  readonly isKeepAlive: boolean;
}

/** Callbacks the connection gives the parser. */
export interface ResponseParserHandlers {
  /** A 1xx interim response (RFC 9110 §15.2), e.g. 100 Continue or 103 Early Hints. */
  onInformational(status: number, statusText: string, fields: string[]): void;
  onHead(head: ResponseHead): void;
  onBody(chunk: Buffer): void;
  /** The response is complete; `hasExtra` when bytes followed it (a protocol error). */
  onComplete(trailers: string[] | null, hasExtra: boolean): void;
  /**
   * After a `tunnel` head (101 to an upgrade, 2xx to CONNECT): the connection is no longer
   * HTTP; `rest` holds the bytes that followed the head. Nothing more is parsed.
   */
  onTunnel?(rest: Buffer): void;
}

/** Options of a `ResponseParser`. */
export interface ResponseParserOptions {
  /** Limit for a status line plus header section, and separately for a trailer section. */
  maxHeaderBytes: number;
  /** True when the request method was HEAD: the response has no body (RFC 9110 §9.3.2). */
  isHeadRequest: boolean;
  /** The request asked for an upgrade (101 accepted) or was CONNECT (2xx opens a tunnel). */
  tunnel?: 'upgrade' | 'connect' | null | undefined;
}

const S_HEAD: number = 0;
const S_BODY_LENGTH: number = 1;
const S_BODY_CLOSE: number = 2;
const S_CHUNKED: number = 3;
const S_DONE: number = 4;
const S_TUNNEL: number = 5;

/** Names the problem behind a shared-codec error code, for the client's error message. */
function describe(code: Http1ErrorCode, where: string): RwsError {
  switch (code) {
    case ERROR_CODES.OBS_FOLD:
      return invalidResponse(`obs-fold (line folding) in the ${where} (RFC 9112 §5.2)`);
    case ERROR_CODES.INVALID_LINE_ENDING:
      return invalidResponse(`bare CR or LF in the ${where} (RFC 9112 §2.2)`);
    case ERROR_CODES.INVALID_CONTENT_LENGTH:
      return invalidResponse('invalid or differing content-length values (RFC 9112 §6.3)');
    case ERROR_CODES.TOO_MANY_HEADERS:
      return clientError(
        CLIENT_ERROR_CODES.RESPONSE_TOO_LARGE,
        `more than ${MAX_FIELD_COUNT} fields in the ${where}`,
      );
    case ERROR_CODES.HEADERS_TOO_LARGE:
      return clientError(
        CLIENT_ERROR_CODES.RESPONSE_TOO_LARGE,
        `response ${where} exceeds maxResponseHeaderBytes`,
      );
    case ERROR_CODES.INVALID_CHUNK:
      return invalidResponse(
        'malformed chunked body: bad chunk size, chunk extension or missing CRLF (RFC 9112 §7.1)',
      );
    default:
      return invalidResponse(
        `invalid field in the ${where}: bad name character, whitespace before the colon or a control character in a value (RFC 9112 §5)`,
      );
  }
}

/**
 * One parser per response. A connection creates a new one for every request, so state never
 * leaks between exchanges.
 */
export class ResponseParser {
  #handlers: ResponseParserHandlers;
  // The options' values, not the object: a caller's literal that does not escape can then be
  // left unallocated by the optimising compiler (one object fewer per exchange).
  #maxHeaderBytes: number;
  #isHeadRequest: boolean;
  #tunnel: 'upgrade' | 'connect' | null;
  #state = S_HEAD;
  /** Head bytes received so far but not yet terminated by an empty line. */
  #pending: Buffer | null = null;
  /** Offset in `#pending` up to which lines were already checked. */
  #scanFrom = 0;
  /** The status line's LF, relative to the head's start, once `#findHeadEnd` has seen it. */
  #statusLf = -1;
  #remaining = 0;
  #decoder: ChunkedDecoder | null = null;
  /** The decoder's output, made with it (most responses are not chunked). */
  #out: Uint8Array[] | null = null;
  #head: ResponseHead | null = null;
  /** Any byte arrived (an interim response counts: the server saw the request). */
  #hasBytes = false;

  constructor(handlers: ResponseParserHandlers, options: ResponseParserOptions) {
    this.#handlers = handlers;
    this.#maxHeaderBytes = options.maxHeaderBytes;
    this.#isHeadRequest = options.isHeadRequest;
    this.#tunnel = options.tunnel ?? null;
  }

  /** True once any response byte was seen (so a retry is unsafe). */
  get hasStarted(): boolean {
    return this.#hasBytes;
  }

  /**
   * Feeds bytes from the socket. Throws an `RwsError` on a protocol violation. `isLent`: the
   * bytes are the shared read buffer's (lent-reads.ts), valid during this call only, so
   * whatever outlives it (an unfinished head, body bytes) is copied first; a head parsed
   * within the call keeps nothing of them (its strings are copies).
   */
  execute(chunk: Buffer, isLent = false): void {
    this.#hasBytes = true;
    let data = chunk;
    let offset = 0;
    while (offset < data.length) {
      switch (this.#state) {
        case S_HEAD: {
          if (this.#pending !== null) {
            data = Buffer.concat([this.#pending, data.subarray(offset)]);
            offset = 0;
            this.#pending = null;
            isLent = false;
          }
          const end = this.#findHeadEnd(data, offset);
          if (end === -1) {
            this.#pending = isLent ? copyOut(data, offset, data.length) : data.subarray(offset);
            return;
          }
          this.#scanFrom = 0;
          const isFinal = this.#parseHead(data, offset, end);
          offset = end;
          if (this.#state === S_TUNNEL) {
            // The handler copies these bytes (or drops them) before it returns.
            this.#handlers.onTunnel?.(data.subarray(offset));
            return;
          }
          if (isFinal && this.#state === S_DONE) {
            this.#handlers.onComplete(null, offset < data.length);
            return;
          }
          break;
        }
        case S_BODY_LENGTH: {
          const take = Math.min(this.#remaining, data.length - offset);
          // Body bytes are queued for the reader: a lent piece becomes a Buffer of its own,
          // copied in one step (as Node's ordinary reads are).
          const piece = isLent
            ? copyOut(data, offset, offset + take)
            : data.subarray(offset, offset + take);
          offset += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = S_DONE;
          this.#handlers.onBody(piece);
          if (this.#state === S_DONE) {
            this.#handlers.onComplete(null, offset < data.length);
            return;
          }
          break;
        }
        case S_BODY_CLOSE:
          this.#handlers.onBody(
            isLent
              ? copyOut(data, offset, data.length)
              : offset === 0
                ? data
                : data.subarray(offset),
          );
          return;
        case S_CHUNKED: {
          if (isLent) {
            // The decoder hands out (and may hold) views of its input: give it a copy.
            data = copyOut(data, offset, data.length);
            offset = 0;
            isLent = false;
          }
          const decoder = this.#decoder!;
          const out = this.#out!;
          const next = decoder.decode(data, offset, out);
          for (let i = 0; i < out.length; i++) this.#handlers.onBody(out[i] as Buffer);
          out.length = 0;
          if (next === -1) throw describe(decoder.error!, 'trailer section');
          offset = next;
          if (decoder.isDone) {
            this.#state = S_DONE;
            const trailers = decoder.trailers;
            this.#handlers.onComplete(
              trailers === null || trailers.length === 0 ? null : trailers,
              offset < data.length,
            );
            return;
          }
          break;
        }
        case S_TUNNEL:
          return;
        default:
          // Bytes after a complete response: with no pipelining nothing may follow it.
          this.#handlers.onComplete(null, true);
          return;
      }
    }
  }

  /**
   * The socket ended. Completes a close-delimited body (RFC 9112 §6.3 item 8); anything else
   * unfinished is a `RWS_HTTP1_SOCKET_CLOSED` error, returned rather than thrown.
   */
  finish(): RwsError | null {
    if (this.#state === S_DONE || this.#state === S_TUNNEL) return null;
    if (this.#state === S_BODY_CLOSE) {
      this.#state = S_DONE;
      this.#handlers.onComplete(null, false);
      return null;
    }
    if (this.#head === null) {
      return clientError(
        CLIENT_ERROR_CODES.SOCKET_CLOSED,
        this.#pending !== null
          ? 'connection closed in the middle of the response head'
          : this.#hasBytes
            ? 'connection closed after an interim response, before the final one'
            : 'connection closed before any response byte arrived',
      );
    }
    if (this.#state === S_BODY_LENGTH) {
      return clientError(
        CLIENT_ERROR_CODES.SOCKET_CLOSED,
        `connection closed with ${this.#remaining} of ${this.#head.contentLength} body bytes missing`,
      );
    }
    return clientError(
      CLIENT_ERROR_CODES.SOCKET_CLOSED,
      'connection closed in the middle of a chunked response body',
    );
  }

  /**
   * Finds the empty line ending a head and returns the offset after it, or -1 when more
   * bytes are needed. Checks every line ending on the way: a bare LF is rejected (RFC 9112
   * §2.2 lets a recipient accept it, but two parsers disagreeing on line ends is how
   * smuggling starts), and so is a head longer than the limit.
   *
   * A whole head (the usual case: one read) is found with one search for CRLF CRLF instead
   * of one native call per line; its status line's ending is checked here and every later
   * line ending by `parseFieldSection`, which rejects a bare CR or LF anywhere in the
   * section. An unfinished head is scanned line by line, so a bare LF fails at once.
   */
  #findHeadEnd(data: Buffer, start: number): number {
    const CR = 13;
    const LF = 10;
    const limit = this.#maxHeaderBytes;
    const at = data.indexOf(HEAD_END, start);
    if (at !== -1) {
      if (at + 4 - start > limit) throw headTooLarge(limit);
      if (data[start] === CR && data[start + 1] === LF) {
        throw invalidResponse('empty line before the status line');
      }
      const lf = data.indexOf(LF, start);
      if (lf === start || data[lf - 1] !== CR) {
        throw invalidResponse('bare LF in the response head (RFC 9112 §2.2)');
      }
      // Kept so `#parseHead` need not search for the status line's end again.
      this.#statusLf = lf - start;
      return at + 4;
    }
    let lineStart = start + this.#scanFrom;
    for (;;) {
      const lf = data.indexOf(LF, lineStart);
      if (lf === -1) {
        if (data.length - start > limit) throw headTooLarge(limit);
        this.#scanFrom = lineStart - start;
        return -1;
      }
      if (lf + 1 - start > limit) throw headTooLarge(limit);
      if (lf === start || data[lf - 1] !== CR) {
        throw invalidResponse('bare LF in the response head (RFC 9112 §2.2)');
      }
      if (lf - 1 === lineStart) {
        if (lineStart === start) throw invalidResponse('empty line before the status line');
        return lf + 1;
      }
      if (lineStart === start) this.#statusLf = lf - start;
      lineStart = lf + 1;
    }
  }

  /** Parses a head ending at `end` (after its empty line). Returns true for a final one. */
  #parseHead(data: Buffer, start: number, end: number): boolean {
    const CR = 13;
    const SP = 32;
    const HTAB = 9;
    const lineEnd = start + this.#statusLf - 1; // index of the CR (see #findHeadEnd)
    this.#statusLf = -1;
    // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
    if (
      lineEnd - start < 12 ||
      data[start] !== 0x48 || // H
      data[start + 1] !== 0x54 || // T
      data[start + 2] !== 0x54 || // T
      data[start + 3] !== 0x50 || // P
      data[start + 4] !== 0x2f || // /
      data[start + 5] !== 0x31 || // 1
      data[start + 6] !== 0x2e || // .
      (data[start + 7] !== 0x30 && data[start + 7] !== 0x31) ||
      data[start + 8] !== SP
    ) {
      const shown = data.toString('latin1', start, Math.min(lineEnd, start + 40));
      throw invalidResponse(`malformed status line ${JSON.stringify(shown)}`);
    }
    const versionMinor = data[start + 7]! - 0x30;
    const d0 = data[start + 9]! - 0x30;
    const d1 = data[start + 10]! - 0x30;
    const d2 = data[start + 11]! - 0x30;
    // RFC 9110 §15: three digits, first digit 1-5 (no class exists for the others).
    if (d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) {
      const shown = data.toString('latin1', start + 9, start + 12);
      throw invalidResponse(`invalid status code ${JSON.stringify(shown)}`);
    }
    const status = d0 * 100 + d1 * 10 + d2;
    let statusText = '';
    if (lineEnd > start + 12) {
      if (data[start + 12] !== SP) throw invalidResponse('status code is not followed by SP');
      // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ): no other control characters.
      for (let i = start + 13; i < lineEnd; i++) {
        const c = data[i]!;
        if ((c < 0x20 && c !== HTAB) || c === 0x7f) {
          throw invalidResponse(
            c === CR ? 'bare CR in the status line' : 'control character in the reason phrase',
          );
        }
      }
      // The usual reason is a constant string, not a Buffer-to-string call per response.
      statusText =
        lineEnd === start + 15 && data[start + 13] === 0x4f && data[start + 14] === 0x4b
          ? 'OK'
          : latin1(data, start + 13, lineEnd);
    }
    const section = new FieldSection();
    const err = parseFieldSection(data, lineEnd + 2, end - 2, MAX_FIELD_COUNT, section);
    if (err !== null) throw describe(err, 'header section');

    if (status === 101 && this.#tunnel === 'upgrade') {
      return this.#tunnelHead(status, statusText, versionMinor, section);
    }
    // RFC 9112 §6.3 item 2: a 2xx to CONNECT switches to tunnel mode; framing fields are void.
    if (status >= 200 && status < 300 && this.#tunnel === 'connect') {
      return this.#tunnelHead(status, statusText, versionMinor, section);
    }
    if (status < 200) {
      // RFC 9110 §15.2.2: a client that did not ask for an upgrade treats 101 as an error.
      if (status === 101) throw invalidResponse('unexpected 101 Switching Protocols');
      this.#handlers.onInformational(status, statusText, section.list);
      return false;
    }
    const head = this.#frame(status, statusText, versionMinor, section);
    this.#head = head;
    this.#handlers.onHead(head);
    return true;
  }

  /** A head after which the connection carries the tunnel (see `onTunnel`). */
  #tunnelHead(
    status: number,
    statusText: string,
    versionMinor: number,
    section: FieldSection,
  ): true {
    this.#state = S_TUNNEL;
    const head: ResponseHead = {
      status,
      statusText,
      versionMinor,
      fields: section.list,
      framing: 'tunnel',
      contentLength: -1,
      isKeepAlive: false,
    };
    this.#head = head;
    this.#handlers.onHead(head);
    return true;
  }

  /** Chooses the body framing, RFC 9112 §6.3, and rejects ambiguous combinations. */
  #frame(
    status: number,
    statusText: string,
    versionMinor: number,
    section: FieldSection,
  ): ResponseHead {
    const contentLength = section.contentLength;
    const te = section.transferEncoding;
    const conn = section.connection;
    // RFC 9112 §9.3: HTTP/1.1 persists unless `close`; HTTP/1.0 only with `keep-alive`.
    let isKeepAlive =
      (conn & CONN_CLOSE) === 0 && (versionMinor === 1 || (conn & CONN_KEEP_ALIVE) !== 0);

    let framing: ResponseFraming;
    // RFC 9112 §6.3 framing, deliberately narrower than core's isNullBodyStatus: a 205 is
    // framed by its Content-Length (servers send 0), so a sender that adds content anyway
    // does not desynchronise the connection.
    if (this.#isHeadRequest || status === 204 || status === 304) {
      // RFC 9112 §6.3 item 1: no content, whatever the framing fields say.
      framing = 'none';
    } else if (te !== TE_ABSENT) {
      // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
      if (versionMinor === 0) throw invalidResponse('transfer-encoding in an HTTP/1.0 response');
      // RFC 9112 §6.3 item 3: both present is a smuggling attempt or a broken intermediary.
      if (contentLength !== -1) {
        throw invalidResponse('both content-length and transfer-encoding (RFC 9112 §6.3)');
      }
      if (te !== TE_CHUNKED && te !== TE_CODINGS_THEN_CHUNKED) {
        // A final coding other than chunked would make the body close-delimited
        // (§6.3 item 4); a proxy must not guess, so it is refused like on the server.
        throw invalidResponse(
          te === TE_NOT_CHUNKED
            ? 'transfer-encoding does not end in chunked (RFC 9112 §6.3)'
            : 'malformed transfer-encoding (chunked repeated, empty or invalid coding)',
        );
      }
      framing = 'chunked';
    } else if (contentLength !== -1) {
      framing = contentLength === 0 ? 'none' : 'length';
    } else {
      // RFC 9112 §6.3 item 8: read until the server closes; the socket cannot be reused.
      framing = 'close';
      isKeepAlive = false;
    }

    if (framing === 'none') this.#state = S_DONE;
    else if (framing === 'length') {
      this.#state = S_BODY_LENGTH;
      this.#remaining = contentLength;
    } else if (framing === 'chunked') {
      this.#state = S_CHUNKED;
      this.#decoder = new ChunkedDecoder({ maxTrailerBytes: this.#maxHeaderBytes });
      this.#out = [];
    } else this.#state = S_BODY_CLOSE;

    return {
      status,
      statusText,
      versionMinor,
      fields: section.list,
      framing,
      contentLength: framing === 'length' ? contentLength : -1,
      isKeepAlive,
    };
  }
}

/** Bytes above which a native copy beats a loop (a small body is copied byte by byte). */
const SMALL_COPY_BYTES = 64;

/**
 * `data[start, end)` copied into a Buffer of its own (from Node's pool when small): what
 * outlives a lent read. One object, where `Buffer.copyBytesFrom` makes a view and a copy.
 */
function copyOut(data: Buffer, start: number, end: number): Buffer {
  const n = end - start;
  const out = Buffer.allocUnsafe(n);
  if (n <= SMALL_COPY_BYTES) for (let i = 0; i < n; i++) out[i] = data[start + i]!;
  else data.copy(out, 0, start, end);
  return out;
}

function headTooLarge(limit: number): RwsError {
  return clientError(
    CLIENT_ERROR_CODES.RESPONSE_TOO_LARGE,
    `response head exceeds maxResponseHeaderBytes (${limit})`,
  );
}
