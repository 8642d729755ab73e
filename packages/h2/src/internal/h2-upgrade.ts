/**
 * `req.upgrade` on HTTP/2: a CONNECT stream (RFC 9113 §8.5) or an extended CONNECT with
 * `:protocol` (RFC 8441). `accept()` answers 200 on the stream and hands the handler the
 * stream's two directions as a core `Tunnel`; DATA frames carry the tunnel's bytes.
 */
import { Headers, type HeadersInit, RwsError, type Tunnel, type Upgrade } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import type { H2Stream } from './h2-stream.js';

/** What the connection does for an accepted tunnel. */
export interface TunnelHost {
  /** Sends the 200 and returns the tunnel; throws when the stream cannot take it. */
  acceptTunnel(s: H2Stream, headers: Headers): Tunnel;
}

export class H2Upgrade implements Upgrade {
  readonly kind = 'connect' as const;
  readonly protocol: string | null;
  readonly #host: TunnelHost;
  readonly #stream: H2Stream;
  #isAccepted = false;

  constructor(host: TunnelHost, stream: H2Stream, protocol: string | null) {
    this.#host = host;
    this.#stream = stream;
    this.protocol = protocol;
  }

  /** True once `accept()` succeeded: the handler's response is not sent. */
  get isAccepted(): boolean {
    return this.#isAccepted;
  }

  accept(headers?: HeadersInit): Promise<Tunnel> {
    try {
      if (this.#isAccepted) {
        throw new RwsError(ERROR_CODES.UPGRADE_UNAVAILABLE, 'upgrade already accepted');
      }
      const fields = headers instanceof Headers ? headers : new Headers(headers);
      const tunnel = this.#host.acceptTunnel(this.#stream, fields);
      this.#isAccepted = true;
      return Promise.resolve(tunnel);
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
