// Imported rather than read from the global: Node's global `Buffer` is a getter, a call per use.
import { Buffer } from 'node:buffer';
import { OPCODE } from './opcodes.js';
import { ProtocolError } from './protocol-error.js';

/** One parsed frame, payload unmasked. */
export interface Frame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly opcode: number;
  readonly payload: Uint8Array;
}

/** Options of a `FrameParser`. */
export interface FrameParserOptions {
  /** True on the server: every frame must be masked; false on the client: none may be. */
  readonly expectMasked: boolean;
  /** Largest payload of one frame; a larger one fails with 1009. */
  readonly maxFrameBytes: number;
  /** RSV1 is allowed on the first frame of a data message (permessage-deflate negotiated). */
  readonly allowRsv1: boolean;
}

/**
 * Incremental RFC 6455 §5 frame parser: feed it bytes in any chunking, get whole frames back.
 * It enforces the frame-level rules (masking direction, reserved bits and opcodes, control
 * frames ≤125 bytes and never fragmented, continuation order, 64-bit lengths with the high
 * bit clear, the frame size limit) and throws a `ProtocolError` with the close code.
 * Message assembly, UTF-8 and inflation are the caller's.
 */
export class FrameParser {
  readonly #options: FrameParserOptions;
  /**
   * True when the parser may unmask payloads in the chunks it is given and hand out views of
   * them (the WebSocket's own socket reads, which nobody else holds); otherwise each payload
   * is a copy and the caller's chunks are never written.
   */
  readonly #isInputOwned: boolean;
  /** Bytes received and not parsed yet: `#buf` from `#pos` on (null when none). */
  #buf: Buffer | null = null;
  #pos = 0;
  /** Bytes of an incomplete frame, kept as received until enough have arrived to parse it. */
  #pending: Buffer[] | null = null;
  #pendingBytes = 0;
  /** Bytes the incomplete frame needs in all (header and payload), when known. */
  #need = 0;
  /** Opcode of the data message being fragmented, or 0 when none is open. */
  #fragmentedOpcode = 0;
  #isFailed = false;

  constructor(options: FrameParserOptions, isInputOwned = false) {
    this.#options = options;
    this.#isInputOwned = isInputOwned;
  }

  /**
   * Parses `chunk` after any bytes kept from earlier and yields each frame it completes, in
   * order; a violation throws when the parser reaches it, so the frames before it are
   * handled first. Iterate the result to the end (or stop after a Close frame). Chunks are
   * kept by reference until their frame is complete: do not modify them after the call.
   */
  *push(chunk: Uint8Array): Generator<Frame, void, undefined> {
    this.feed(chunk);
    for (;;) {
      const frame = this.next();
      if (frame === null) return;
      yield frame;
    }
  }

  /**
   * Adds `chunk` to the bytes to parse; `next()` then returns the frames it completes. The
   * pull form of `push()`, without a generator per chunk (the WebSocket's hot path). Frames
   * of the previous chunk not taken with `next()` yet are kept.
   */
  feed(chunk: Uint8Array): void {
    if (this.#isFailed) return;
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#buf !== null) {
      // Frames of the last chunk were not all taken: the rest waits as pending bytes.
      this.#keepRest();
    }
    if (this.#pendingBytes > 0) {
      (this.#pending ??= []).push(buf);
      this.#pendingBytes += buf.length;
      // A large frame arrives in many chunks: join them once, not once per chunk.
      if (this.#pendingBytes < this.#need) return;
      this.#buf = Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = null;
      this.#pendingBytes = 0;
    } else this.#buf = buf;
    this.#pos = 0;
  }

  /** The next complete frame of the bytes fed so far, or null when more bytes are needed. */
  next(): Frame | null {
    const buf = this.#buf;
    if (buf === null || this.#isFailed) return null;
    let frame: Frame | null;
    try {
      frame = this.#parseOne(buf, this.#pos);
    } catch (err) {
      this.#isFailed = true;
      this.#buf = null;
      throw err;
    }
    if (frame === null) this.#keepRest();
    return frame;
  }

  /**
   * Copies the bytes the parser still holds from the last chunk fed, so the caller may reuse
   * that chunk's memory (a read buffer shared by many sockets). Frames already returned are
   * the caller's to copy.
   */
  release(): void {
    const buf = this.#buf;
    if (buf !== null) {
      this.#buf = Buffer.from(buf.subarray(this.#pos));
      this.#pos = 0;
    }
    const pending = this.#pending;
    // Only the last part can be of the last chunk: earlier ones were released before.
    if (pending !== null) {
      const last = pending.length - 1;
      pending[last] = Buffer.from(pending[last] as Buffer);
    }
  }

  /** Keeps the unparsed rest of `#buf` as pending bytes until more arrive. */
  #keepRest(): void {
    const buf = this.#buf as Buffer;
    const pos = this.#pos;
    this.#buf = null;
    if (pos < buf.length) {
      this.#pending = [pos === 0 ? buf : buf.subarray(pos)];
      this.#pendingBytes = buf.length - pos;
    }
  }

  /** Parses the frame at `start`; moves `#pos` past it. Null when it is not complete. */
  #parseOne(buf: Buffer, start: number): Frame | null {
    this.#need = 2;
    if (buf.length - start < 2) return null;
    const b0 = buf[start] as number;
    const b1 = buf[start + 1] as number;
    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    const isMasked = (b1 & 0x80) !== 0;
    const isControl = opcode >= 0x8;
    // Checks that need only the first two bytes run first, so a bad frame fails at once.
    if ((b0 & 0x30) !== 0) throw new ProtocolError(1002, 'RSV2/RSV3 set without an extension');
    if (rsv1 && (!this.#options.allowRsv1 || isControl || opcode === OPCODE.CONTINUATION)) {
      throw new ProtocolError(1002, 'RSV1 set without a negotiated extension');
    }
    if (opcode > OPCODE.BINARY && !isControl) {
      throw new ProtocolError(1002, `reserved opcode 0x${opcode.toString(16)}`);
    }
    if (isControl && opcode > OPCODE.PONG) {
      throw new ProtocolError(1002, `reserved opcode 0x${opcode.toString(16)}`);
    }
    if (isMasked !== this.#options.expectMasked) {
      throw new ProtocolError(
        1002,
        isMasked ? 'a server frame must not be masked' : 'a client frame must be masked',
      );
    }
    let length = b1 & 0x7f;
    if (isControl) {
      if (!fin) throw new ProtocolError(1002, 'a control frame must not be fragmented');
      if (length > 125) throw new ProtocolError(1002, 'a control frame payload exceeds 125 bytes');
    } else if (opcode === OPCODE.CONTINUATION) {
      if (this.#fragmentedOpcode === 0) {
        throw new ProtocolError(1002, 'a continuation frame without a message to continue');
      }
    } else if (this.#fragmentedOpcode !== 0) {
      throw new ProtocolError(1002, 'a new data frame inside a fragmented message');
    }
    let pos = start + 2;
    if (length === 126) {
      this.#need = 4;
      if (buf.length - pos < 2) return null;
      length = buf.readUInt16BE(pos);
      pos += 2;
    } else if (length === 127) {
      this.#need = 10;
      if (buf.length - pos < 8) return null;
      const high = buf.readUInt32BE(pos);
      if (high & 0x80000000) throw new ProtocolError(1002, 'a 64-bit length with the MSB set');
      const big = high * 2 ** 32 + buf.readUInt32BE(pos + 4);
      if (big > this.#options.maxFrameBytes) {
        throw new ProtocolError(1009, `a frame of ${big} bytes exceeds the limit`);
      }
      length = big;
      pos += 8;
    }
    if (length > this.#options.maxFrameBytes) {
      throw new ProtocolError(1009, `a frame of ${length} bytes exceeds the limit`);
    }
    const maskAt = pos;
    if (isMasked) pos += 4;
    if (buf.length - pos < length) {
      this.#need = pos - start + length;
      return null;
    }
    const end = pos + length;
    let payload: Buffer;
    if (this.#isInputOwned) {
      // Unmasked where it lies: no copy, no second buffer (the chunk is ours alone).
      payload = buf.subarray(pos, end);
      if (isMasked) unmask(payload, payload, buf, maskAt, length);
    } else if (isMasked) {
      payload = Buffer.allocUnsafe(length);
      unmask(payload, buf.subarray(pos, end), buf, maskAt, length);
    } else {
      payload = Buffer.allocUnsafe(length);
      buf.copy(payload, 0, pos, end);
    }
    if (!isControl) {
      if (opcode !== OPCODE.CONTINUATION && !fin) this.#fragmentedOpcode = opcode;
      else if (opcode === OPCODE.CONTINUATION && fin) this.#fragmentedOpcode = 0;
    }
    this.#pos = end;
    if (end === buf.length) this.#buf = null;
    return { fin, rsv1, opcode, payload };
  }
}

/** The view `unmaskInPlace` last used, kept while frames come from the same memory. */
let wordView: DataView | null = null;

/**
 * XORs a payload with its key four bytes at a time. Worth it from a few words on: a socket
 * reading into one shared buffer (or Buffer's pool) keeps hitting the same DataView, and
 * V8 compiles its 32-bit loads and stores inline. `payload` must be a view of `buf` (the
 * in-place case).
 */
function unmaskInPlace(payload: Buffer, buf: Buffer, maskAt: number, length: number): void {
  const memory = payload.buffer;
  let view = wordView;
  if (view === null || view.buffer !== memory) {
    view = new DataView(memory);
    wordView = view;
  }
  // The key as one little-endian word, so byte k of each word meets key byte k. `payload` is
  // a view of `buf`, so the key is in the same memory. Signed words: XOR stays an int32,
  // with no conversion to an unsigned (possibly heap) number per word.
  const key = view.getInt32(buf.byteOffset + maskAt, true);
  const start = payload.byteOffset;
  const end = start + (length & ~3);
  let at = start;
  for (; at < end; at += 4) view.setInt32(at, view.getInt32(at, true) ^ key, true);
  for (let i = at - start; i < length; i++) {
    payload[i] = (payload[i] as number) ^ (buf[maskAt + (i & 3)] as number);
  }
}

/** XORs `length` bytes of `from` with the 4-byte key at `buf[maskAt]` into `to` (RFC 6455 §5.3). */
function unmask(to: Buffer, from: Buffer, buf: Buffer, maskAt: number, length: number): void {
  if (to === from && length >= 16) {
    unmaskInPlace(to, buf, maskAt, length);
    return;
  }
  const m0 = buf[maskAt] as number;
  const m1 = buf[maskAt + 1] as number;
  const m2 = buf[maskAt + 2] as number;
  const m3 = buf[maskAt + 3] as number;
  const whole = length & ~3;
  let i = 0;
  for (; i < whole; i += 4) {
    to[i] = (from[i] as number) ^ m0;
    to[i + 1] = (from[i + 1] as number) ^ m1;
    to[i + 2] = (from[i + 2] as number) ^ m2;
    to[i + 3] = (from[i + 3] as number) ^ m3;
  }
  for (; i < length; i++) {
    to[i] = (from[i] as number) ^ ((i & 3) === 0 ? m0 : (i & 3) === 1 ? m1 : m2);
  }
}
