/**
 * Content coding negotiation (RFC 9110 §12.5.3) and the compressors for on-the-fly encoding.
 */
import { createReadStream } from 'node:fs';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

/** A content coding rws can produce. */
export type Coding = 'br' | 'gzip' | 'zstd';

/** The file suffix of a precompressed sibling for each coding. */
export const SIBLING_SUFFIX: Readonly<Record<Coding, string>> = {
  br: '.br',
  gzip: '.gz',
  zstd: '.zst',
};

type ZstdFactory = (options?: object) => Transform;
// zstd arrived in Node 22.15 / 23.8; older runtimes simply never offer it.
const createZstdCompress: ZstdFactory | undefined = (
  zlib as unknown as { createZstdCompress?: ZstdFactory }
).createZstdCompress;

/** True when this runtime can compress with zstd. */
export const HAS_ZSTD: boolean = typeof createZstdCompress === 'function';

/** The server's preference when the client rates several codings equally. */
export const DEFAULT_CODINGS: readonly Coding[] = HAS_ZSTD
  ? ['br', 'zstd', 'gzip']
  : ['br', 'gzip'];

/**
 * Picks the coding to use from `Accept-Encoding`: the highest q-value among `available`, ties
 * broken by the order of `available`. Returns null for identity. `*` stands for any coding
 * not named; `q=0` refuses one. An absent header means identity (§12.5.3: any coding is
 * acceptable, but unasked compression is a bad default for caches and old clients).
 */
export function negotiateEncoding(
  header: string | null,
  available: readonly Coding[],
): Coding | null {
  if (header === null || available.length === 0) return null;
  const q = new Map<string, number>();
  for (const item of header.split(',')) {
    const semi = item.indexOf(';');
    const name = (semi === -1 ? item : item.slice(0, semi)).trim().toLowerCase();
    if (name.length === 0) continue;
    let weight = 1;
    if (semi !== -1) {
      for (const param of item.slice(semi + 1).split(';')) {
        const eq = param.indexOf('=');
        if (eq === -1) continue;
        if (param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
        const v = Number(param.slice(eq + 1).trim());
        weight = Number.isFinite(v) && v >= 0 && v <= 1 ? v : 0;
      }
    }
    // x-gzip is an alias of gzip (RFC 9110 §8.4.1.3).
    q.set(name === 'x-gzip' ? 'gzip' : name, weight);
  }
  const star = q.get('*');
  let best: Coding | null = null;
  let bestQ = 0;
  for (const coding of available) {
    const w = q.get(coding) ?? star ?? 0;
    if (w > bestQ) {
      best = coding;
      bestQ = w;
    }
  }
  return best;
}

function createCompressor(coding: Coding): Transform {
  switch (coding) {
    case 'br':
      // Quality 11 (the default) costs ~100x more CPU than 4 for a few percent; on-the-fly
      // responses use 4 like Caddy. Precompressed .br files carry the expensive quality.
      return zlib.createBrotliCompress({
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 },
      });
    case 'zstd':
      return createZstdCompress!();
    default:
      return zlib.createGzip();
  }
}

/**
 * The file compressed with `coding`, streamed: nothing is read before the first chunk is
 * pulled, and stopping early closes the file.
 */
export async function* compressFile(path: string, coding: Coding): AsyncGenerator<Uint8Array> {
  const source = createReadStream(path);
  const compressor = createCompressor(coding);
  // pipeline forwards a read error to the compressor, which makes the loop below throw.
  pipeline(source, compressor, () => {});
  try {
    for await (const chunk of compressor) yield chunk as Uint8Array;
  } finally {
    source.destroy();
    compressor.destroy();
  }
}

type BufferCompressor = (buf: Uint8Array, options?: object) => Promise<Buffer>;
const brotli = promisify(zlib.brotliCompress) as BufferCompressor;
const gzip = promisify(zlib.gzip) as BufferCompressor;
const zstdCompress = (zlib as unknown as { zstdCompress?: Parameters<typeof promisify>[0] })
  .zstdCompress;
const zstd: BufferCompressor | null =
  typeof zstdCompress === 'function' ? (promisify(zstdCompress) as BufferCompressor) : null;

/** `text` compressed with `coding` in one go (generated pages: listings), off the main thread. */
export function compressText(text: string, coding: Coding): Promise<Buffer> {
  const buf = Buffer.from(text);
  if (coding === 'br') {
    return brotli(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } });
  }
  if (coding === 'zstd' && zstd !== null) return zstd(buf);
  return gzip(buf);
}
