/**
 * Wakes a connection's send path again after the pacer held it back, or after a flush stopped
 * at its datagram cap. A wait under a millisecond (node timers cannot be shorter) yields to the
 * event loop once with setImmediate, so received datagrams, ACKs among them, are read in
 * between; a longer one uses a timer.
 */
export class SendWake {
  readonly #onWake: () => void;
  #immediate: NodeJS.Immediate | undefined;
  #timeout: NodeJS.Timeout | undefined;

  constructor(onWake: () => void) {
    this.#onWake = onWake;
  }

  /** Wakes after about `delayMs`; a wake already pending stays as it is. */
  schedule(delayMs: number): void {
    if (this.#immediate !== undefined || this.#timeout !== undefined) return;
    if (delayMs < 1) {
      this.#immediate = setImmediate(() => {
        this.#immediate = undefined;
        this.#onWake();
      });
    } else {
      this.#timeout = setTimeout(() => {
        this.#timeout = undefined;
        this.#onWake();
      }, delayMs);
    }
  }

  clear(): void {
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    if (this.#timeout !== undefined) clearTimeout(this.#timeout);
    this.#immediate = undefined;
    this.#timeout = undefined;
  }
}
