import type { CircuitBreakerOptions, CircuitState, RedisLike } from '../circuit-breaker.js';

/** One backend's circuit breaker (see `CircuitBreakerOptions`). */
export class BackendBreaker {
  #threshold: number;
  #openMs: number;
  #halfOpenMax: number;
  #redis: RedisLike | null;
  #key: string;
  #failures = 0;
  #openUntil = 0;
  #trials = 0;
  #isHalfOpen = false;
  /** Times the circuit opened (a counter for metrics). */
  opened = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(id: string, options: CircuitBreakerOptions) {
    this.#threshold = options.failureThreshold ?? 5;
    this.#openMs = options.openMs ?? 10_000;
    this.#halfOpenMax = options.halfOpenRequests ?? 1;
    this.#redis = options.redis ?? null;
    this.#key = `${options.keyPrefix ?? 'rws:proxy:cb:'}${id}`;
    if (this.#redis !== null) {
      this.#timer = setInterval(() => void this.sync(), options.syncMs ?? 1000);
      this.#timer.unref();
      void this.sync();
    }
  }

  /** True when `state()` depends on the time: the circuit opened and has not closed since. */
  get isTimed(): boolean {
    return this.#openUntil !== 0;
  }

  /** The current state. */
  state(now: number = Date.now()): CircuitState {
    if (this.#openUntil > now) return 'open';
    if (this.#isHalfOpen || this.#openUntil !== 0) return 'half_open';
    return 'closed';
  }

  /** True when a request may be sent now (does not take a trial slot). */
  canPass(now: number = Date.now()): boolean {
    const state = this.state(now);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return this.#trials < this.#halfOpenMax;
  }

  /** Called when a request is sent to the backend. */
  onStart(now: number = Date.now()): void {
    if (this.state(now) === 'half_open') {
      this.#isHalfOpen = true;
      this.#trials++;
    }
  }

  /** A request ended without saying anything about the backend (the client went away). */
  onNeutral(): void {
    if (this.#isHalfOpen) this.#trials = Math.max(0, this.#trials - 1);
  }

  onSuccess(): void {
    if (this.#isHalfOpen || this.#openUntil !== 0) {
      this.#trials = Math.max(0, this.#trials - 1);
      this.#isHalfOpen = false;
      this.#openUntil = 0;
      if (this.#redis !== null) void this.#redis.set(this.#key, '0').catch(() => {});
    }
    this.#failures = 0;
  }

  onFailure(now: number = Date.now()): void {
    if (this.#isHalfOpen || (this.#openUntil !== 0 && this.#openUntil <= now)) {
      this.#trials = Math.max(0, this.#trials - 1);
      this.#open(now);
      return;
    }
    this.#failures++;
    if (this.#failures >= this.#threshold) this.#open(now);
  }

  /** Reads the shared open state from Redis (a failure keeps the local state). */
  async sync(): Promise<void> {
    if (this.#redis === null) return;
    try {
      const value = await this.#redis.get(this.#key);
      const until = value === null ? 0 : Number(value);
      if (Number.isFinite(until) && until > Date.now() && until > this.#openUntil) {
        this.#openUntil = until;
        this.#isHalfOpen = false;
        this.#trials = 0;
      }
    } catch {}
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  #open(now: number): void {
    this.#openUntil = now + this.#openMs;
    this.#isHalfOpen = false;
    this.#trials = 0;
    this.#failures = 0;
    this.opened++;
    if (this.#redis !== null) {
      void this.#redis.set(this.#key, String(this.#openUntil)).catch(() => {});
    }
  }
}
