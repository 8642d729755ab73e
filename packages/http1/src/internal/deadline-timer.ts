/**
 * A deadline that moves with every request and is rarely reached: a client socket's wait for
 * a response head, a pooled socket's idle time. Even `refresh()` of a kept timer costs a
 * native clock call and a timer-list removal and insertion; moving this deadline costs a
 * `Date.now()` and a comparison. One timer stays armed to fire no later than the deadline;
 * when it fires before it (the deadline moved on since it was armed) it re-arms for the rest,
 * so a socket busy with a request every few ms touches a timer once per timeout period.
 */
export class DeadlineTimer {
  readonly #onExpire: () => void;
  #timer: NodeJS.Timeout | null = null;
  /** When the armed timer fires (`Date.now()` terms); meaningful while `#timer` is set. */
  #firesAt = 0;
  /** When to call `onExpire` (`Date.now()` terms), or -1 when off. */
  #deadline = -1;

  /** `onExpire` runs once per deadline reached; the timer never keeps the process alive. */
  constructor(onExpire: () => void) {
    this.#onExpire = onExpire;
  }

  /** Sets the deadline `ms` from now, replacing any earlier one. */
  set(ms: number): void {
    const now = Date.now();
    const deadline = now + ms;
    this.#deadline = deadline;
    // The armed timer fires in time: it will find the deadline later and re-arm then.
    if (this.#timer !== null && this.#firesAt <= deadline) return;
    this.#arm(now, ms);
  }

  /** No deadline; the armed timer, if any, fires and does nothing. */
  clear(): void {
    this.#deadline = -1;
  }

  /** No deadline and no timer (the socket is gone). */
  dispose(): void {
    this.#deadline = -1;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(now: number, ms: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#fire, ms);
    this.#timer.unref();
    this.#firesAt = now + ms;
  }

  #fire = (): void => {
    this.#timer = null;
    const deadline = this.#deadline;
    if (deadline === -1) return;
    const now = Date.now();
    // Node's timers count from the loop's cached time, which may lag the clock: a timer can
    // fire a little before `#firesAt`. The rest is waited for, never cut short.
    if (now < deadline) {
      this.#arm(now, deadline - now);
      return;
    }
    this.#deadline = -1;
    this.#onExpire();
  };
}
