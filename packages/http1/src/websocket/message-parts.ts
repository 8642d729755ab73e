/** Helpers of the WebSocket codec: message assembly, UTF-8 checks and shared parser options. */
import { Buffer } from 'node:buffer';
import type { TextDecoder } from 'node:util';
import type { FrameParserOptions } from './frame-parser.js';
import { ProtocolError } from './protocol-error.js';

/** Parser options are shared by every socket with the same settings (no object per socket). */
const parserOptionsCache = new Map<string, FrameParserOptions>();

export function parserOptions(
  expectMasked: boolean,
  maxFrameBytes: number,
  allowRsv1: boolean,
): FrameParserOptions {
  const key = `${expectMasked}:${maxFrameBytes}:${allowRsv1}`;
  let options = parserOptionsCache.get(key);
  if (options === undefined) {
    options = { expectMasked, maxFrameBytes, allowRsv1 };
    // Bounded: a handful of limits in practice, but a limit per request must not grow it.
    if (parserOptionsCache.size < 64) parserOptionsCache.set(key, options);
  }
  return options;
}

export function compressedLimit(max: number): number {
  // Deflate can grow incompressible data by a few bytes per 16 KiB block.
  return max + Math.ceil(max / 1000) + 1024;
}

export function decodeOrThrow(decoder: TextDecoder, bytes: Uint8Array, isStream: boolean): string {
  try {
    return decoder.decode(bytes, { stream: isStream });
  } catch {
    throw new ProtocolError(1007, 'a text message is not valid UTF-8');
  }
}

export function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  return Buffer.concat(parts, total);
}
