import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Frame } from './frames.js';

/** Unanswered PATH_CHALLENGE values kept: a peer moving again and again leaves only these. */
const MAX_CHALLENGES = 4;

/**
 * The path to the peer as the anti-amplification limit and path validation see it. Until the
 * peer's address is validated (by a Handshake packet, a token, or a PATH_RESPONSE) we send at
 * most three times what we received on the path (RFC 9000 §8, §21.1.1.1). A PATH_CHALLENGE
 * with 8 unpredictable bytes validates a new path once the peer echoes them in a
 * PATH_RESPONSE (§8.2); a lost challenge is sent again unchanged and stays valid.
 */
export class PeerPath {
  #isValidated: boolean;
  #sent = 0;
  #received = 0;
  readonly #challenges: Uint8Array[] = [];
  /** Paths validated by PATH_RESPONSE so far. */
  validations = 0;

  constructor(isValidated: boolean) {
    this.#isValidated = isValidated;
  }

  /** Bytes we may still send on this path (Infinity once validated). */
  get budget(): number {
    return this.#isValidated ? Number.POSITIVE_INFINITY : 3 * this.#received - this.#sent;
  }

  get isValidated(): boolean {
    return this.#isValidated;
  }

  onReceived(bytes: number): void {
    this.#received += bytes;
  }

  onSent(bytes: number): void {
    this.#sent += bytes;
  }

  /** The peer proved its address another way (a Handshake packet it could only send after ours). */
  markValidated(): void {
    this.#isValidated = true;
  }

  /**
   * The peer now sends from a new address, where it has sent `datagramBytes` so far: the limit
   * starts again there. Returns the PATH_CHALLENGE to send.
   */
  moveTo(datagramBytes: number): Frame {
    this.#sent = 0;
    this.#received = datagramBytes;
    this.#isValidated = false;
    return this.challenge();
  }

  /** A new PATH_CHALLENGE to send on the path being validated. */
  challenge(): Frame {
    const data = randomBytes(8);
    if (this.#challenges.push(data) > MAX_CHALLENGES) this.#challenges.shift();
    return { type: 'path_challenge', data };
  }

  /** A PATH_RESPONSE arrived; returns whether it answered one of our challenges. */
  onResponse(data: Uint8Array): boolean {
    if (data.length !== 8 || !this.#challenges.some((c) => timingSafeEqual(c, data))) return false;
    this.#challenges.length = 0;
    this.#isValidated = true;
    this.validations++;
    return true;
  }
}
