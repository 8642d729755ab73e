import { Headers, type HeadersInit, RwsError, type Tunnel, type Upgrade } from '@rws/core';
import { isConnectionSpecific } from '@rws/h2';
import { ERROR_CODES } from '../errors.js';
import type { HeaderField } from '../qpack/qpack-decoder.js';
import type { QpackEncoder } from '../qpack/qpack-encoder.js';
import type { QuicStream } from '../quic/quic-stream.js';
import type { FrameEvent } from './frame-reader.js';
import { encodeFrame, FRAME } from './frames.js';
import { type StreamTunnel, streamTunnel } from './stream-tunnel.js';

/** What an upgrade needs to know of its request. */
export interface UpgradeRequestState {
  /** True once the final response was sent or the request ended: too late to accept. */
  isOver(): boolean;
}

/**
 * `req.upgrade` on HTTP/3: a CONNECT (RFC 9114 §4.4) or an extended CONNECT with `:protocol`
 * (RFC 9220, with SETTINGS_ENABLE_CONNECT_PROTOCOL). `accept()` answers 200 on the request
 * stream and hands over the stream's DATA in both directions as a core `Tunnel`, which is what
 * the WebSocket codec of @rws/http1 runs on (as over HTTP/2).
 */
export class H3Upgrade implements Upgrade {
  readonly kind = 'connect' as const;
  readonly protocol: string | null;
  readonly #stream: QuicStream;
  readonly #encoder: QpackEncoder;
  readonly #events: AsyncGenerator<FrameEvent, void, undefined>;
  readonly #request: UpgradeRequestState;
  #opened: StreamTunnel | null = null;

  constructor(
    stream: QuicStream,
    encoder: QpackEncoder,
    events: AsyncGenerator<FrameEvent, void, undefined>,
    request: UpgradeRequestState,
    protocol: string | null,
  ) {
    this.#stream = stream;
    this.#encoder = encoder;
    this.#events = events;
    this.#request = request;
    this.protocol = protocol;
  }

  /** The accepted tunnel, whose `finished` the connection waits for; null before `accept()`. */
  get opened(): StreamTunnel | null {
    return this.#opened;
  }

  accept(headers?: HeadersInit): Promise<Tunnel> {
    if (this.#opened !== null || this.#request.isOver()) {
      return Promise.reject(
        new RwsError(
          ERROR_CODES.UPGRADE_UNAVAILABLE,
          this.#opened !== null
            ? 'upgrade already accepted'
            : 'cannot accept the upgrade: the response was sent or the stream is closed',
        ),
      );
    }
    const section: HeaderField[] = [[':status', '200']];
    for (const [name, value] of headers instanceof Headers ? headers : new Headers(headers)) {
      if (!isConnectionSpecific(name)) section.push([name, value]);
    }
    let block: Uint8Array;
    try {
      block = this.#encoder.encodeTrusted(section, this.#stream.id);
    } catch (error) {
      return Promise.reject(error);
    }
    void this.#stream.write(encodeFrame(FRAME.HEADERS, block)).catch(() => {});
    this.#opened = streamTunnel(this.#stream, this.#events);
    return Promise.resolve(this.#opened.tunnel);
  }
}
