/**
 * What every credential provider shares: one bounded HTTP exchange over the driver's
 * @rws/http1 agent, and a cache that refreshes credentials before they expire.
 */
import type { Agent } from '@rws/http1';
import { ERROR_CODES, StorageError } from '../errors.js';

/** What a provider is handed when it is asked for credentials. */
export interface CredentialContext {
  /** The driver's agent; providers send through it, so `close()` releases their sockets too. */
  readonly agent: Agent;
  readonly signal?: AbortSignal | undefined;
}

interface CredentialRequest {
  readonly url: URL;
  readonly method?: string | undefined;
  readonly headers?: Record<string, string> | undefined;
  readonly body?: string | undefined;
  readonly timeoutMs: number;
}

/** The error every provider throws: names the source, never a secret. */
export function unavailable(source: string, reason: string, cause?: unknown): StorageError {
  return new StorageError(ERROR_CODES.CREDENTIALS_UNAVAILABLE, `${source}: ${reason}`, {
    status: 503,
    cause,
  });
}

/** Sends one request and reads its body (at most 64 KiB); network errors become `unavailable`. */
export async function credentialRequest(
  context: CredentialContext,
  source: string,
  request: CredentialRequest,
): Promise<{ status: number; text: string }> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal =
    context.signal === undefined ? timeout : AbortSignal.any([context.signal, timeout]);
  try {
    const res = await context.agent.request({
      url: request.url,
      method: request.method ?? 'GET',
      headers: request.headers,
      body: request.body,
      signal,
    });
    return { status: res.status, text: await res.body.text({ limit: 64 * 1024 }) };
  } catch (cause) {
    if (context.signal?.aborted) throw cause;
    const reason = timeout.aborted
      ? `no answer from ${request.url.origin} within ${request.timeoutMs} ms`
      : `${request.url.origin} unreachable: ${(cause as Error).message}`;
    throw unavailable(source, reason, cause);
  }
}

/** A value that expires (credentials, tokens). */
export interface Expiring {
  readonly expiration?: Date | undefined;
}

/**
 * Caches what `load` returns until `refreshBeforeMs` before its expiration (a value without
 * one is kept for good). Concurrent callers share one load; a failed refresh falls back to
 * the cached value while it has not actually expired.
 */
export function cacheUntilExpiry<T extends Expiring>(
  load: (context: CredentialContext) => Promise<T>,
  refreshBeforeMs: number,
): (context: CredentialContext) => Promise<T> {
  let current: T | null = null;
  let loading: Promise<T> | null = null;
  const isFresh = (value: T, marginMs: number): boolean =>
    value.expiration === undefined || value.expiration.getTime() - marginMs > Date.now();
  return async (context) => {
    if (current !== null && isFresh(current, refreshBeforeMs)) return current;
    loading ??= load(context).finally(() => {
      loading = null;
    });
    try {
      current = await loading;
      return current;
    } catch (err) {
      if (current !== null && isFresh(current, 0)) return current;
      throw err;
    }
  };
}
