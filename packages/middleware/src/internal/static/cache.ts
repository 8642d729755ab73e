/**
 * Bounded caches behind `serveStatic()`: path resolution results (`realpath` + `stat`, nginx's
 * `open_file_cache` idea) and the bytes of small, frequently requested files.
 *
 * @module
 */
import type { BigIntStats } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * A least-recently-used map with a maximum number of entries. A JavaScript `Map` iterates in
 * insertion order, so re-inserting on a hit keeps the least recently used entry first.
 */
export class LruMap<K, V> {
  readonly #map = new Map<K, V>();
  readonly #max: number;
  /** Called with each entry dropped to make room (not on explicit delete). */
  readonly #onEvict: ((value: V) => void) | undefined;

  constructor(max: number, onEvict?: (value: V) => void) {
    this.#max = max;
    this.#onEvict = onEvict;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.#max) this.evictOldest();
  }

  delete(key: K): void {
    this.#map.delete(key);
  }

  /** Drops the least recently used entry; false when empty. */
  evictOldest(): boolean {
    const first = this.#map.entries().next();
    if (first.done === true) return false;
    this.#map.delete(first.value[0]);
    this.#onEvict?.(first.value[1]);
    return true;
  }
}

/** The identity of a file's content: a change to any of these means the bytes may differ. */
export interface ContentKey {
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ino: bigint;
}

export function sameContent(a: ContentKey, b: ContentKey): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino;
}

/**
 * Reads a whole file if it is still the one `expected` describes (checked with `fstat` on the
 * opened descriptor, so a file replaced between the `stat` and the read is never cached under
 * the old identity). Null when it changed, vanished or could not be read.
 */
export async function readIfUnchanged(path: string, expected: ContentKey): Promise<Buffer | null> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(path, 'r');
    const st: BigIntStats = await fh.stat({ bigint: true });
    if (!st.isFile() || !sameContent(st, expected)) return null;
    const size = Number(st.size);
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(buf, off, size - off, off);
      if (bytesRead === 0) return null; // Truncated under us: not the file we stat'ed.
      off += bytesRead;
    }
    return buf;
  } catch {
    return null;
  } finally {
    await fh?.close().catch(() => {});
  }
}
