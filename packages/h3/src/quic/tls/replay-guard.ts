import { createHash } from 'node:crypto';

/**
 * 0-RTT anti-replay by single-use tickets (RFC 8446 §8.1): a ticket's early data is taken once;
 * a ClientHello that brings the same ticket again (a replay, or the client reusing it) gets a
 * full 1-RTT handshake. The store is bounded: entries leave when their ticket expires, and
 * when it is full 0-RTT is refused (never accepted unchecked) until entries expire. It is
 * per process: servers behind a load balancer without shared state should leave 0-RTT off.
 */
export class ReplayGuard {
  readonly #maxEntries: number;
  /** Ticket digests and when their ticket expires, in insertion (so roughly expiry) order. */
  readonly #seen = new Map<string, number>();

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** True the first time a ticket (unexpired at `expiresAt`) is presented for 0-RTT. */
  consume(ticket: Uint8Array, expiresAt: number, now: number = Date.now()): boolean {
    for (const [key, expiry] of this.#seen) {
      if (expiry > now) break;
      this.#seen.delete(key);
    }
    const key = createHash('sha256').update(ticket).digest('base64');
    if (this.#seen.has(key) || this.#seen.size >= this.#maxEntries) return false;
    this.#seen.set(key, expiresAt);
    return true;
  }
}
