import { entrySize } from './dynamic-table.js';

interface EncoderEntry {
  readonly name: string;
  readonly value: string;
  readonly size: number;
  /** Field sections not yet acknowledged that refer to this entry. */
  refs: number;
}

/**
 * The encoder's copy of the dynamic table. Unlike the decoder's, it knows which entries are
 * still needed: an entry may be evicted only once the decoder acknowledged its insertion and no
 * unacknowledged field section refers to it, so an insertion that would evict anything else is
 * not made.
 * @see RFC 9204 §2.1.1, §3.2
 */
export class EncoderTable {
  readonly #entries: EncoderEntry[] = [];
  /** Absolute index of `#entries[0]`. */
  #dropped = 0;
  #size = 0;
  #capacity = 0;
  /** `name\0value` → the newest absolute index holding it. */
  readonly #exact = new Map<string, number>();
  /** name → the newest absolute index with that name. */
  readonly #names = new Map<string, number>();

  get insertCount(): number {
    return this.#dropped + this.#entries.length;
  }

  get capacity(): number {
    return this.#capacity;
  }

  get size(): number {
    return this.#size;
  }

  /** Sets the capacity; only called while the table is empty (once SETTINGS arrived). */
  setCapacity(capacity: number): void {
    this.#capacity = capacity;
  }

  /** Absolute index of the newest entry with this name and value, or -1. */
  findExact(name: string, value: string): number {
    return this.#exact.get(`${name}\0${value}`) ?? -1;
  }

  /** Absolute index of the newest entry with this name, or -1. */
  findName(name: string): number {
    return this.#names.get(name) ?? -1;
  }

  /**
   * Whether an entry is close to eviction: it lies in the oldest quarter of the table's
   * capacity. Referencing it would pin it where new insertions need room, so the encoder
   * duplicates it instead (RFC 9204 §2.1.1.1).
   */
  isDraining(absolute: number): boolean {
    let bytes = 0;
    for (let i = 0; i <= absolute - this.#dropped; i++) bytes += this.#entries[i]!.size;
    return bytes + (this.#capacity - this.#size) <= this.#capacity / 4;
  }

  /**
   * Whether an entry of `size` bytes fits after evicting only evictable entries: oldest first,
   * each acknowledged (below `knownReceivedCount`) and referenced by no pending section.
   */
  canInsert(size: number, knownReceivedCount: number): boolean {
    if (size > this.#capacity) return false;
    let free = this.#capacity - this.#size;
    for (let i = 0; free < size; i++) {
      const entry = this.#entries[i];
      if (entry === undefined || entry.refs > 0 || this.#dropped + i >= knownReceivedCount) {
        return false;
      }
      free += entry.size;
    }
    return true;
  }

  /** Inserts (after `canInsert()` said yes), evicting the oldest entries; returns its index. */
  insert(name: string, value: string): number {
    const size = entrySize(name, value);
    while (this.#capacity - this.#size < size) this.#evictOldest();
    const absolute = this.insertCount;
    this.#entries.push({ name, value, size, refs: 0 });
    this.#size += size;
    this.#exact.set(`${name}\0${value}`, absolute);
    this.#names.set(name, absolute);
    return absolute;
  }

  /** The entry at an absolute index, if still in the table. */
  get(absolute: number): { readonly name: string; readonly value: string } | undefined {
    return this.#entries[absolute - this.#dropped];
  }

  /** A pending section refers to the entry (+1) or was acknowledged or cancelled (-1). */
  addRef(absolute: number, delta: 1 | -1): void {
    const entry = this.#entries[absolute - this.#dropped];
    if (entry !== undefined) entry.refs += delta;
  }

  #evictOldest(): void {
    const entry = this.#entries.shift()!;
    const absolute = this.#dropped++;
    this.#size -= entry.size;
    const key = `${entry.name}\0${entry.value}`;
    if (this.#exact.get(key) === absolute) this.#exact.delete(key);
    if (this.#names.get(entry.name) === absolute) this.#names.delete(entry.name);
  }
}
