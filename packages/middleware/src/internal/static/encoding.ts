/**
 * What serving files adds to the compress module: the suffixes of precompressed siblings, and
 * files and generated pages as compressed bodies. Negotiation (`negotiate()`) and the
 * compressors are the compress module's, so `serveStatic()` and `compress()` follow one rule.
 */
import { createReadStream } from 'node:fs';
import { compressBuffer, compressStream } from '../compress/compressor.js';
import type { Coding } from '../compress/negotiate.js';

/** The file suffix of a precompressed sibling for each coding. */
export const SIBLING_SUFFIX: Readonly<Record<Coding, string>> = {
  br: '.br',
  gzip: '.gz',
  zstd: '.zst',
};

/**
 * The file compressed with `coding` (the compress module's default levels), streamed: the
 * file is opened when the first chunk is pulled, and stopping early closes it.
 */
export async function* compressFile(path: string, coding: Coding): AsyncGenerator<Uint8Array> {
  yield* compressStream(createReadStream(path), coding, {});
}

/** `text` compressed with `coding` in one go (generated pages: listings), off the main thread. */
export function compressText(text: string, coding: Coding): Promise<Buffer> {
  return compressBuffer(Buffer.from(text), coding, {});
}
