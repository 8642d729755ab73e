/**
 * The idle timeout of a connection (RFC 9000 §10.1): the smaller of both sides' values, 0 on
 * both meaning none.
 */
export function effectiveIdleTimeout(localMs: number, peerMs: number): number {
  if (localMs === 0) return peerMs;
  if (peerMs === 0) return localMs;
  return Math.min(localMs, peerMs);
}

/**
 * The one timer of a connection: it fires at the earliest of the idle deadline and whatever
 * deadline the connection arms it for (loss time, ACK delay, PTO). One node timer per
 * connection, re-armed after each flush, keeps thousands of idle connections cheap.
 */
export class ConnectionTimer {
  readonly #onFire: () => void;
  #timer: NodeJS.Timeout | undefined;
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
    const next = Math.min(at, this.#idleDeadline);
    this.clear();
    if (next === Number.POSITIVE_INFINITY) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#onFire();
      },
      Math.max(0, next - performance.now()),
    );
  }

  clear(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
