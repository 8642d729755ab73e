/**
 * What the HTTP/1.1 client hands its caller: the response (status, head, streaming body,
 * trailers, tunnel) and interim 1xx responses. The exchange that parses it fills it in.
 */

import type { Body, Headers, Tunnel } from '@rws/core';

/** An interim (1xx) response, as `onInformational` receives it. */
export interface InformationalResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
}

/** A response from the client: status, head, streaming body and (after it) trailers. */
export interface ClientResponse {
  readonly status: number;
  readonly statusText: string;
  /** `http/1.1` or `http/1.0`, as the status line said. */
  readonly protocol: 'http/1.1' | 'http/1.0';
  readonly headers: Headers;
  /** The body; read it (or cancel it) to free the socket for the next request. */
  readonly body: Body;
  /** Trailer fields of a chunked response, available once the body has been read. */
  readonly trailers: Headers | null;
  /**
   * The connection's bytes after a `101 Switching Protocols` to a request with `Upgrade`, or
   * a 2xx to CONNECT; null otherwise. The socket has left the pool; `body` is empty. Closing
   * `writable` half-closes, cancelling `readable` closes the socket.
   */
  readonly tunnel: Tunnel | null;
  /**
   * The whole body as one byte array when all of it has already arrived and none of it was
   * read (a small response usually comes in the same packet as its head); `body` is then
   * used up and the socket already back in the pool. Null while bytes are still to come (or
   * the body was touched): read `body` instead. A proxy relays such a body with its head in
   * one write instead of streaming it.
   */
  takeBufferedBody(): Uint8Array | null;
}

/** The exchange's side of a response: its trailers and, when complete, its buffered body. */
export interface ResponseSource {
  trailerFields(): Headers | null;
  takeComplete(): Uint8Array | null;
}

/**
 * The response object: a class rather than a literal with a getter, so building one per
 * response is a plain allocation.
 */
export class HttpClientResponse implements ClientResponse {
  readonly status: number;
  readonly statusText: string;
  readonly protocol: 'http/1.1' | 'http/1.0';
  readonly headers: Headers;
  readonly body: Body;
  readonly tunnel: Tunnel | null;
  #exchange: ResponseSource | null;

  constructor(
    status: number,
    statusText: string,
    protocol: 'http/1.1' | 'http/1.0',
    headers: Headers,
    body: Body,
    exchange: ResponseSource | null,
    tunnel: Tunnel | null,
  ) {
    this.status = status;
    this.statusText = statusText;
    this.protocol = protocol;
    this.headers = headers;
    this.body = body;
    this.#exchange = exchange;
    this.tunnel = tunnel;
  }

  get trailers(): Headers | null {
    return this.#exchange?.trailerFields() ?? null;
  }

  takeBufferedBody(): Uint8Array | null {
    const body = this.body;
    if (body.isUsed) return null;
    const bytes = this.#exchange?.takeComplete() ?? null;
    // Marks the body used; the exchange is complete, so nothing is left to discard.
    if (bytes !== null) body.cancel();
    return bytes;
  }
}
