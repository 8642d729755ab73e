/**
 * A flow-control receive window that tunes its own size, as quic-go and quinn do: the window
 * credit is extended each time half of it is consumed, and when that half went by in less
 * than two round trips (the reader keeps up, so the window, not the reader, bounds the
 * sender), the window doubles, up to `maxSize`. A slow reader never grows it, so memory stays
 * bounded by what is read quickly.
 * @see RFC 9000 §4.2
 */
export class ReceiveWindow {
  /** The current window size in bytes. */
  size: number;
  readonly #maxSize: number;
  /** The highest offset the peer may send up to (what MAX_DATA / MAX_STREAM_DATA says). */
  limit: number;
  #epochStart: number;
  #epochOffset = 0;

  /** `now`: when the window was created (its first tuning epoch starts then). */
  constructor(initialSize: number, maxSize: number, now: number) {
    this.size = initialSize;
    this.limit = initialSize;
    this.#maxSize = Math.max(initialSize, maxSize);
    this.#epochStart = now;
  }

  /**
   * The reader has consumed up to `consumed`; returns the new limit to announce when half the
   * window is used (undefined otherwise). `srttMs` and `now` decide whether the window grows.
   */
  onConsumed(consumed: number, now: number, srttMs: number): number | undefined {
    if (this.limit - consumed >= this.size / 2) return undefined;
    const fraction = (consumed - this.#epochOffset) / this.size;
    // Half a window (or more) in under 4 · fraction RTTs: the window is the bottleneck.
    if (now - this.#epochStart < 4 * fraction * srttMs)
      this.size = Math.min(2 * this.size, this.#maxSize);
    this.#epochStart = now;
    this.#epochOffset = consumed;
    this.limit = consumed + this.size;
    return this.limit;
  }

  /** Grows the window to at least `size` (the connection follows its largest stream window). */
  ensureAtLeast(size: number): void {
    this.size = Math.max(this.size, Math.min(size, this.#maxSize));
  }
}
