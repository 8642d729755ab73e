/**
 * One HTTP/2 connection, client side (RFC 9113): streams multiplexed on one socket, flow
 * control both ways, response bodies pulled through core `Body`s, GOAWAY handling.
 */
import type { Socket } from 'node:net';
import { Body, checkFieldBytes, Headers, RwsError, type Tunnel } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { FrameParser, H2ConnectionError } from '../frame-parser.js';
import {
  CONNECTION_PREFACE,
  FLAG,
  FRAME_HEADER_SIZE,
  FRAME_TYPE,
  frame,
  goawayFrame,
  H2_ERROR,
  headersFrames,
  MAX_WINDOW,
  pingFrame,
  rstStreamFrame,
  SETTING,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
} from '../frames.js';
import { HpackDecoder } from '../hpack-decoder.js';
import { HpackEncoder } from '../hpack-encoder.js';
import { isConnectionSpecific } from '../request-fields.js';
import { clientTunnel } from './client-tunnel.js';
import {
  CLOSED,
  H2Stream,
  HALF_CLOSED_LOCAL,
  HALF_CLOSED_REMOTE,
  streamReset,
} from './h2-stream.js';

const CONNECTION_WINDOW = 1 << 24;

/** Errors of requests the server did not process (RFC 9113 §8.7): safe to send again. */
const refusedErrors = new WeakSet<object>();

function refused(message: string): RwsError {
  const err = new RwsError(ERROR_CODES.STREAM_RESET, message);
  refusedErrors.add(err);
  return err;
}

/**
 * True when `err` says the server never processed the request: a stream above the
 * last-stream-id of its GOAWAY, REFUSED_STREAM before a response, or a session that was
 * already closing. Such a request may be retried on a new connection, whatever its method.
 */
export function isRefusedError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && refusedErrors.has(err);
}
const STREAM_WINDOW = 256 * 1024;

/** A response as the client hands it out: the body is pulled, with flow control. */
export interface ClientResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Body;
  /** Trailer fields, once the body has been read. */
  trailers(): Headers | null;
  /**
   * The stream's two directions after a 2xx to an extended CONNECT (RFC 8441 §4), as the
   * HTTP/1.1 client's `tunnel` after a 101; null for every other response.
   */
  readonly tunnel: Tunnel | null;
}

interface Pending {
  stream: H2Stream;
  resolve: (res: ClientResponse) => void;
  reject: (err: unknown) => void;
  isHeadersSeen: boolean;
  /** True for an extended CONNECT: a 2xx opens a tunnel, our side stays open until then. */
  isTunnel: boolean;
}

export class ClientSession {
  readonly socket: Socket;
  readonly #parser: FrameParser;
  readonly #encoder = new HpackEncoder();
  readonly #decoder = new HpackDecoder({ maxHeaderListSize: 256 * 1024 });
  readonly #pending = new Map<number, Pending>();
  readonly #authority: string;
  readonly #scheme: 'http' | 'https';
  #nextId = 1;
  #peerMaxStreams = 100;
  #peerInitialWindow = 65535;
  #peerMaxFrameSize = 16384;
  #sendWindow = 65535;
  #recvUnacked = 0;
  #blockStream = 0;
  #blockFlags = 0;
  #blockParts: Buffer[] = [];
  #waiters = new Set<() => void>();
  #isGoingAway = false;
  #isClosed = false;
  #closeError: unknown = null;
  /** SETTINGS_ENABLE_CONNECT_PROTOCOL of the peer (RFC 8441 §3), known once `#settled`. */
  #isConnectProtocolEnabled = false;
  #settled: Promise<void>;
  #onSettled: (() => void) | null = null;

  constructor(socket: Socket, scheme: 'http' | 'https', authority: string) {
    this.socket = socket;
    this.#scheme = scheme;
    this.#authority = authority;
    this.#parser = new FrameParser(this.#onFrame, { isServer: false, maxFrameSize: 16384 });
    this.#settled = new Promise<void>((resolve) => {
      this.#onSettled = resolve;
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#parser.push(chunk);
      } catch (err) {
        const code = err instanceof H2ConnectionError ? err.h2Code : H2_ERROR.COMPRESSION_ERROR;
        this.socket.write(goawayFrame(0, code, err instanceof Error ? err.message : ''));
        this.#fail(err);
        socket.end();
      }
    });
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () =>
      this.#fail(new RwsError(ERROR_CODES.STREAM_RESET, 'the HTTP/2 connection closed')),
    );
    socket.on('drain', this.#wake);
    socket.write(
      Buffer.concat([
        CONNECTION_PREFACE,
        settingsFrame([
          [SETTING.ENABLE_PUSH, 0],
          [SETTING.INITIAL_WINDOW_SIZE, STREAM_WINDOW],
        ]),
        windowUpdateFrame(0, CONNECTION_WINDOW - 65535),
      ]),
    );
  }

  /** True while new requests may use this session. */
  get isAvailable(): boolean {
    return (
      !this.#isClosed &&
      !this.#isGoingAway &&
      this.#nextId < MAX_WINDOW &&
      this.#pending.size < this.#peerMaxStreams
    );
  }

  /** True once the session can take no more requests at all (closed or told to go away). */
  get isDone(): boolean {
    return this.#isClosed || this.#isGoingAway;
  }

  /** Sends one request; resolves when the final response head arrives. */
  request(
    method: string,
    path: string,
    headers: Headers,
    body: Uint8Array | AsyncIterable<Uint8Array> | null,
    signal?: AbortSignal,
    trailers?: () => Headers | null,
  ): Promise<ClientResponse> {
    if (!this.isAvailable) {
      return Promise.reject(refused('the HTTP/2 session is closing; the request was not sent'));
    }
    return this.#open(method, null, path, headers, body, signal, trailers);
  }

  /**
   * Sends an extended CONNECT for `protocol` (RFC 8441 §4: `:protocol`, `:scheme`, `:path`,
   * `:authority`) once the server's SETTINGS said it takes them; a 2xx resolves with a tunnel.
   * Rejects with RWS_H2_CONNECT_PROTOCOL_UNSUPPORTED when the server did not enable it.
   */
  async connect(
    protocol: string,
    path: string,
    headers: Headers,
    signal?: AbortSignal,
  ): Promise<ClientResponse> {
    // RFC 8441 §3: a client must not send :protocol before the peer's SETTINGS allowed it.
    await this.#settled;
    signal?.throwIfAborted();
    if (!this.isAvailable) {
      throw refused('the HTTP/2 session is closing; the request was not sent');
    }
    if (!this.#isConnectProtocolEnabled) {
      throw new RwsError(
        ERROR_CODES.CONNECT_PROTOCOL_UNSUPPORTED,
        `${this.#scheme}://${this.#authority} did not enable extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL)`,
      );
    }
    return this.#open('CONNECT', protocol, path, headers, null, signal);
  }

  #open(
    method: string,
    protocol: string | null,
    path: string,
    headers: Headers,
    body: Uint8Array | AsyncIterable<Uint8Array> | null,
    signal?: AbortSignal,
    trailers?: () => Headers | null,
  ): Promise<ClientResponse> {
    const isTunnel = protocol !== null;
    const fields: string[] = [':method', method];
    if (isTunnel) fields.push(':protocol', protocol);
    fields.push(':scheme', this.#scheme, ':authority', this.#authority, ':path', path);
    for (const [name, value] of headers) {
      if (name === 'host' || isConnectionSpecific(name)) continue;
      fields.push(name, value);
    }
    let block: Uint8Array;
    try {
      // Before a stream exists: a refused field (a char above 0xFF) leaves no pending stream
      // behind, and the session stays usable. Only the pseudo-fields can hold such a char: the
      // rest come from a core `Headers`, which refuses it when set.
      checkFieldBytes(':method', method);
      if (isTunnel) checkFieldBytes(':protocol', protocol);
      checkFieldBytes(':authority', this.#authority);
      checkFieldBytes(':path', path);
      block = this.#encoder.encodeTrusted(fields);
    } catch (err) {
      return Promise.reject(err);
    }
    const id = this.#nextId;
    this.#nextId += 2;
    const stream = new H2Stream(id, STREAM_WINDOW, this.#peerInitialWindow, null, this.#consumed);
    return new Promise<ClientResponse>((resolve, reject) => {
      const pending: Pending = { stream, resolve, reject, isHeadersSeen: false, isTunnel };
      this.#pending.set(id, pending);
      // A tunnel's request side stays open: its bytes follow as DATA once the 2xx arrives.
      const isEnd = body === null && !isTunnel;
      this.socket.write(headersFrames(id, block, isEnd, this.#peerMaxFrameSize));
      if (isEnd) stream.state = HALF_CLOSED_LOCAL;
      signal?.addEventListener('abort', () => this.#reset(stream, H2_ERROR.CANCEL, signal.reason), {
        once: true,
      });
      if (body !== null) {
        void this.#sendBody(stream, body, trailers).catch((err: unknown) =>
          this.#reset(stream, H2_ERROR.CANCEL, err),
        );
      }
    });
  }

  /** Sends GOAWAY and closes once open streams are done. */
  close(): void {
    if (this.#isClosed) return;
    this.#isGoingAway = true;
    this.socket.write(goawayFrame(0, H2_ERROR.NO_ERROR));
    this.#maybeEnd();
  }

  async #sendBody(
    s: H2Stream,
    body: Uint8Array | AsyncIterable<Uint8Array>,
    trailers?: () => Headers | null,
  ): Promise<void> {
    if (body instanceof Uint8Array) await this.sendData(s, body);
    else for await (const chunk of body) await this.sendData(s, chunk);
    if (s.state === CLOSED) return;
    const fields: string[] = [];
    for (const [name, value] of trailers?.() ?? []) {
      if (!isConnectionSpecific(name)) fields.push(name, value);
    }
    // Trailers end the stream in a HEADERS frame (RFC 9113 §8.1); without them an empty DATA.
    this.socket.write(
      fields.length === 0
        ? frame(FRAME_TYPE.DATA, FLAG.END_STREAM, s.id)
        : headersFrames(s.id, this.#encoder.encodeTrusted(fields), true, this.#peerMaxFrameSize),
    );
    s.state = s.state === HALF_CLOSED_REMOTE ? CLOSED : HALF_CLOSED_LOCAL;
    if (s.state === CLOSED) this.#done(s);
  }

  /** The peer's first SETTINGS arrived (or the session ended): waiting connects go on. */
  #settle(): void {
    const done = this.#onSettled;
    this.#onSettled = null;
    done?.();
  }

  /** Sends our END_STREAM on `s` (a tunnel's writable closed, or its CONNECT was refused). */
  endStream(s: H2Stream): void {
    if (s.state === CLOSED || s.state === HALF_CLOSED_LOCAL) return;
    this.socket.write(frame(FRAME_TYPE.DATA, FLAG.END_STREAM, s.id));
    s.state = s.state === HALF_CLOSED_REMOTE ? CLOSED : HALF_CLOSED_LOCAL;
    if (s.state === CLOSED) this.#done(s);
  }

  /** Resets `s` with CANCEL (a tunnel's readable cancelled or writable aborted). */
  cancelStream(s: H2Stream, err: unknown): void {
    this.#reset(s, H2_ERROR.CANCEL, err);
  }

  async sendData(s: H2Stream, data: Uint8Array): Promise<void> {
    let from = 0;
    while (from < data.length) {
      if (s.state === CLOSED) throw streamReset(s.id, H2_ERROR.CANCEL);
      const n = Math.min(
        data.length - from,
        s.sendWindow,
        this.#sendWindow,
        this.#peerMaxFrameSize,
      );
      if (n <= 0 || this.socket.writableLength > 256 * 1024) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.#waiters.delete(done);
            s.windowWaiter = null;
            resolve();
          };
          this.#waiters.add(done);
          s.windowWaiter = done;
        });
        continue;
      }
      const header = Buffer.allocUnsafe(FRAME_HEADER_SIZE);
      writeFrameHeader(header, 0, n, FRAME_TYPE.DATA, 0, s.id);
      this.socket.write(header);
      this.socket.write(data.subarray(from, from + n));
      s.sendWindow -= n;
      this.#sendWindow -= n;
      from += n;
    }
  }

  #wake = (): void => {
    for (const w of [...this.#waiters]) w();
  };

  #consumed = (s: H2Stream, n: number): void => {
    if (n === 0 || s.state === CLOSED || s.state === HALF_CLOSED_REMOTE || this.#isClosed) return;
    this.socket.write(windowUpdateFrame(s.id, n));
  };

  #onFrame = (type: number, flags: number, streamId: number, payload: Buffer): void => {
    if (this.#blockStream !== 0 && type !== FRAME_TYPE.CONTINUATION) {
      throw new H2ConnectionError(
        ERROR_CODES.PROTOCOL_ERROR,
        'header block interrupted',
        H2_ERROR.PROTOCOL_ERROR,
      );
    }
    switch (type) {
      case FRAME_TYPE.SETTINGS:
        if ((flags & FLAG.ACK) !== 0) return;
        for (let at = 0; at + 6 <= payload.length; at += 6) {
          const id = payload.readUInt16BE(at);
          const value = payload.readUInt32BE(at + 2);
          if (id === SETTING.MAX_CONCURRENT_STREAMS) this.#peerMaxStreams = value;
          else if (id === SETTING.MAX_FRAME_SIZE) this.#peerMaxFrameSize = value;
          else if (id === SETTING.HEADER_TABLE_SIZE)
            this.#encoder.setMaxTableSize(Math.min(value, 4096));
          else if (id === SETTING.ENABLE_CONNECT_PROTOCOL)
            this.#isConnectProtocolEnabled = value === 1;
          else if (id === SETTING.INITIAL_WINDOW_SIZE) {
            const delta = value - this.#peerInitialWindow;
            this.#peerInitialWindow = value;
            for (const p of this.#pending.values()) p.stream.sendWindow += delta;
            this.#wake();
          }
        }
        this.socket.write(settingsFrame(null));
        this.#settle();
        return;
      case FRAME_TYPE.PING:
        if ((flags & FLAG.ACK) === 0) this.socket.write(pingFrame(payload, true));
        return;
      case FRAME_TYPE.WINDOW_UPDATE: {
        const inc = payload.readUInt32BE(0) & MAX_WINDOW;
        if (streamId === 0) this.#sendWindow += inc;
        else {
          const p = this.#pending.get(streamId);
          if (p !== undefined) p.stream.sendWindow += inc;
        }
        this.#wake();
        return;
      }
      case FRAME_TYPE.GOAWAY: {
        // Streams above the last id were not processed: they fail and may be retried.
        this.#isGoingAway = true;
        const last = payload.readUInt32BE(0) & MAX_WINDOW;
        for (const p of this.#pending.values()) {
          if (p.stream.id > last) {
            const message = `stream ${p.stream.id} was not processed (GOAWAY, last stream ${last})`;
            this.#reset(p.stream, -1, refused(message));
          }
        }
        this.#maybeEnd();
        return;
      }
      case FRAME_TYPE.RST_STREAM: {
        const p = this.#pending.get(streamId);
        if (p === undefined) return;
        const code = payload.readUInt32BE(0);
        // RFC 9113 §8.7: REFUSED_STREAM before any response means nothing was processed.
        const err =
          code === H2_ERROR.REFUSED_STREAM && !p.isHeadersSeen
            ? refused(`stream ${streamId} was refused (REFUSED_STREAM)`)
            : streamReset(streamId, code);
        this.#reset(p.stream, -1, err);
        return;
      }
      case FRAME_TYPE.PUSH_PROMISE:
        throw new H2ConnectionError(
          ERROR_CODES.PROTOCOL_ERROR,
          'PUSH_PROMISE although push is disabled',
          H2_ERROR.PROTOCOL_ERROR,
        );
      case FRAME_TYPE.DATA:
        this.#onData(flags, streamId, payload);
        return;
      case FRAME_TYPE.HEADERS: {
        let start = 0;
        let end = payload.length;
        if ((flags & FLAG.PADDED) !== 0) {
          start = 1;
          end -= payload[0] ?? 0;
        }
        if ((flags & FLAG.PRIORITY) !== 0) start += 5;
        const fragment = payload.subarray(start, Math.max(start, end));
        if ((flags & FLAG.END_HEADERS) !== 0) {
          this.#onBlock(streamId, flags, fragment);
          return;
        }
        this.#blockStream = streamId;
        this.#blockFlags = flags;
        this.#blockParts = [fragment];
        return;
      }
      case FRAME_TYPE.CONTINUATION: {
        this.#blockParts.push(payload);
        if (this.#blockParts.length > 64)
          throw new H2ConnectionError(
            ERROR_CODES.PROTOCOL_ERROR,
            'too many CONTINUATION frames',
            H2_ERROR.ENHANCE_YOUR_CALM,
          );
        if ((flags & FLAG.END_HEADERS) === 0) return;
        const block = Buffer.concat(this.#blockParts);
        const id = this.#blockStream;
        this.#blockStream = 0;
        this.#blockParts = [];
        this.#onBlock(id, this.#blockFlags, block);
        return;
      }
      default:
        return;
    }
  };

  #onData(flags: number, streamId: number, payload: Buffer): void {
    let data = payload;
    if ((flags & FLAG.PADDED) !== 0) data = payload.subarray(1, payload.length - (payload[0] ?? 0));
    this.#recvUnacked += payload.length;
    if (this.#recvUnacked >= CONNECTION_WINDOW >>> 1) {
      this.socket.write(windowUpdateFrame(0, this.#recvUnacked));
      this.#recvUnacked = 0;
    }
    const p = this.#pending.get(streamId);
    if (p === undefined) return;
    p.stream.recvWindow -= payload.length;
    if (data.length > 0) p.stream.pushData(data);
    if ((flags & FLAG.END_STREAM) !== 0) this.#remoteEnd(p.stream);
  }

  #onBlock(streamId: number, flags: number, block: Buffer): void {
    const list = this.#decoder.decode(block);
    const p = this.#pending.get(streamId);
    if (p === undefined) return;
    const isEnd = (flags & FLAG.END_STREAM) !== 0;
    if (p.isHeadersSeen) {
      p.stream.requestTrailers = Headers.fromTrustedList(list);
      if (isEnd) this.#remoteEnd(p.stream);
      return;
    }
    const status = list[0] === ':status' ? Number(list[1]) : Number.NaN;
    if (!Number.isInteger(status)) {
      this.#reset(
        p.stream,
        H2_ERROR.PROTOCOL_ERROR,
        new RwsError(ERROR_CODES.PROTOCOL_ERROR, `stream ${streamId}: response without :status`),
      );
      return;
    }
    if (status < 200) return; // 1xx: informational heads are skipped.
    p.isHeadersSeen = true;
    const fields: string[] = [];
    for (let i = 2; i < list.length; i += 2) {
      if (list[i]!.charCodeAt(0) !== 58) fields.push(list[i]!, list[i + 1]!);
    }
    const stream = p.stream;
    const isOpened = p.isTunnel && status < 300 && !isEnd;
    p.resolve({
      status,
      headers: Headers.fromTrustedList(fields),
      body: new Body(isEnd || isOpened ? null : stream, { limit: Number.MAX_SAFE_INTEGER }),
      trailers: () => stream.requestTrailers,
      tunnel: isOpened ? clientTunnel(this, stream) : null,
    });
    if (isEnd) this.#remoteEnd(stream);
    // A refused extended CONNECT: our side ends too, the answer's body can still be read.
    if (p.isTunnel && !isOpened) this.endStream(stream);
  }

  #remoteEnd(s: H2Stream): void {
    s.end();
    if (s.state === HALF_CLOSED_LOCAL) {
      s.state = CLOSED;
      this.#done(s);
    } else s.state = HALF_CLOSED_REMOTE;
  }

  #reset(s: H2Stream, code: number, err: unknown): void {
    if (s.state === CLOSED) return;
    if (code >= 0 && !this.#isClosed) this.socket.write(rstStreamFrame(s.id, code));
    s.state = CLOSED;
    s.fail(err);
    s.windowWaiter?.();
    this.#pending.get(s.id)?.reject(err);
    this.#done(s);
  }

  #done(s: H2Stream): void {
    this.#pending.delete(s.id);
    this.#maybeEnd();
  }

  #maybeEnd(): void {
    if (this.#isGoingAway && this.#pending.size === 0 && !this.#isClosed) {
      this.#isClosed = true;
      this.socket.end();
      // A server that never closes its side must not keep the socket (and close()) waiting.
      setTimeout(() => this.socket.destroy(), 1000).unref();
    }
  }

  #fail(err: unknown): void {
    this.#isClosed = true;
    this.#settle();
    this.#closeError ??= err;
    for (const p of [...this.#pending.values()]) {
      p.stream.state = CLOSED;
      p.stream.fail(err);
      p.reject(err);
      p.stream.windowWaiter?.();
    }
    this.#pending.clear();
    this.#wake();
  }
}
