/** An entry's size counts its name and value octets plus 32 (RFC 9204 §3.2.1). */
export function entrySize(name: string, value: string): number {
  return name.length + value.length + 32;
}

/**
 * The decoder's copy of the dynamic table: entries by absolute index (the first insertion is 0),
 * oldest evicted first when an insertion or a smaller capacity needs room.
 * @see RFC 9204 §3.2
 */
export class DynamicTable {
  readonly #entries: [string, string][] = [];
  /** Absolute index of `#entries[0]`; everything below it was evicted. */
  #dropped = 0;
  #size = 0;
  #capacity = 0;

  /** Number of insertions so far (the Insert Count). */
  get insertCount(): number {
    return this.#dropped + this.#entries.length;
  }

  get size(): number {
    return this.#size;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Sets the capacity, evicting entries that no longer fit. */
  setCapacity(capacity: number): void {
    this.#capacity = capacity;
    this.#evictTo(capacity);
  }

  /** Inserts an entry; false when it is larger than the capacity (the caller's error). */
  insert(name: string, value: string): boolean {
    const size = entrySize(name, value);
    if (size > this.#capacity) return false;
    this.#evictTo(this.#capacity - size);
    this.#entries.push([name, value]);
    this.#size += size;
    return true;
  }

  /** The entry at an absolute index, or undefined if it was evicted or not inserted yet. */
  get(absolute: number): readonly [string, string] | undefined {
    return this.#entries[absolute - this.#dropped];
  }

  /** The entries still in the table, oldest first. */
  entries(): readonly (readonly [string, string])[] {
    return this.#entries;
  }

  #evictTo(limit: number): void {
    while (this.#size > limit) {
      const [name, value] = this.#entries.shift()!;
      this.#size -= entrySize(name, value);
      this.#dropped++;
    }
  }
}
