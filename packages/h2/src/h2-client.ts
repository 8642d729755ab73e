import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Headers, type HeadersInit, RwsError } from '@rws/core';
import { ERROR_CODES } from './errors.js';
import { type ClientResponse, ClientSession, isRefusedError } from './internal/client-session.js';

export type { ClientResponse } from './internal/client-session.js';

/** Options of an `Http2Client`. */
export interface Http2ClientOptions {
  /** Trusted CA certificates (PEM) for `https:` origins; default: Node's bundle. */
  ca?: string | Buffer | undefined;
  /** Verify the server certificate. Default true. */
  rejectUnauthorized?: boolean | undefined;
  /** Time to connect (and finish TLS) before the request fails. Default 10 s. */
  connectTimeoutMs?: number | undefined;
  /**
   * Times a request the server refused without processing it (a stream above the
   * last-stream-id of a GOAWAY, or REFUSED_STREAM; RFC 9113 §8.7) is sent again, on a new
   * connection when the old one is going away. Whatever the method: the server promised it
   * did nothing. Requests with a streamed (async iterable) body are not retried. Default 2;
   * 0 turns retries off.
   */
  maxRefusedRetries?: number | undefined;
}

/** One request of an `Http2Client`. */
export interface Http2RequestInit {
  /** Default `GET`. */
  method?: string | undefined;
  headers?: HeadersInit | undefined;
  /** Request body, sent within the server's flow-control windows. */
  body?: string | Uint8Array | AsyncIterable<Uint8Array> | null | undefined;
  /** Aborting resets the stream (RST_STREAM CANCEL). */
  signal?: AbortSignal | undefined;
  /** Trailer fields sent after a streamed body (asked for once its last chunk is out). */
  trailers?: (() => Headers | null) | undefined;
  /**
   * Sends an extended CONNECT (RFC 8441) for this protocol (`websocket`): the method is
   * CONNECT, there is no body, and the request waits for the server's first SETTINGS, failing
   * with `RWS_H2_CONNECT_PROTOCOL_UNSUPPORTED` unless it set ENABLE_CONNECT_PROTOCOL to 1. A
   * 2xx answer carries the stream's two directions in `res.tunnel`.
   */
  protocol?: string | undefined;
}

/**
 * An HTTP/2 client: one session per origin (`https:` with ALPN `h2`, `http:` as h2c with prior
 * knowledge), requests multiplexed as streams on it, a new session once the server sends
 * GOAWAY or the connection closes. Requests the server refused unprocessed (above the
 * last-stream-id of its GOAWAY, or REFUSED_STREAM) are sent again, up to `maxRefusedRetries`
 * times; other failures reject with their `RWS_H2_*` error.
 *
 * @example
 * ```ts
 * import { Http2Client } from '@rws/h2';
 * const client = new Http2Client();
 * const res = await client.request('https://example.com/');
 * console.log(res.status, await res.body.text());
 * await client.close();
 * ```
 */
export class Http2Client {
  readonly #options: Http2ClientOptions;
  readonly #sessions = new Map<string, ClientSession[]>();
  readonly #connecting = new Map<string, Promise<ClientSession>>();

  constructor(options: Http2ClientOptions = {}) {
    this.#options = options;
  }

  /** Sessions currently open to `origin` (for tests and metrics). */
  sessionCount(origin: string): number {
    return (this.#sessions.get(new URL(origin).origin) ?? []).filter((s) => !s.isDone).length;
  }

  /** Sends a request; resolves with the response head and a pull-based body. */
  async request(url: string | URL, init: Http2RequestInit = {}): Promise<ClientResponse> {
    const u = typeof url === 'string' ? new URL(url) : url;
    if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      throw new RwsError(ERROR_CODES.INVALID_OPTIONS, `unsupported URL scheme ${u.protocol}`);
    }
    if (init.protocol !== undefined) return this.#connectProtocol(u, init.protocol, init);
    const body = init.body ?? null;
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    const headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
    if (bytes instanceof Uint8Array && !headers.has('content-length')) {
      headers.set('content-length', String(bytes.length));
    }
    const isReplayable = bytes === null || bytes instanceof Uint8Array;
    const maxRetries = isReplayable ? (this.#options.maxRefusedRetries ?? 2) : 0;
    return this.#withRetries(u, maxRetries, init.signal, (session) =>
      session.request(
        (init.method ?? 'GET').toUpperCase(),
        `${u.pathname}${u.search}`,
        headers,
        bytes,
        init.signal,
        init.trailers,
      ),
    );
  }

  /** Sends on a session of `u`'s origin again while the server refused it unprocessed. */
  async #withRetries(
    u: URL,
    maxRetries: number,
    signal: AbortSignal | undefined,
    send: (session: ClientSession) => Promise<ClientResponse>,
  ): Promise<ClientResponse> {
    for (let attempt = 0; ; attempt++) {
      const session = await this.#session(u);
      try {
        return await send(session);
      } catch (err) {
        if (attempt >= maxRetries || !isRefusedError(err) || signal?.aborted === true) throw err;
      }
    }
  }

  async #connectProtocol(
    u: URL,
    protocol: string,
    init: Http2RequestInit,
  ): Promise<ClientResponse> {
    if (
      (init.method !== undefined && init.method.toUpperCase() !== 'CONNECT') ||
      (init.body !== undefined && init.body !== null)
    ) {
      throw new RwsError(
        ERROR_CODES.INVALID_OPTIONS,
        `an extended CONNECT for ${JSON.stringify(protocol)} has method CONNECT and no body`,
      );
    }
    const headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
    const maxRetries = this.#options.maxRefusedRetries ?? 2;
    return this.#withRetries(u, maxRetries, init.signal, (session) =>
      session.connect(protocol, `${u.pathname}${u.search}`, headers, init.signal),
    );
  }

  /** Closes every session (GOAWAY, then close once their streams are done). */
  async close(): Promise<void> {
    const all = [...this.#sessions.values()].flat();
    this.#sessions.clear();
    await Promise.all(
      all.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.socket.destroyed) return resolve();
            s.socket.once('close', () => resolve());
            s.close();
          }),
      ),
    );
  }

  async #session(u: URL): Promise<ClientSession> {
    const origin = u.origin;
    const list = (this.#sessions.get(origin) ?? []).filter((s) => !s.isDone);
    this.#sessions.set(origin, list);
    const ready = list.find((s) => s.isAvailable);
    if (ready !== undefined) return ready;
    let pending = this.#connecting.get(origin);
    if (pending === undefined) {
      pending = this.#connect(u).finally(() => this.#connecting.delete(origin));
      this.#connecting.set(origin, pending);
    }
    const session = await pending;
    const now = this.#sessions.get(origin) ?? [];
    if (!now.includes(session)) now.push(session);
    this.#sessions.set(origin, now);
    return session;
  }

  #connect(u: URL): Promise<ClientSession> {
    const isTls = u.protocol === 'https:';
    const port = Number(u.port || (isTls ? 443 : 80));
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000;
    return new Promise<ClientSession>((resolve, reject) => {
      let socket: Socket;
      const onError = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          new RwsError(ERROR_CODES.CONNECT_FAILED, `cannot connect to ${u.origin}`, { cause: err }),
        );
      };
      const onConnect = (): void => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        if (isTls && (socket as import('node:tls').TLSSocket).alpnProtocol !== 'h2') {
          socket.destroy();
          reject(
            new RwsError(ERROR_CODES.PROTOCOL_ERROR, `${u.origin} did not negotiate h2 (ALPN)`),
          );
          return;
        }
        resolve(new ClientSession(socket, isTls ? 'https' : 'http', u.host));
      };
      if (isTls) {
        socket = tlsConnect(
          {
            host,
            port,
            servername: /^[\d.]+$|:/.test(host) ? undefined : host,
            ALPNProtocols: ['h2'],
            ...(this.#options.ca === undefined ? {} : { ca: this.#options.ca }),
            rejectUnauthorized: this.#options.rejectUnauthorized ?? true,
          },
          onConnect,
        );
      } else {
        socket = netConnect({ host, port }, onConnect);
      }
      socket.once('error', onError);
      const timer = setTimeout(
        () => onError(new Error(`connect timeout after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
  }
}
