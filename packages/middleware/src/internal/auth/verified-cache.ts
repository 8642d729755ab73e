import { createHmac, createSecretKey, randomBytes } from 'node:crypto';

/**
 * Remembers recently verified (stored hash, password) pairs, so a bcrypt user's next request
 * costs an HMAC instead of 2^cost Blowfish key setups (Caddy's basicauth does the same).
 * Only successes are kept: a guess still pays the full cost. Entries are HMACs under a key
 * made per process, never the password; the oldest entry goes first when full.
 */
export class VerifiedCache {
  // A KeyObject: createHmac with raw bytes builds and drops two TypeErrors per call (node 24).
  readonly #key = createSecretKey(randomBytes(32));
  readonly #entries = new Set<string>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  #id(hash: string, password: string): string {
    return createHmac('sha256', this.#key)
      .update(`${hash}\u0000${password}`, 'utf8')
      .digest('base64');
  }

  has(hash: string, password: string): boolean {
    return this.#maxEntries > 0 && this.#entries.has(this.#id(hash, password));
  }

  add(hash: string, password: string): void {
    if (this.#maxEntries === 0) return;
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.values().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.add(this.#id(hash, password));
  }
}
