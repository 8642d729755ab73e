import { Buffer } from 'node:buffer';
import type { ByteChannel } from '../internal/byte-channel.js';
import { frameOf } from './encode-frame.js';
import type { PerMessageDeflate } from './permessage-deflate.js';
import type { WebSocketMessage } from './web-socket-types.js';

/**
 * What `send()` answers when the socket took the frame at once. One shared promise that never
 * rejects, so a handler returning it costs no reaction (see WebSocket's message delivery).
 */
export const RESOLVED: Promise<void> = Promise.resolve();

export function noop(): void {}

/**
 * The sending half of one WebSocket: frames written to its byte channel in order, the bytes
 * not yet handed to the socket, and the chain that keeps frames behind a compression (async)
 * in their order. Plain writes make no promise while the socket takes them at once.
 */
export class FrameSender {
  /** Client frames are masked (RFC 6455 §5.3), so one shared frame cannot serve them. */
  readonly isMasked: boolean;
  readonly #io: ByteChannel;
  readonly #deflate: PerMessageDeflate | null;
  #bufferedBytes = 0;
  /** Serialises sends while compression (async) is in play, so frames keep their order. */
  #sendChain: Promise<void> = RESOLVED;
  #pendingCompressions = 0;

  constructor(io: ByteChannel, isMasked: boolean, deflate: PerMessageDeflate | null) {
    this.#io = io;
    this.isMasked = isMasked;
    this.#deflate = deflate;
  }

  /** Bytes passed to `send()` and not yet handed to the socket. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /**
   * Sends a data message as one frame, compressed when permessage-deflate is on and the
   * payload has at least `thresholdBytes` (default: the extension's own threshold).
   */
  send(opcode: number, data: WebSocketMessage, thresholdBytes: number | undefined): Promise<void> {
    const deflate = this.#deflate;
    if (deflate === null) {
      // The common case: a string goes into the frame as UTF-8 with no buffer in between.
      const frame = frameOf(0x80 | opcode, data, this.isMasked);
      if (this.#pendingCompressions === 0) return this.#writeFrame(frame);
      return this.#writeAfterCompressions(frame);
    }
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    if (payload.byteLength >= (thresholdBytes ?? deflate.thresholdBytes)) {
      this.#bufferedBytes += payload.byteLength;
      this.#pendingCompressions++;
      const p = this.#sendChain.then(async () => {
        try {
          const compressed = await deflate.compress(payload);
          this.#bufferedBytes -= payload.byteLength;
          await this.#writeFrame(frameOf(0xc0 | opcode, compressed, this.isMasked));
        } finally {
          this.#pendingCompressions--;
        }
      });
      this.#sendChain = p.catch(noop);
      return p;
    }
    const frame = frameOf(0x80 | opcode, payload, this.isMasked);
    if (this.#pendingCompressions === 0) return this.#writeFrame(frame);
    return this.#writeAfterCompressions(frame);
  }

  /** Control frames may go between fragments, but not between a compressed frame and its send. */
  control(opcode: number, payload: Uint8Array): Promise<void> {
    const frame = frameOf(0x80 | opcode, payload, this.isMasked);
    if (this.#pendingCompressions === 0) return this.#writeFrame(frame);
    const p = this.#sendChain.then(() => this.#writeFrame(frame));
    this.#sendChain = p.catch(noop);
    return p;
  }

  /**
   * Writes a frame encoded once for many sockets (a topic's publish), behind any compression
   * under way; null when the socket took it at once (no promise made).
   */
  sendShared(frame: Uint8Array): Promise<void> | null {
    return this.#pendingCompressions === 0
      ? this.#writeNow(frame)
      : this.#writeAfterCompressions(frame);
  }

  /** Resolves once the frames queued behind compressions are written (never rejects). */
  flushed(): Promise<void> {
    return this.#pendingCompressions === 0 ? Promise.resolve() : this.#sendChain;
  }

  /** Queues `frame` behind the sends still being compressed, so messages keep their order. */
  #writeAfterCompressions(frame: Uint8Array): Promise<void> {
    this.#bufferedBytes += frame.byteLength;
    const p = this.#sendChain.then(() => {
      this.#bufferedBytes -= frame.byteLength;
      return this.#writeFrame(frame);
    });
    this.#sendChain = p.catch(noop);
    return p;
  }

  #writeFrame(frame: Uint8Array): Promise<void> {
    return this.#writeNow(frame) ?? RESOLVED;
  }

  /** Writes a frame; null when the socket took it at once (no promise made). */
  #writeNow(frame: Uint8Array): Promise<void> | null {
    const pending = this.#io.write(frame);
    if (pending === null) return null;
    const n = frame.byteLength;
    this.#bufferedBytes += n;
    return pending.then(
      () => {
        this.#bufferedBytes -= n;
      },
      (err: unknown) => {
        this.#bufferedBytes -= n;
        throw err;
      },
    );
  }
}
