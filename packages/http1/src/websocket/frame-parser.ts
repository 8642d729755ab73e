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
  /** Bytes of an incomplete frame, kept as received until enough have arrived to parse it. */
  #pending: Buffer[] | null = null;
  #pendingBytes = 0;
  /** Bytes the incomplete frame needs in all (header and payload), when known. */
  #need = 0;
  /** Opcode of the data message being fragmented, or 0 when none is open. */
  #fragmentedOpcode = 0;
  #isFailed = false;

  constructor(options: FrameParserOptions) {
    this.#options = options;
  }

  /**
   * Parses `chunk` after any bytes kept from earlier and yields each frame it completes, in
   * order; a violation throws when the parser reaches it, so the frames before it are
   * handled first. Iterate the result to the end (or stop after a Close frame). Chunks are
   * kept by reference until their frame is complete: do not modify them after the call.
   */
  *push(chunk: Uint8Array): Generator<Frame, void, undefined> {
    if (this.#isFailed) return;
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#pendingBytes > 0) {
      (this.#pending ??= []).push(buf);
      this.#pendingBytes += buf.length;
      // A large frame arrives in many chunks: join them once, not once per chunk.
      if (this.#pendingBytes < this.#need) return;
      buf = Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = null;
      this.#pendingBytes = 0;
    }
    let pos = 0;
    try {
      for (;;) {
        const frame = this.#parseOne(buf, pos);
        if (frame === null) break;
        pos = frame.end;
        yield frame.frame;
      }
    } catch (err) {
      this.#isFailed = true;
      throw err;
    } finally {
      if (pos < buf.length && !this.#isFailed) {
        this.#pending = [buf.subarray(pos)];
        this.#pendingBytes = buf.length - pos;
      }
    }
  }

  #parseOne(buf: Buffer, start: number): { frame: Frame; end: number } | null {
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
    const payload = Buffer.from(buf.subarray(pos, pos + length));
    if (isMasked) {
      const m0 = buf[maskAt] as number;
      const m1 = buf[maskAt + 1] as number;
      const m2 = buf[maskAt + 2] as number;
      const m3 = buf[maskAt + 3] as number;
      const whole = length & ~3;
      let i = 0;
      for (; i < whole; i += 4) {
        payload[i] = (payload[i] as number) ^ m0;
        payload[i + 1] = (payload[i + 1] as number) ^ m1;
        payload[i + 2] = (payload[i + 2] as number) ^ m2;
        payload[i + 3] = (payload[i + 3] as number) ^ m3;
      }
      for (; i < length; i++) {
        payload[i] = (payload[i] as number) ^ ((i & 3) === 0 ? m0 : (i & 3) === 1 ? m1 : m2);
      }
    }
    if (!isControl) {
      if (opcode !== OPCODE.CONTINUATION && !fin) this.#fragmentedOpcode = opcode;
      else if (opcode === OPCODE.CONTINUATION && fin) this.#fragmentedOpcode = 0;
    }
    return { frame: { fin, rsv1, opcode, payload }, end: pos + length };
  }
}
