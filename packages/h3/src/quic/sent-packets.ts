import type { SentPacket } from './packet-space.js';

/** Slots the ring starts with; it doubles when the packets in flight span more. */
const INITIAL_CAPACITY = 64;

/**
 * The packets in flight of one space, in a ring indexed by packet number. Packet numbers only
 * grow, so the oldest packet is at the head and a new one is appended at the tail; lookups and
 * removals are O(1), and nothing is allocated per packet (a Map rehashes its table as entries
 * come and go, and every table it copies is more for the GC to trace).
 * Invariant: every slot outside [first, end) is empty.
 */
export class SentPackets {
  #slots: Array<SentPacket | undefined> = new Array<SentPacket | undefined>(INITIAL_CAPACITY);
  #mask = INITIAL_CAPACITY - 1;
  /** The slot of packet number `#first`. */
  #head = 0;
  /** The oldest packet number in flight (equals `#end` when none is). */
  #first = 0;
  /** One past the newest packet number recorded. */
  #end = 0;
  #size = 0;

  /** How many packets are in flight. */
  get size(): number {
    return this.#size;
  }

  /** The oldest packet number in flight; with `end`, the range worth scanning. */
  get first(): number {
    return this.#first;
  }

  /** One past the newest packet number in flight (`first` when none is). */
  get end(): number {
    return this.#size === 0 ? this.#first : this.#end;
  }

  /** Records `packet`, whose number must be above every number recorded before. */
  add(packet: SentPacket): void {
    const pn = packet.pn;
    if (this.#size === 0) {
      this.#head = 0;
      this.#first = pn;
      this.#end = pn;
    } else if (pn < this.#end) {
      throw new Error(`packet ${pn} recorded after packet ${this.#end - 1}`);
    }
    while (pn - this.#first >= this.#slots.length) this.#grow();
    this.#slots[(this.#head + pn - this.#first) & this.#mask] = packet;
    this.#end = pn + 1;
    this.#size++;
  }

  get(pn: number): SentPacket | undefined {
    if (pn < this.#first || pn >= this.#end) return undefined;
    return this.#slots[(this.#head + pn - this.#first) & this.#mask];
  }

  /** Removes packet `pn`; returns it, or undefined when it was not in flight. */
  delete(pn: number): SentPacket | undefined {
    const packet = this.get(pn);
    if (packet === undefined) return undefined;
    this.#slots[(this.#head + pn - this.#first) & this.#mask] = undefined;
    this.#size--;
    if (this.#size === 0) {
      this.#head = 0;
      this.#first = this.#end;
    } else if (pn === this.#first) {
      // The head moves to the next packet still in flight.
      do {
        this.#head = (this.#head + 1) & this.#mask;
        this.#first++;
      } while (this.#slots[this.#head] === undefined);
    }
    return packet;
  }

  /** Whether any packet in flight satisfies `test`. */
  some(test: (packet: SentPacket) => boolean): boolean {
    for (let pn = this.#first; pn < this.end; pn++) {
      const packet = this.get(pn);
      if (packet !== undefined && test(packet)) return true;
    }
    return false;
  }

  /** Removes every packet; returns them in packet number order. */
  takeAll(): SentPacket[] {
    const all: SentPacket[] = [];
    for (let pn = this.#first; pn < this.end; pn++) {
      const packet = this.get(pn);
      if (packet !== undefined) all.push(packet);
    }
    this.#slots.fill(undefined);
    this.#head = 0;
    this.#first = this.#end;
    this.#size = 0;
    return all;
  }

  #grow(): void {
    const span = this.#end - this.#first;
    const slots = new Array<SentPacket | undefined>(this.#slots.length * 2);
    for (let i = 0; i < span; i++) slots[i] = this.#slots[(this.#head + i) & this.#mask];
    this.#slots = slots;
    this.#mask = slots.length - 1;
    this.#head = 0;
  }
}
