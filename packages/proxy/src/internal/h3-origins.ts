/**
 * HTTP/3 backends (`h3://host:port`): one @rws/h3 client connection per origin, requests
 * multiplexed on it as streams, a new connection once the server sent GOAWAY or the connection
 * closed. It answers `request(url, init)` like @rws/h2's `Http2Client`, so the HTTP/2 exchange
 * (streaming bodies, trailers, timeouts) carries HTTP/3 exchanges too.
 */
import { Headers, type HeadersInit, RwsError } from '@rws/core';
import type { ClientResponse, Http2RequestInit } from '@rws/h2';
import { Http3Client } from '@rws/h3';
import { ERROR_CODES } from '../errors.js';

/** TLS of the HTTP/3 connections: the upstream's `ca` and `rejectUnauthorized`. */
export interface Http3OriginsOptions {
  readonly ca?: string | undefined;
  readonly rejectUnauthorized: boolean;
}

/** Fields that belong to one connection (RFC 9114 §4.2); `host` travels as `:authority`. */
const NOT_FORWARDED = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

export class Http3Origins {
  readonly #options: Http3OriginsOptions;
  readonly #clients = new Map<string, Promise<Http3Client>>();
  /** The clients whose handshake completed (close() waits only for these). */
  readonly #connected = new Set<Http3Client>();
  #isClosed = false;

  constructor(options: Http3OriginsOptions) {
    this.#options = options;
  }

  /** Sends a request to `url` (`https://host:port/path`) over HTTP/3. */
  async request(url: string, init: Http2RequestInit = {}): Promise<ClientResponse> {
    const target = new URL(url);
    const headers =
      init.headers === undefined ? new Headers() : new Headers(init.headers as HeadersInit);
    const fields: [string, string][] = [];
    for (const [name, value] of headers) {
      if (NOT_FORWARDED.has(name)) continue;
      if (name === 'te' && value.trim().toLowerCase() !== 'trailers') continue;
      fields.push([name, value]);
    }
    const request = {
      method: init.method ?? 'GET',
      path: `${target.pathname}${target.search}`,
      authority: headers.get('host') ?? target.host,
      headers: fields,
      body: init.body ?? null,
      ...(init.trailers === undefined ? {} : { trailers: init.trailers }),
      ...(init.signal === undefined ? {} : { signal: init.signal }),
    };
    let client = await untilAborted(this.#client(target), init.signal);
    if (!client.isAvailable) {
      // GOAWAY or a close since the last request: a new connection takes this one.
      this.#clients.delete(target.host);
      this.#connected.delete(client);
      client = await untilAborted(this.#client(target), init.signal);
    }
    // No tunnels here: WebSockets never reach an h3 backend (the reverse proxy refuses them).
    return { ...(await client.stream(request)), tunnel: null };
  }

  #client(target: URL): Promise<Http3Client> {
    if (this.#isClosed) {
      return Promise.reject(new RwsError(ERROR_CODES.CONNECT_FAILED, 'the upstream is closed'));
    }
    const key = target.host;
    const existing = this.#clients.get(key);
    if (existing !== undefined) return existing;
    const host = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
    const client = Http3Client.connect({
      host,
      port: Number(target.port || 443),
      rejectUnauthorized: this.#options.rejectUnauthorized,
      ...(this.#options.ca === undefined ? {} : { ca: [this.#options.ca] }),
    }).then(
      (connected) => {
        if (!this.#isClosed) this.#connected.add(connected);
        return connected;
      },
      (err: unknown) => {
        this.#clients.delete(key);
        throw new RwsError(
          ERROR_CODES.CONNECT_FAILED,
          `cannot connect to h3://${key}: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      },
    );
    this.#clients.set(key, client);
    return client;
  }

  /**
   * Closes every connection. One still in its handshake is closed once it connects, without
   * waiting: a backend that never answers would otherwise hold close() for the idle timeout.
   */
  async close(): Promise<void> {
    this.#isClosed = true;
    const pending = [...this.#clients.values()];
    this.#clients.clear();
    const open = [...this.#connected];
    this.#connected.clear();
    for (const client of pending) {
      void client.then((c) => (open.includes(c) ? undefined : c.close())).catch(() => {});
    }
    await Promise.all(open.map((c) => c.close().catch(() => {})));
  }
}

/**
 * `promise`, or the signal's reason once it aborts: a handshake to a backend that never answers
 * lasts until QUIC's idle timeout, longer than the proxy's own deadlines.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
