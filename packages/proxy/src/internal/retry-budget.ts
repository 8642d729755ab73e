/** Window over which the retry budget counts requests and retries. */
const WINDOW_MS = 10_000;
/** Retries always allowed per window, so a quiet proxy can still retry. */
const MIN_RETRIES = 3;

/**
 * A retry budget (as in Finagle and Envoy): retries may add at most `percent`% to the request
 * rate, so a failing backend cannot turn every request into several.
 */
export class RetryBudget {
  #percent: number;
  #windowStart = 0;
  #requests = 0;
  #retries = 0;

  constructor(percent: number) {
    this.#percent = percent;
  }

  #roll(now: number): void {
    if (now - this.#windowStart >= WINDOW_MS) {
      this.#windowStart = now;
      this.#requests = 0;
      this.#retries = 0;
    }
  }

  onRequest(now: number): void {
    this.#roll(now);
    this.#requests++;
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryRetry(now: number): boolean {
    this.#roll(now);
    const allowed = Math.max(MIN_RETRIES, (this.#requests * this.#percent) / 100);
    if (this.#retries + 1 > allowed) return false;
    this.#retries++;
    return true;
  }
}
