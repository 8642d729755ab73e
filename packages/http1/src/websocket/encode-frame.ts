// Imported rather than read from the global: Node's global `Buffer` is a getter, a call per use.
import { Buffer } from 'node:buffer';
import { randomFillSync } from 'node:crypto';
import { writeUtf8 } from '../internal/buffer-writes.js';

/** Options of `encodeFrame`. */
export interface EncodeFrameOptions {
  /** Last frame of the message. Default true. */
  readonly fin?: boolean | undefined;
  /** RSV1: the message is compressed (permessage-deflate, RFC 7692 §6). Default false. */
  readonly rsv1?: boolean | undefined;
  /** Mask the payload with a random key: clients must, servers must not (RFC 6455 §5.3). */
  readonly mask?: boolean | undefined;
}

// Masking keys come from a pool refilled 1 KiB at a time: one crypto call per 256 frames.
const maskPool = Buffer.alloc(1024);
let maskOffset = maskPool.length;

/**
 * Serialises one frame (RFC 6455 §5.2): header with the shortest length encoding (7, 16 or
 * 64 bits), then the payload, masked when `mask` is set. Returns a fresh buffer.
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  options: EncodeFrameOptions = {},
): Uint8Array {
  const first = (options.fin === false ? 0 : 0x80) | (options.rsv1 === true ? 0x40 : 0) | opcode;
  return frameOf(first, payload, options.mask === true);
}

/**
 * One whole frame of `data` (a string is written as UTF-8 straight into the frame): the send
 * path's form of `encodeFrame`, with no options object and one buffer per frame.
 * `first` is the frame's first byte (FIN, RSV1 and the opcode).
 */
export function frameOf(first: number, data: string | Uint8Array, isMasked: boolean): Buffer {
  const isText = typeof data === 'string';
  const length = isText ? Buffer.byteLength(data, 'utf8') : data.byteLength;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const headerBytes = 2 + lengthBytes + (isMasked ? 4 : 0);
  const out = Buffer.allocUnsafe(headerBytes + length);
  out[0] = first;
  if (lengthBytes === 0) out[1] = length;
  else if (lengthBytes === 2) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    out.writeUInt32BE(length >>> 0, 6);
  }
  if (isText) writeUtf8(out, data, headerBytes, length);
  else out.set(data, headerBytes);
  if (!isMasked) return out;
  out[1] = (out[1] as number) | 0x80;
  if (maskOffset === maskPool.length) {
    randomFillSync(maskPool);
    maskOffset = 0;
  }
  const keyAt = 2 + lengthBytes;
  maskPool.copy(out, keyAt, maskOffset, maskOffset + 4);
  maskOffset += 4;
  for (let i = 0; i < length; i++) {
    out[headerBytes + i] = (out[headerBytes + i] as number) ^ (out[keyAt + (i & 3)] as number);
  }
  return out;
}
