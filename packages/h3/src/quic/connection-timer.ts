/**
 * The idle timeout of a connection (RFC 9000 §10.1): the smaller of both sides' values, 0 on
 * both meaning none.
 */
export function effectiveIdleTimeout(localMs: number, peerMs: number): number {
  if (localMs === 0) return peerMs;
  if (peerMs === 0) return localMs;
  return Math.min(localMs, peerMs);
}

/** A node timer may fire up to a millisecond before a sub-millisecond deadline; that is due. */
const EARLY_FIRE_SLACK_MS = 1;

/**
 * The one timer of a connection: it fires at the earliest of the idle deadline and whatever
 * deadline the connection arms it for (loss time, ACK delay, PTO). One node timer per
 * connection keeps thousands of idle connections cheap.
 *
 * The connection re-arms after every flush and every ACK, usually moving the deadline later
 * (a PTO restarts from the newest packet). Re-creating the node timer each time cost a
 * clearTimeout, a setTimeout and a closure per flush, so a later deadline only updates the
 * field: the node timer already set fires first and then re-arms itself for the remainder.
 * Only an earlier deadline replaces the node timer.
 */
export class ConnectionTimer {
  readonly #onFire: () => void;
  readonly #onNodeTimer = (): void => this.#fireOrWait();
  #timer: NodeJS.Timeout | undefined;
  /** When the node timer in #timer fires (a `performance.now()` time). */
  #timerAt = Number.POSITIVE_INFINITY;
  /** When the connection wants to be woken: the earliest of the armed and idle deadlines. */
  #deadline = Number.POSITIVE_INFINITY;
  #idleDeadline = Number.POSITIVE_INFINITY;

  constructor(onFire: () => void) {
    this.#onFire = onFire;
  }

  /** Whether the connection has been idle past its timeout at `now`. */
  isIdleAt(now: number): boolean {
    return now >= this.#idleDeadline;
  }

  /**
   * Restarts the idle period (on each authenticated packet; RFC 9000 §10.1). It is never
   * shorter than `minimumMs` (three PTOs), so a slow handshake is not taken for an idle peer.
   */
  touchIdle(timeoutMs: number, minimumMs: number): void {
    this.#idleDeadline =
      timeoutMs === 0
        ? Number.POSITIVE_INFINITY
        : performance.now() + Math.max(timeoutMs, minimumMs);
  }

  /** Fires at `at` (a `performance.now()` time) or at the idle deadline, whichever is first. */
  arm(at: number): void {
    this.#deadline = Math.min(at, this.#idleDeadline);
    if (this.#deadline === Number.POSITIVE_INFINITY) {
      this.clear();
      return;
    }
    // A node timer that fires no later than the deadline wakes us in time; it re-arms then.
    if (this.#timer !== undefined && this.#timerAt <= this.#deadline) return;
    this.#setNodeTimer(performance.now());
  }

  clear(): void {
    this.#deadline = Number.POSITIVE_INFINITY;
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #setNodeTimer(now: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = this.#deadline;
    this.#timer = setTimeout(this.#onNodeTimer, Math.max(0, this.#deadline - now));
  }

  #fireOrWait(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#deadline === Number.POSITIVE_INFINITY) return;
    const now = performance.now();
    // The deadline moved later since this node timer was set: sleep on until then.
    if (now < this.#deadline - EARLY_FIRE_SLACK_MS) {
      this.#setNodeTimer(now);
      return;
    }
    this.#deadline = Number.POSITIVE_INFINITY;
    this.#onFire();
  }
}
