import type { PacketKeys } from './crypto/packet-keys.js';
import type { PacketSpace } from './packet-space.js';
import type { VersionProfile } from './version.js';

/**
 * Key updates of the 1-RTT keys (RFC 9001 §6). Either side may start one by flipping the key
 * phase bit of the packets it sends; the other side notices a packet with the other bit that
 * authenticates with the next keys and answers by updating its own write keys.
 *
 * The application space's `readKeys`/`writeKeys` always hold the current phase; this class
 * keeps the neighbours: the next read keys (derived when first needed) and the previous read
 * keys, kept for three probe timeouts so reordered packets of the old phase still open
 * (RFC 9001 §6.5), then discarded.
 */
export class KeyUpdate {
  readonly #space: PacketSpace;
  readonly #profile: VersionProfile;
  #readPhase: 0 | 1 = 0;
  #writePhase: 0 | 1 = 0;
  #nextRead: PacketKeys | undefined;
  #previousRead: PacketKeys | undefined;
  #previousReadUntil = 0;
  /** The smallest packet number received in the current read phase. */
  #readPhaseFirstPn = 0;
  /** The first packet number sent with the current write keys (Infinity before one is sent). */
  #writePhaseFirstPn = Number.POSITIVE_INFINITY;
  #isWritePhaseAcked = false;
  /** Key phases this connection went through (initiated by either side). */
  updates = 0;

  constructor(space: PacketSpace, profile: VersionProfile) {
    this.#space = space;
    this.#profile = profile;
  }

  /** The key phase bit of the packets we send. */
  get keyPhase(): 0 | 1 {
    return this.#writePhase;
  }

  /** Whether the previous phase's read keys are still kept at `now`. */
  hasPreviousReadKeys(now: number): boolean {
    return this.#previousRead !== undefined && now < this.#previousReadUntil;
  }

  /**
   * The keys that open a 1-RTT packet whose key phase bit is `phaseBit` and whose packet number
   * is `pn`: the current keys for the current bit, the previous keys for an older packet
   * with the other bit, otherwise the next keys (a key update by the peer).
   */
  keysFor(phaseBit: 0 | 1, pn: number, now: number): PacketKeys | undefined {
    const current = this.#space.readKeys;
    if (current === undefined) return undefined;
    if (this.#previousRead !== undefined && now >= this.#previousReadUntil)
      this.#previousRead = undefined;
    if (phaseBit === this.#readPhase) return current;
    if (this.#isOlder(pn)) return this.#previousRead;
    this.#nextRead ??= current.nextPhase(this.#profile);
    return this.#nextRead;
  }

  /**
   * Called once a packet opened with `keysFor(phaseBit, pn)` authenticated: a packet of the next
   * phase makes it current, and we answer a peer's update with our own (RFC 9001 §6.2).
   * `ptoMs` sets how long the old read keys are kept.
   */
  onOpened(phaseBit: 0 | 1, pn: number, now: number, ptoMs: number): void {
    if (phaseBit === this.#readPhase) {
      if (pn < this.#readPhaseFirstPn) this.#readPhaseFirstPn = pn;
      return;
    }
    if (this.#isOlder(pn) || this.#nextRead === undefined) return;
    this.#previousRead = this.#space.readKeys;
    this.#previousReadUntil = now + 3 * ptoMs;
    this.#space.readKeys = this.#nextRead;
    this.#nextRead = undefined;
    this.#readPhase = phaseBit;
    this.#readPhaseFirstPn = pn;
    if (this.#writePhase !== phaseBit) this.#rotateWrite();
    this.updates++;
  }

  /**
   * Whether we may start an update now: the handshake is confirmed, the peer has answered
   * our last update, and a packet sent with the current keys was acknowledged (RFC 9001 §6.1).
   */
  canInitiate(isHandshakeConfirmed: boolean): boolean {
    return (
      isHandshakeConfirmed &&
      this.#space.writeKeys !== undefined &&
      this.#readPhase === this.#writePhase &&
      this.#isWritePhaseAcked
    );
  }

  /** Starts a key update: our next packets use the next write keys and the other phase bit. */
  initiate(): void {
    this.#rotateWrite();
  }

  /** Records the packet number of each packet sent in the application space. */
  onSealed(pn: number): void {
    if (pn < this.#writePhaseFirstPn) this.#writePhaseFirstPn = pn;
  }

  /** Records the largest packet number an ACK in the application space acknowledged. */
  onAcked(largest: number): void {
    if (largest >= this.#writePhaseFirstPn) this.#isWritePhaseAcked = true;
  }

  #isOlder(pn: number): boolean {
    return this.#previousRead !== undefined && pn < this.#readPhaseFirstPn;
  }

  #rotateWrite(): void {
    this.#space.writeKeys = this.#space.writeKeys?.nextPhase(this.#profile);
    this.#writePhase = this.#writePhase === 0 ? 1 : 0;
    this.#writePhaseFirstPn = Number.POSITIVE_INFINITY;
    this.#isWritePhaseAcked = false;
  }
}
