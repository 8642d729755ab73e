import { RwsError } from '@rws/core';
import { ERROR_CODES } from './errors.js';
import { CONNECTION_PREFACE, FRAME_HEADER_SIZE } from './frames.js';

/** Receives each complete frame. `payload` is only valid during the call unless copied. */
export type FrameHandler = (type: number, flags: number, streamId: number, payload: Buffer) => void;

/**
 * Splits a byte stream into HTTP/2 frames (RFC 9113 §4.1), after checking the client
 * connection preface when asked to (§3.4). Chunks are kept as they arrive and joined only
 * when a frame straddles them. Errors are thrown as `RwsError`s with `h2Code` set to the
 * RFC 9113 §7 code of the connection error.
 */
export class FrameParser {
  #buf: Buffer = Buffer.alloc(0);
  #isPrefaceNeeded: boolean;
  /** The largest frame payload we accept (our SETTINGS_MAX_FRAME_SIZE). */
  maxFrameSize: number;
  readonly #onFrame: FrameHandler;

  constructor(onFrame: FrameHandler, options: { isServer?: boolean; maxFrameSize?: number } = {}) {
    this.#onFrame = onFrame;
    this.#isPrefaceNeeded = options.isServer ?? true;
    this.maxFrameSize = options.maxFrameSize ?? 16384;
  }

  /** Feeds bytes; calls the frame handler for each complete frame. */
  push(chunk: Buffer): void {
    let buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    let pos = 0;
    if (this.#isPrefaceNeeded) {
      const n = Math.min(buf.length, CONNECTION_PREFACE.length);
      if (buf.compare(CONNECTION_PREFACE, 0, n, 0, n) !== 0) {
        throw protocolError('the connection preface is missing or wrong');
      }
      if (buf.length < CONNECTION_PREFACE.length) {
        this.#buf = buf;
        return;
      }
      pos = CONNECTION_PREFACE.length;
      this.#isPrefaceNeeded = false;
    }
    while (buf.length - pos >= FRAME_HEADER_SIZE) {
      const length = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
      if (length > this.maxFrameSize) {
        throw new H2ConnectionError(
          ERROR_CODES.FRAME_SIZE_ERROR,
          `a frame of ${length} bytes exceeds SETTINGS_MAX_FRAME_SIZE ${this.maxFrameSize}`,
          0x6,
        );
      }
      if (buf.length - pos < FRAME_HEADER_SIZE + length) break;
      const type = buf[pos + 3]!;
      const flags = buf[pos + 4]!;
      const streamId = buf.readUInt32BE(pos + 5) & 0x7fffffff;
      const start = pos + FRAME_HEADER_SIZE;
      pos = start + length;
      this.#onFrame(type, flags, streamId, buf.subarray(start, pos));
      // The handler may have stopped the connection.
      if (this.#isStopped) return;
    }
    // Keep only the unparsed tail; copy it so the big chunk can be collected.
    this.#buf = pos === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
    buf = this.#buf;
  }

  #isStopped = false;

  /** Drops buffered input and ignores what is being parsed. */
  stop(): void {
    this.#isStopped = true;
    this.#buf = Buffer.alloc(0);
  }
}

/** A connection error: the connection ends with GOAWAY carrying `h2Code`. */
export class H2ConnectionError extends RwsError {
  readonly h2Code: number;

  constructor(code: string, message: string, h2Code: number) {
    super(code, message);
    this.h2Code = h2Code;
  }
}

function protocolError(message: string): H2ConnectionError {
  return new H2ConnectionError(ERROR_CODES.PROTOCOL_ERROR, message, 0x1);
}
