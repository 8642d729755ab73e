import { HTTP3_ERROR, http3Error } from '../errors.js';
import type { QuicStream } from '../quic/quic-stream.js';
import { readVarint } from '../quic/varint.js';
import { FRAME, isReservedHttp2Frame } from './frames.js';

/** A whole frame other than DATA, or a piece of a DATA frame's payload as it arrives. */
export type FrameEvent =
  | { readonly kind: 'frame'; readonly type: number; readonly payload: Uint8Array }
  | { readonly kind: 'data'; readonly chunk: Uint8Array };

/**
 * Splits an HTTP/3 stream into frames, fed one STREAM chunk at a time. DATA payloads are
 * passed on as they arrive (never buffered whole); other frames are collected up to
 * `maxFrameBytes` (beyond: H3_EXCESSIVE_LOAD). Unknown and GREASE frame types are skipped
 * (RFC 9114 §9); reserved HTTP/2 types are H3_FRAME_UNEXPECTED.
 * @see RFC 9114 §7.1
 */
export class FrameReader {
  readonly #maxFrameBytes: number;
  #buf: Uint8Array = new Uint8Array(0);
  /** The frame being read: its type (-1 between frames), whether it is kept, the bytes to come. */
  #type = -1;
  #isSkipped = false;
  #remaining = 0;
  #parts: Uint8Array[] = [];

  constructor(maxFrameBytes = 65536) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** True between frames: the stream may end here (RFC 9114 §7.1, a frame cut short is H3_FRAME_ERROR). */
  get isAtBoundary(): boolean {
    return this.#type < 0 && this.#buf.length === 0;
  }

  /** Feeds the next bytes of the stream; returns the events they complete. */
  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    let buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    let at = 0;
    for (;;) {
      if (this.#type < 0) {
        const type = readVarint(buf, at);
        if (type < 0) break;
        const typeSize = 1 << (buf[at]! >> 6);
        const length = readVarint(buf, at + typeSize);
        if (length < 0) break;
        at += typeSize + (1 << (buf[at + typeSize]! >> 6));
        if (isReservedHttp2Frame(type)) {
          throw http3Error(
            HTTP3_ERROR.H3_FRAME_UNEXPECTED,
            `HTTP/2 frame type 0x${type.toString(16)}`,
          );
        }
        const isKnown =
          type <= FRAME.MAX_PUSH_ID && type !== 0x0c && type !== 0x0a && type !== 0x0b;
        if (type !== FRAME.DATA && isKnown && length > this.#maxFrameBytes) {
          throw http3Error(
            HTTP3_ERROR.H3_EXCESSIVE_LOAD,
            `frame 0x${type.toString(16)} of ${length} bytes exceeds ${this.#maxFrameBytes}`,
          );
        }
        // Unknown types are read past without being kept.
        this.#type = type;
        this.#isSkipped = !isKnown;
        this.#remaining = length;
        this.#parts = [];
      }
      const take = Math.min(this.#remaining, buf.length - at);
      if (take > 0) {
        const piece = buf.subarray(at, at + take);
        if (this.#type === FRAME.DATA) events.push({ kind: 'data', chunk: piece });
        else if (!this.#isSkipped) this.#parts.push(piece);
        at += take;
        this.#remaining -= take;
      }
      if (this.#remaining > 0) break;
      if (!this.#isSkipped && this.#type !== FRAME.DATA) {
        const payload = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts);
        events.push({ kind: 'frame', type: this.#type, payload });
      }
      this.#type = -1;
      this.#parts = [];
      if (at === buf.length) break;
    }
    buf = buf.subarray(at);
    // Keep leftover header bytes only; copy so the caller's chunk can be reused.
    this.#buf = buf.length === 0 ? new Uint8Array(0) : buf.slice();
    return events;
  }
}

/**
 * The frames of a request stream (request or response side); anything but DATA and HEADERS is
 * H3_FRAME_UNEXPECTED, and a stream ending inside a frame H3_FRAME_ERROR (RFC 9114 §4.1).
 */
export async function* messageEvents(
  stream: QuicStream,
  reader: FrameReader,
): AsyncGenerator<FrameEvent, void, undefined> {
  for await (const chunk of stream) {
    for (const event of reader.push(chunk)) {
      if (event.kind === 'frame' && event.type !== FRAME.HEADERS) {
        throw http3Error(
          HTTP3_ERROR.H3_FRAME_UNEXPECTED,
          `frame 0x${event.type.toString(16)} on a request stream`,
        );
      }
      yield event;
    }
  }
  if (!reader.isAtBoundary)
    throw http3Error(HTTP3_ERROR.H3_FRAME_ERROR, 'a request stream ends inside a frame');
}
