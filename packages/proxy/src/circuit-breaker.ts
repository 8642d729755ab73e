/**
 * Options of the per-backend circuit breaker: closed (requests flow, failures counted) → open
 * (requests refused for `openMs`) → half-open (`halfOpenRequests` trial requests; a success
 * closes it, a failure opens it again). With a Redis client the open state is shared by every
 * process using the same key prefix. The breaker itself is `internal/backend-breaker.ts`.
 */

/**
 * The part of a Redis client the breaker uses. node-redis (`createClient()`) and ioredis
 * (`new Redis()`) both fit as they are.
 */
export interface RedisLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
}

/** Options of the circuit breaker of each backend of an upstream. */
export interface CircuitBreakerOptions {
  /** Consecutive failures (connect errors, timeouts, 5xx) that open the circuit. Default 5. */
  failureThreshold?: number | undefined;
  /** How long an open circuit refuses requests before it lets trials through. Default 10000. */
  openMs?: number | undefined;
  /** Trial requests allowed at once while half-open. Default 1. */
  halfOpenRequests?: number | undefined;
  /** Shares the open state between processes: an injected node-redis or ioredis client. */
  redis?: RedisLike | undefined;
  /** Prefix of the Redis keys (one per backend URL). Default `rws:proxy:cb:`. */
  keyPrefix?: string | undefined;
  /** How often the shared state is read from Redis. Default 1000. */
  syncMs?: number | undefined;
}

/** The state of a breaker. */
export type CircuitState = 'closed' | 'open' | 'half_open';
