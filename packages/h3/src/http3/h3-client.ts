import { X509Certificate } from 'node:crypto';
import { checkFieldBytes, Headers, RwsError, type Tunnel } from '@rws/core';
import { ERROR_CODES, HTTP3_ERROR, http3Error } from '../errors.js';
import type { HeaderField } from '../qpack/qpack-decoder.js';
import type { QuicConnection } from '../quic/quic-connection.js';
import { QuicEndpoint } from '../quic/quic-endpoint.js';
import type { QuicStream } from '../quic/quic-stream.js';
import type { SessionTicket } from '../quic/tls/session-ticket.js';
import {
  finalResponseHead,
  type Http3StreamRequest,
  type Http3StreamResponse,
  requestFailure,
  streamExchange,
  unexpected,
} from './client-stream.js';
import { FrameReader } from './frame-reader.js';
import { encodeFrame, FRAME, SETTING } from './frames.js';
import { Http3Session } from './h3-session.js';
import { streamEvents } from './stream-events.js';
import { streamTunnel } from './stream-tunnel.js';

/** Where and how `Http3Client.connect()` connects. */
export interface Http3ClientOptions {
  readonly host: string;
  readonly port: number;
  /** TLS server name (default: `host`). */
  readonly serverName?: string;
  /** Trust anchors in PEM (default: node's root certificates). */
  readonly ca?: readonly string[];
  /** False skips certificate checks (tests against self-signed peers only). */
  readonly rejectUnauthorized?: boolean;
  /** Largest response field section accepted (default 64 KiB). */
  readonly maxFieldSectionSize?: number;
  /** QUIC idle timeout, which also bounds the handshake (default 30 000 ms). */
  readonly maxIdleTimeoutMs?: number;
  /** Client certificate chain (PEM, leaf first) and key, sent when the server asks (mTLS). */
  readonly cert?: string;
  readonly key?: string;
  /** Ask the server to staple an OCSP response (status_request); read it as `ocspResponse`. */
  readonly requestOcsp?: boolean;
  /**
   * A session ticket from an earlier connection to the same server (`client.sessionTicket`):
   * the handshake resumes that session and skips the certificate. An expired ticket, or one
   * for another server name, is not offered (a full handshake follows).
   */
  readonly sessionTicket?: SessionTicket;
}

/** One request. The body is sent whole; trailers follow it. */
export interface Http3ClientRequest {
  readonly method?: string;
  /** Origin-form path with query, e.g. `/a?b=1`. */
  readonly path: string;
  /** `:authority` (default: the server name and port). */
  readonly authority?: string;
  readonly headers?: readonly HeaderField[];
  readonly body?: Uint8Array | string;
  readonly trailers?: readonly HeaderField[];
  /**
   * Aborting cancels the request: the stream is reset and reading stopped with
   * H3_REQUEST_CANCELLED, and `request()` rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
  /** Called for each interim (1xx) response, e.g. 103 Early Hints. */
  readonly onInformational?: (status: number, headers: Headers) => void;
  /** Called with each response body chunk as it arrives (the body is still returned whole). */
  readonly onData?: ((chunk: Uint8Array) => void) | undefined;
  /**
   * Sends an extended CONNECT (RFC 9220) for this protocol (`websocket`): the method is
   * CONNECT, there is no body or trailers, and the request waits for the server's SETTINGS,
   * rejecting with `RWS_H3_CONNECT_PROTOCOL_UNSUPPORTED` unless they carry
   * SETTINGS_ENABLE_CONNECT_PROTOCOL = 1. It resolves at the response head: a 2xx with the
   * stream's two directions in `tunnel`, anything else with its whole body.
   */
  readonly protocol?: string | undefined;
}

/** A complete response, body buffered. */
export interface Http3ClientResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
  readonly trailers: Headers | null;
  /** After a 2xx to an extended CONNECT (`protocol`): the stream's DATA both ways; else null. */
  readonly tunnel: Tunnel | null;
}

/**
 * A small HTTP/3 client over our QUIC transport: one connection, requests on concurrent
 * bidirectional streams; `request()` buffers the response whole (tests, tooling), `stream()`
 * streams both bodies (what @rws/proxy's `h3://` upstreams use).
 * @see RFC 9114 §4.1
 */
export class Http3Client {
  readonly #endpoint: QuicEndpoint;
  readonly #session: Http3Session;
  readonly #authority: string;
  #isClosed = false;

  private constructor(
    endpoint: QuicEndpoint,
    quic: QuicConnection,
    authority: string,
    max: number,
    early: readonly QuicStream[],
  ) {
    this.#endpoint = endpoint;
    this.#authority = authority;
    void quic.closed.then(() => {
      this.#isClosed = true;
    });
    const session = new Http3Session(quic, max, () => {});
    this.#session = session;
    const onStream = (stream: QuicStream): void => {
      // Servers open only unidirectional streams towards a client (no push without MAX_PUSH_ID).
      if ((stream.id & 2) === 0) {
        session.fail(
          http3Error(HTTP3_ERROR.H3_STREAM_CREATION_ERROR, 'server-initiated bidirectional stream'),
        );
        return;
      }
      session.onUniStream(stream, false).catch((error: unknown) => session.onStreamError(error));
    };
    quic.onStream = onStream;
    // Streams the server opened before the handshake finished (its control stream, usually).
    for (const stream of early) onStream(stream);
    session.openStreams();
  }

  /** Connects (QUIC handshake with ALPN h3) and opens the control and QPACK streams. */
  static async connect(options: Http3ClientOptions): Promise<Http3Client> {
    const endpoint = await QuicEndpoint.bind({
      host: options.host.includes(':') ? '::' : '0.0.0.0',
      ...(options.maxIdleTimeoutMs === undefined
        ? {}
        : { transport: { maxIdleTimeoutMs: options.maxIdleTimeoutMs } }),
    });
    const early: QuicStream[] = [];
    try {
      const quic = await endpoint.connect({
        onStream: (stream) => early.push(stream),
        host: options.host,
        port: options.port,
        alpn: ['h3'],
        ...(options.serverName === undefined ? {} : { serverName: options.serverName }),
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        ...(options.rejectUnauthorized === undefined
          ? {}
          : { rejectUnauthorized: options.rejectUnauthorized }),
        ...(options.cert === undefined ? {} : { cert: options.cert }),
        ...(options.key === undefined ? {} : { key: options.key }),
        ...(options.requestOcsp === true ? { requestOcsp: true } : {}),
        ...(options.sessionTicket === undefined ? {} : { sessionTicket: options.sessionTicket }),
      });
      const authority = `${options.serverName ?? options.host}:${options.port}`;
      return new Http3Client(
        endpoint,
        quic,
        authority,
        options.maxFieldSectionSize ?? 65536,
        early,
      );
    } catch (error) {
      await endpoint.close();
      throw error;
    }
  }

  /** The stream id of the server's GOAWAY, once it sent one: no new requests from then on. */
  get goawayId(): number | undefined {
    return this.#session.goawayId;
  }

  /**
   * QPACK dynamic table use on this connection: entries our encoder inserted, and entries the
   * server's encoder inserted into our decoder's table.
   */
  get qpackStats(): { readonly inserted: number; readonly received: number } {
    return {
      inserted: this.#session.encoder.table.insertCount,
      received: this.#session.decoder.table.insertCount,
    };
  }

  /** The server's certificate (the leaf of the chain it sent). */
  get peerCertificate(): X509Certificate | undefined {
    const leaf = this.#session.quic.tlsSession.peerCertificates?.[0];
    return leaf === undefined ? undefined : new X509Certificate(leaf);
  }

  /** The DER OCSP response the server stapled to its certificate (with `requestOcsp`). */
  get ocspResponse(): Uint8Array | undefined {
    return this.#session.quic.tlsSession.ocspResponse;
  }

  /**
   * The newest session ticket the server sent (it arrives just after the handshake), for
   * `sessionTicket` of a later connect. It holds the session's resumption secret: keep it safe.
   */
  get sessionTicket(): SessionTicket | undefined {
    return this.#session.quic.tlsSession.sessionTicket;
  }

  /** Whether this connection resumed a session from a ticket. */
  get isResumed(): boolean {
    return this.#session.quic.tlsSession.isResumed === true;
  }

  /** The server's SETTINGS, once its control stream delivered them. */
  get settings(): ReadonlyMap<number, number> | undefined {
    return this.#session.settings;
  }

  /**
   * Sends a request and reads the whole response. Rejects with `RWS_H3_REQUEST_REJECTED` when
   * the server sent GOAWAY before it or refused it (safe to retry on a new connection), and
   * with an `Http3Error` (`RWS_H3_STREAM_RESET`, `applicationCode` the server's code) when
   * the server otherwise reset the stream.
   */
  async request(init: Http3ClientRequest): Promise<Http3ClientResponse> {
    const session = this.#session;
    init.signal?.throwIfAborted();
    if (init.protocol !== undefined) await this.#checkConnectProtocol(init);
    if (session.goawayId !== undefined) {
      throw new RwsError(ERROR_CODES.REQUEST_REJECTED, 'the server sent GOAWAY: no new requests');
    }
    checkRequestBytes(init, this.#authority, init.trailers);
    const stream = session.quic.openStream();
    const onAbort = (): void => {
      stream.reset(HTTP3_ERROR.H3_REQUEST_CANCELLED);
      stream.stopSending(HTTP3_ERROR.H3_REQUEST_CANCELLED);
    };
    init.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await (init.protocol === undefined
        ? this.#exchange(stream, init)
        : this.#exchangeTunnel(stream, init, init.protocol));
    } catch (error) {
      throw requestFailure(stream, error, init.signal);
    } finally {
      init.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** RFC 9220 §3: no `:protocol` before the server's SETTINGS enabled it. */
  async #checkConnectProtocol(init: Http3ClientRequest): Promise<void> {
    if ((init.method !== undefined && init.method !== 'CONNECT') || init.body !== undefined) {
      throw new RwsError(
        ERROR_CODES.INVALID_OPTIONS,
        'an extended CONNECT has method CONNECT and no body',
      );
    }
    await this.#session.settingsReady();
    init.signal?.throwIfAborted();
    if (this.#session.settings?.get(SETTING.ENABLE_CONNECT_PROTOCOL) !== 1) {
      throw new RwsError(
        ERROR_CODES.CONNECT_PROTOCOL_UNSUPPORTED,
        `${this.#authority} did not enable extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL)`,
      );
    }
  }

  /**
   * An extended CONNECT: the request stream stays open, a 2xx head hands it out as a tunnel,
   * another status is read whole after our side of the stream is ended.
   */
  async #exchangeTunnel(
    stream: QuicStream,
    init: Http3ClientRequest,
    protocol: string,
  ): Promise<Http3ClientResponse> {
    const session = this.#session;
    const fields: HeaderField[] = [
      [':method', 'CONNECT'],
      [':protocol', protocol],
      [':scheme', 'https'],
      [':authority', init.authority ?? this.#authority],
      [':path', init.path],
      ...(init.headers ?? []),
    ];
    // `request()` checked every field (checkRequestBytes).
    await stream.write(
      encodeFrame(FRAME.HEADERS, session.encoder.encodeTrusted(fields, stream.id)),
    );
    const events = streamEvents(stream, new FrameReader(65536));
    const { status, headers } = await finalResponseHead(
      session,
      stream,
      events,
      init.onInformational,
    );
    if (status >= 200 && status < 300) {
      const { tunnel } = streamTunnel(stream, events);
      return { status, headers, body: new Uint8Array(0), trailers: null, tunnel };
    }
    // Refused: our side ends too, and the answer is read whole.
    stream.end();
    const chunks: Uint8Array[] = [];
    for await (const rest of events) if (rest.kind === 'data') chunks.push(rest.chunk);
    return { status, headers, body: Buffer.concat(chunks), trailers: null, tunnel: null };
  }

  /**
   * Sends a request whose body streams out (an async iterable is sent as it yields) and
   * resolves at the response head, with a body read as it arrives: what a proxy needs. Rejects
   * as `request()` does.
   */
  stream(init: Http3StreamRequest): Promise<Http3StreamResponse> {
    const session = this.#session;
    init.signal?.throwIfAborted();
    if (session.goawayId !== undefined || this.#isClosed) {
      const why = this.#isClosed ? 'the connection is closed' : 'the server sent GOAWAY';
      return Promise.reject(new RwsError(ERROR_CODES.REQUEST_REJECTED, `${why}: no new requests`));
    }
    try {
      checkRequestBytes(init, this.#authority);
    } catch (error) {
      return Promise.reject(error);
    }
    return streamExchange(session, session.quic.openStream(), this.#authority, init);
  }

  /** False once the connection closed or the server sent GOAWAY: open a new client then. */
  get isAvailable(): boolean {
    return !this.#isClosed && this.#session.goawayId === undefined;
  }

  async #exchange(stream: QuicStream, init: Http3ClientRequest): Promise<Http3ClientResponse> {
    const session = this.#session;
    const fields: HeaderField[] = [
      [':method', init.method ?? 'GET'],
      [':scheme', 'https'],
      [':authority', init.authority ?? this.#authority],
      [':path', init.path],
      ...(init.headers ?? []),
    ];
    // `request()` checked every field and trailer (checkRequestBytes).
    const parts = [encodeFrame(FRAME.HEADERS, session.encoder.encodeTrusted(fields, stream.id))];
    const body = typeof init.body === 'string' ? Buffer.from(init.body) : init.body;
    if (body !== undefined && body.length > 0) parts.push(encodeFrame(FRAME.DATA, body));
    if (init.trailers !== undefined) {
      parts.push(
        encodeFrame(FRAME.HEADERS, session.encoder.encodeTrusted(init.trailers, stream.id)),
      );
    }
    // A server may answer before reading the whole request and stop it (STOP_SENDING):
    // the response still counts (RFC 9114 §4.1), so a failed write is not the request's end.
    const sent = stream.write(Buffer.concat(parts)).then(
      () => stream.end(),
      () => {},
    );
    const reader = new FrameReader(65536);
    let head: HeaderField[] | undefined;
    let trailers: HeaderField[] | undefined;
    const chunks: Uint8Array[] = [];
    for await (const chunk of stream) {
      for (const event of reader.push(chunk)) {
        if (event.kind === 'data') {
          if (head === undefined || trailers !== undefined) throw unexpected('DATA');
          chunks.push(event.chunk);
          init.onData?.(event.chunk);
          continue;
        }
        if (event.type !== FRAME.HEADERS) throw unexpected(`frame 0x${event.type.toString(16)}`);
        const section = await session.decoder.decode(stream.id, event.payload);
        // Interim (1xx) responses come before the final one; a HEADERS after it is trailers.
        if (head === undefined && isInterim(section)) {
          init.onInformational?.(Number(section[0]![1]), new Headers(section.slice(1)));
        } else if (head === undefined) head = section;
        else if (trailers === undefined) trailers = section;
        else throw unexpected('a third HEADERS frame');
      }
    }
    await sent;
    if (head === undefined || !reader.isAtBoundary) throw unexpected('the end of the stream');
    const { status, headers } = responseHead(head);
    return {
      status,
      headers,
      body: Buffer.concat(chunks),
      trailers: trailers === undefined ? null : new Headers(trailers),
      tunnel: null,
    };
  }

  /** Closes the connection (H3_NO_ERROR) and the local UDP socket. */
  async close(): Promise<void> {
    this.#session.quic.close(HTTP3_ERROR.H3_NO_ERROR, '');
    await this.#endpoint.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function responseHead(section: readonly HeaderField[]): { status: number; headers: Headers } {
  const [first, ...rest] = section;
  if (first?.[0] !== ':status') {
    throw http3Error(HTTP3_ERROR.H3_MESSAGE_ERROR, 'the response has no :status');
  }
  return { status: Number(first[1]), headers: new Headers(rest) };
}

function isInterim(section: readonly HeaderField[]): boolean {
  const status = section[0]?.[0] === ':status' ? Number(section[0][1]) : 0;
  return status >= 100 && status < 200;
}

/** The strings of a request that reach QPACK without passing core `Headers`. */
interface RequestFields {
  readonly method?: string;
  readonly path: string;
  readonly authority?: string;
  readonly protocol?: string | undefined;
  readonly headers?: readonly HeaderField[];
}

/**
 * Throws `RWS_CORE_INVALID_HEADER` for a char above 0xFF in a request's fields, before a
 * stream is opened: QPACK writes one octet per char. The request paths then encode these
 * fields without a second check (`encodeTrusted`); `stream()`'s trailers are a core `Headers`.
 */
function checkRequestBytes(
  init: RequestFields,
  defaultAuthority: string,
  trailers: readonly HeaderField[] = [],
): void {
  checkFieldBytes(':method', init.method ?? 'GET');
  checkFieldBytes(':path', init.path);
  checkFieldBytes(':authority', init.authority ?? defaultAuthority);
  if (init.protocol !== undefined) checkFieldBytes(':protocol', init.protocol);
  for (const [name, value] of init.headers ?? []) checkFieldBytes(name, value);
  for (const [name, value] of trailers) checkFieldBytes(name, value);
}
