/**
 * The HPACK dynamic table (RFC 7541 §2.3.2, §4): a FIFO of fields, newest first, bounded by
 * size (name + value + 32 octets per entry). A ring buffer, so insertion and eviction are O(1).
 */
export class DynamicTable {
  #names: string[] = new Array<string>(16);
  #values: string[] = new Array<string>(16);
  #sizes: number[] = new Array<number>(16);
  /** Slot of the oldest entry. */
  #tail = 0;
  #length = 0;
  #size = 0;
  #maxSize: number;
  /** Entries ever inserted: absolute index of the next one (the encoder indexes by it). */
  inserted = 0;

  constructor(maxSize: number) {
    this.#maxSize = maxSize;
  }

  get length(): number {
    return this.#length;
  }

  get size(): number {
    return this.#size;
  }

  get maxSize(): number {
    return this.#maxSize;
  }

  /** Sets the maximum size, evicting what no longer fits (RFC 7541 §4.3). */
  setMaxSize(maxSize: number): void {
    this.#maxSize = maxSize;
    this.#evict(0);
  }

  /**
   * Adds a field. An entry larger than the whole table empties it and is not added
   * (RFC 7541 §4.4).
   */
  add(name: string, value: string, octets: number): void {
    const size = octets + 32;
    this.inserted++;
    if (size > this.#maxSize) {
      this.#evict(this.#maxSize);
      return;
    }
    this.#evict(size);
    if (this.#length === this.#names.length) this.#grow();
    const cap = this.#names.length;
    const slot = (this.#tail + this.#length) % cap;
    this.#names[slot] = name;
    this.#values[slot] = value;
    this.#sizes[slot] = size;
    this.#length++;
    this.#size += size;
  }

  /** Name of the entry at 0-based position `i` from the newest. */
  name(i: number): string {
    return this.#names[(this.#tail + this.#length - 1 - i) % this.#names.length]!;
  }

  /** Value of the entry at 0-based position `i` from the newest. */
  value(i: number): string {
    return this.#values[(this.#tail + this.#length - 1 - i) % this.#names.length]!;
  }

  /** Evicts oldest entries until `room` more octets fit. */
  #evict(room: number): void {
    const cap = this.#names.length;
    while (this.#length > 0 && this.#size + room > this.#maxSize) {
      this.#size -= this.#sizes[this.#tail]!;
      this.#names[this.#tail] = '';
      this.#values[this.#tail] = '';
      this.#tail = (this.#tail + 1) % cap;
      this.#length--;
    }
  }

  #grow(): void {
    const cap = this.#names.length;
    const names = new Array<string>(cap * 2);
    const values = new Array<string>(cap * 2);
    const sizes = new Array<number>(cap * 2);
    for (let i = 0; i < this.#length; i++) {
      const from = (this.#tail + i) % cap;
      names[i] = this.#names[from]!;
      values[i] = this.#values[from]!;
      sizes[i] = this.#sizes[from]!;
    }
    this.#names = names;
    this.#values = values;
    this.#sizes = sizes;
    this.#tail = 0;
  }
}
