/** The node:zlib compressors behind `compress()`, buffered and streaming. */
import type { Transform } from 'node:stream';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { Coding } from './negotiate.js';

/** Compression levels per coding. */
export interface CompressionLevels {
  /** Brotli quality 0–11. Default 4: 11 costs ~100x the CPU for a few percent (Caddy uses 4 too). */
  br?: number | undefined;
  /** gzip level 1–9. Default 6 (zlib's). */
  gzip?: number | undefined;
  /** zstd level 1–19. Default 3 (zstd's). */
  zstd?: number | undefined;
}

type ZlibModule = typeof zlib & {
  createZstdCompress?: (options?: object) => Transform;
  zstdCompress?: (
    data: Uint8Array,
    options: object,
    cb: (e: Error | null, r: Buffer) => void,
  ) => void;
};
const z = zlib as ZlibModule;

/** True when this runtime has zstd (Node ≥ 22.15 / 23.8). */
export const HAS_ZSTD: boolean = typeof z.createZstdCompress === 'function';

/** The server's preference when the client rates codings equally. */
export const DEFAULT_CODINGS: readonly Coding[] = HAS_ZSTD
  ? ['br', 'zstd', 'gzip']
  : ['br', 'gzip'];

// Numeric constants by value so this compiles against @types/node without the zstd typings.
const ZSTD_C_COMPRESSION_LEVEL = 100;
const ZSTD_E_FLUSH = 1;

function options(coding: Coding, levels: CompressionLevels): object {
  switch (coding) {
    case 'br':
      return { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: levels.br ?? 4 } };
    case 'zstd':
      return { params: { [ZSTD_C_COMPRESSION_LEVEL]: levels.zstd ?? 3 } };
    default:
      return { level: levels.gzip ?? 6 };
  }
}

const gzipAsync = promisify(zlib.gzip) as (d: Uint8Array, o: object) => Promise<Buffer>;
const brotliAsync = promisify(zlib.brotliCompress) as (d: Uint8Array, o: object) => Promise<Buffer>;
const zstdAsync =
  z.zstdCompress === undefined
    ? undefined
    : (promisify(z.zstdCompress) as (d: Uint8Array, o: object) => Promise<Buffer>);

/** Compresses a whole buffer off the main thread (zlib's thread pool). */
export function compressBuffer(
  data: Uint8Array,
  coding: Coding,
  levels: CompressionLevels,
): Promise<Buffer> {
  const o = options(coding, levels);
  if (coding === 'br') return brotliAsync(data, o);
  if (coding === 'zstd') return zstdAsync!(data, o);
  return gzipAsync(data, o);
}

function createCompressor(coding: Coding, levels: CompressionLevels): Transform {
  const o = options(coding, levels);
  if (coding === 'br') return zlib.createBrotliCompress(o);
  if (coding === 'zstd') return z.createZstdCompress!(o);
  return zlib.createGzip(o);
}

function flushKind(coding: Coding): number {
  if (coding === 'br') return zlib.constants.BROTLI_OPERATION_FLUSH;
  if (coding === 'zstd') return ZSTD_E_FLUSH;
  // A sync flush ends on a byte boundary without resetting the dictionary (unlike a full flush).
  return zlib.constants.Z_SYNC_FLUSH;
}

/**
 * Compresses a stream chunk by chunk. After each source chunk the compressor is flushed and
 * its output yielded, so whatever the handler sends as one chunk (an SSE event, a line of
 * NDJSON) reaches the client at once instead of waiting in the compressor's window. The next
 * source chunk is pulled only when the consumer asks for more: backpressure carries through,
 * and nothing is buffered beyond one chunk.
 */
export async function* compressStream(
  source: AsyncIterable<Uint8Array>,
  coding: Coding,
  levels: CompressionLevels,
): AsyncGenerator<Uint8Array> {
  const compressor = createCompressor(coding, levels);
  // zlib streams have flush(kind, cb); the Transform type they are created as does not say so.
  const flushable = compressor as Transform & { flush(kind: number, cb: () => void): void };
  const pending: Buffer[] = [];
  let failure: Error | null = null;
  compressor.on('data', (chunk: Buffer) => pending.push(chunk));
  compressor.on('error', (err: Error) => {
    failure = err;
  });
  const kind = flushKind(coding);
  const step = (write: () => void): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      compressor.once('error', onError);
      write();
      flushable.flush(kind, () => {
        compressor.off('error', onError);
        resolve();
      });
    });
  try {
    for await (const chunk of source) {
      if (chunk.byteLength === 0) continue;
      await step(() => compressor.write(chunk));
      if (failure !== null) throw failure;
      if (pending.length > 0) yield pending.length === 1 ? pending.pop()! : drain(pending);
    }
    await new Promise<void>((resolve, reject) => {
      compressor.once('error', reject);
      compressor.once('end', resolve);
      compressor.end();
    });
    if (pending.length > 0) yield drain(pending);
  } finally {
    compressor.destroy();
  }
}

function drain(pending: Buffer[]): Buffer {
  const out = Buffer.concat(pending);
  pending.length = 0;
  return out;
}
