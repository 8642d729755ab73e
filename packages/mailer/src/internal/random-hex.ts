import { randomFillSync } from 'node:crypto';

/**
 * Random bytes for Message-IDs and MIME boundaries, drawn from a pool refilled 4 KiB at a
 * time: one `randomFillSync` call serves about a hundred messages instead of two calls per
 * message (each a trip into the CSPRNG).
 */
const POOL = Buffer.alloc(4096);
let offset = POOL.length;

/** `bytes` random bytes (at most 4096) as lower-case hex. */
export function randomHex(bytes: number): string {
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const hex = POOL.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}
