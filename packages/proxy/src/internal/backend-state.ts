/**
 * A backend of an upstream (`BackendState`: pool, health, ejection, circuit breaker, counters)
 * and the parsing of `backends` entries into the URLs that key them.
 */
import type { Http2Client } from '@rws/h2';
import type { Pool } from '@rws/http1';
import type { Backend, BackendOptions, BackendSnapshot } from '../upstream.js';
import type { BackendBreaker } from './backend-breaker.js';
import type { Http3Origins } from './h3-origins.js';
import { invalidOption } from './proxy-error.js';

/** Not excluded by the caller and available (healthy, not ejected, circuit passing). */
export function isUsable(
  b: BackendState,
  exclude: ReadonlySet<string> | undefined,
  now: number,
): boolean {
  return (exclude === undefined || !exclude.has(b.url)) && b.isAvailable(now);
}

/**
 * The backends of `list` that are usable (`isUsable`): a loop of its own, where a filter
 * callback inside `pick` would make every pick allocate a context for the variables it reads.
 */
export function usableBackends(
  list: readonly BackendState[],
  exclude: ReadonlySet<string> | undefined,
  now: number,
): BackendState[] {
  const out: BackendState[] = [];
  for (const b of list) if (isUsable(b, exclude, now)) out.push(b);
  return out;
}

/** The backends of `list` not in `exclude` (failing open ignores health). */
export function notExcluded(
  list: readonly BackendState[],
  exclude: ReadonlySet<string> | undefined,
): BackendState[] {
  const out: BackendState[] = [];
  for (const b of list) if (exclude === undefined || !exclude.has(b.url)) out.push(b);
  return out;
}

/** What a backend reports to its upstream: a failed request may eject it. */
export interface BackendOwner {
  onFailure(b: BackendState): void;
}

/** One backend of an upstream: its pool, health, ejection and breaker state, and counters. */
export class BackendState implements Backend {
  readonly url: string;
  readonly origin: string;
  weight: number;
  readonly pool: Pool;
  readonly protocol: 'http1' | 'h2' | 'h3';
  readonly h2: Http2Client | null;
  readonly h3: Http3Origins | null;
  isHealthy = true;
  ejectedUntil = 0;
  ejections = 0;
  consecutiveFailures = 0;
  active = 0;
  requests = 0;
  failures = 0;
  healthChecksFailed = 0;
  healthPasses = 0;
  healthFails = 0;
  /** Smooth weighted round robin state (nginx). */
  currentWeight = 0;
  breaker: BackendBreaker | null;
  #owner: BackendOwner;

  constructor(
    owner: BackendOwner,
    url: URL,
    weight: number,
    pool: Pool,
    breaker: BackendBreaker | null,
    h2: Http2Client | null,
    h3: Http3Origins | null,
  ) {
    this.#owner = owner;
    this.url = backendKey(url);
    this.origin = httpOrigin(url);
    this.weight = weight;
    this.pool = pool;
    this.protocol = h2 !== null ? 'h2' : h3 !== null ? 'h3' : 'http1';
    this.h2 = h2;
    this.h3 = h3;
    this.breaker = breaker;
  }

  begin(): void {
    this.active++;
    this.requests++;
    this.breaker?.onStart();
  }

  end(outcome: 'success' | 'failure' | 'neutral'): void {
    this.active--;
    if (outcome === 'success') {
      this.consecutiveFailures = 0;
      this.breaker?.onSuccess();
    } else if (outcome === 'failure') {
      this.failures++;
      this.consecutiveFailures++;
      this.breaker?.onFailure();
      this.#owner.onFailure(this);
    } else {
      // Frees a half-open trial slot, or the circuit would stay half-open with no slot left.
      this.breaker?.onNeutral();
    }
  }

  /**
   * True when `isAvailable` depends on the time (an ejection or an open circuit not yet
   * cleared): otherwise a pick need not read the clock.
   */
  get needsClock(): boolean {
    return this.ejectedUntil !== 0 || this.breaker?.isTimed === true;
  }

  isEjected(now: number): boolean {
    if (this.ejectedUntil === 0) return false;
    if (this.ejectedUntil > now) return true;
    // The ejection period is over: back in, with a clean failure streak.
    this.ejectedUntil = 0;
    this.consecutiveFailures = 0;
    return false;
  }

  isAvailable(now: number): boolean {
    return (
      this.isHealthy && !this.isEjected(now) && (this.breaker === null || this.breaker.canPass(now))
    );
  }

  snapshot(now: number): BackendSnapshot {
    return {
      url: this.url,
      weight: this.weight,
      healthy: this.isHealthy,
      ejected: this.isEjected(now),
      circuit: this.breaker?.state(now) ?? 'closed',
      activeRequests: this.active,
      requests: this.requests,
      failures: this.failures,
      ejections: this.ejections,
      healthChecksFailed: this.healthChecksFailed,
    };
  }
}

const H2_SCHEMES = new Set(['h2:', 'h2s:', 'grpc:', 'grpcs:']);

export function isH2Url(url: URL): boolean {
  return H2_SCHEMES.has(url.protocol);
}

/** `h3://host:port`: HTTP/3 over QUIC, always TLS. */
export function isH3Url(url: URL): boolean {
  return url.protocol === 'h3:';
}

/** `scheme://host:port` without a trailing slash (h2: and grpc: URLs have no origin). */
export function backendKey(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/** The http(s) origin a backend is reached at: `h2s:`/`grpcs:` are TLS, `h2:`/`grpc:` not. */
export function httpOrigin(url: URL): string {
  if (!isH2Url(url) && !isH3Url(url)) return url.origin;
  const isTls = url.protocol === 'h2s:' || url.protocol === 'grpcs:' || isH3Url(url);
  return new URL(`${isTls ? 'https' : 'http'}://${url.host}`).origin;
}

/** One `backends` entry, validated: its URL (scheme and authority only) and weight. */
export function parseBackend(
  entry: string | BackendOptions,
  index: number,
): { url: URL; weight: number } {
  const raw = typeof entry === 'string' ? entry : entry?.url;
  const weight = typeof entry === 'string' ? 1 : (entry.weight ?? 1);
  if (typeof raw !== 'string')
    throw invalidOption(`backends[${index}]`, entry, 'a URL or { url, weight }');
  // A bare host:port (the TOML config's spelling) means plain HTTP.
  const text = raw.includes('://') ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidOption(`backends[${index}]`, raw, 'a URL such as http://127.0.0.1:3000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && !isH2Url(url) && !isH3Url(url)) {
    throw invalidOption(
      `backends[${index}]`,
      raw,
      'an http:, https:, h2:, h2s:, grpc:, grpcs: or h3: URL',
    );
  }
  if (url.hostname === '') throw invalidOption(`backends[${index}]`, raw, 'a URL with a host');
  if (url.username !== '' || url.password !== '') {
    throw invalidOption(`backends[${index}]`, '(redacted)', 'a URL without credentials');
  }
  if (!(Number.isFinite(weight) && weight > 0)) {
    throw invalidOption(`backends[${index}].weight`, weight, 'a positive number');
  }
  return { url: new URL(backendKey(url)), weight };
}
