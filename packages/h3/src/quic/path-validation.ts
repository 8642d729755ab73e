import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Frame } from './frames.js';

/**
 * Path validation (RFC 9000 §8.2): a PATH_CHALLENGE with 8 unpredictable bytes is answered by a
 * PATH_RESPONSE echoing them, which proves the peer receives on the new path. Until then the
 * connection limits what it sends there to three times what it received (§9.3, §21.1.1.1).
 * Challenges that are still unanswered stay valid (a lost one is sent again unchanged).
 */
export class PathValidation {
  readonly #outstanding: Uint8Array[] = [];
  /** Paths validated so far. */
  validated = 0;

  /** Whether a challenge is waiting for its response. */
  get isValidating(): boolean {
    return this.#outstanding.length > 0;
  }

  /** A new PATH_CHALLENGE to send on the path being validated. */
  challenge(): Frame {
    const data = randomBytes(8);
    // Bounded: a peer moving again and again leaves only the latest few challenges.
    if (this.#outstanding.push(data) > 4) this.#outstanding.shift();
    return { type: 'path_challenge', data };
  }

  /** A PATH_RESPONSE arrived; returns whether it answers an outstanding challenge. */
  onResponse(data: Uint8Array): boolean {
    if (data.length !== 8 || !this.#outstanding.some((c) => timingSafeEqual(c, data))) return false;
    this.#outstanding.length = 0;
    this.validated++;
    return true;
  }
}
