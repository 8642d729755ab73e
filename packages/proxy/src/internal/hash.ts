/**
 * A 32-bit string hash for consistent hashing: FNV-1a over UTF-16 code units, then the
 * murmur3 finaliser so that near-identical keys (`a#1`, `a#2`) spread over the whole ring.
 */
export function hash32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
