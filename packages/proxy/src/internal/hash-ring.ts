import { hash32 } from './hash.js';

/** Virtual nodes per unit of weight: enough for an even spread with a handful of backends. */
const POINTS_PER_WEIGHT = 160;

/**
 * A consistent-hash ring (Karger et al.): each item owns `weight × 160` points; a key maps to
 * the first point clockwise of its hash. Adding or removing one item moves only the keys that
 * item owns.
 */
export class HashRing<T> {
  #points: Uint32Array;
  #owners: T[];

  constructor(
    items: ReadonlyArray<{ readonly id: string; readonly weight: number; readonly value: T }>,
  ) {
    const entries: Array<[number, T]> = [];
    for (const item of items) {
      const n = Math.max(1, Math.round(item.weight * POINTS_PER_WEIGHT));
      for (let i = 0; i < n; i++) entries.push([hash32(`${item.id}#${i}`), item.value]);
    }
    entries.sort((a, b) => a[0] - b[0]);
    this.#points = Uint32Array.from(entries, (e) => e[0]);
    this.#owners = entries.map((e) => e[1]);
  }

  /**
   * The owner of `key`, walking clockwise past owners `accept` refuses (unavailable ones), or
   * null when it refuses all.
   */
  lookup(key: string, accept: (value: T) => boolean): T | null {
    const points = this.#points;
    if (points.length === 0) return null;
    const h = hash32(key);
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    const seen = new Set<T>();
    for (let i = 0; i < points.length; i++) {
      const owner = this.#owners[(lo + i) % points.length]!;
      if (seen.has(owner)) continue;
      if (accept(owner)) return owner;
      seen.add(owner);
    }
    return null;
  }
}
