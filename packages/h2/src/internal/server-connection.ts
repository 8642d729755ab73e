/**
 * One HTTP/2 connection, server side (RFC 9113): frame dispatch, stream states, flow control
 * in both directions, the request/response mapping to @rws/core, limits and graceful close.
 */
import { open, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  Body,
  type ConnectionInfo,
  createRequest,
  errorStatus,
  type FileBodyInit,
  Headers,
  type HeadersInit,
  isNullBodyStatus,
  type Request,
  type Response,
  RwsError,
  statusText,
  type Tunnel,
  validateInformational,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { FrameParser, H2ConnectionError } from '../frame-parser.js';
import {
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
import {
  CLOSED,
  H2Stream,
  HALF_CLOSED_LOCAL,
  HALF_CLOSED_REMOTE,
  streamReset,
} from './h2-stream.js';
import { H2Upgrade, type TunnelHost } from './h2-upgrade.js';
import { isConnectionSpecific, parseRequestFields, trailerProblem } from './request-fields.js';
import type { ResolvedH2Options } from './resolved-options.js';

/** What the connection needs from its server. */
export interface ConnectionOwner {
  readonly options: ResolvedH2Options;
  handle(req: Request): Response | Promise<Response>;
  reportError(err: unknown, req: Request | null): void;
  connectionClosed(conn: ServerConnection): void;
  date(): string;
}

/** Connection window we keep open for the peer: generous, since streams bound buffering. */
const CONNECTION_WINDOW = 1 << 24;
/** Payload of keepalive PINGs. */
const KEEPALIVE_PING = Buffer.from('rwsalive', 'latin1');
/** Socket write-queue size above which streams wait for 'drain'. */
const SOCKET_HIGH_WATER = 256 * 1024;

export class ServerConnection implements TunnelHost {
  readonly socket: Socket;
  readonly #owner: ConnectionOwner;
  readonly #opts: ResolvedH2Options;
  readonly #conn: ConnectionInfo;
  readonly #parser: FrameParser;
  readonly #decoder: HpackDecoder;
  readonly #encoder = new HpackEncoder();
  readonly #streams = new Map<number, H2Stream>();
  readonly #drain = new AbortController();
  readonly #scheme: 'http' | 'https';
  /** Highest client stream id seen. */
  #lastStreamId = 0;
  /** Highest stream id we will still process (lowered by the final GOAWAY). */
  #acceptUpTo = MAX_WINDOW;
  /** The stream of a header block awaiting CONTINUATION, and its fragments. */
  #blockStream = 0;
  #blockFlags = 0;
  #blockParts: Buffer[] = [];
  #blockBytes = 0;
  #blockFrames = 0;
  /** Peer settings. */
  #peerInitialWindow = 65535;
  #peerMaxFrameSize = 16384;
  #isPeerSettingsSeen = false;
  #encoderTableSize = 4096;
  /** Recently reset streams (see `#sendRst`). */
  readonly #resetIds = new Set<number>();
  /** Connection send window (ours towards the peer) and receive accounting. */
  #sendWindow = 65535;
  #recvUnacked = 0;
  /** Writers waiting for connection window or socket drain. */
  #connWaiters = new Set<() => void>();
  #isCorked = false;
  #isClosed = false;
  #isGoingAway = false;
  #goawayPing: Buffer | null = null;
  /** Flood and reset accounting (RFC 9113 §10.5, CVE-2023-44487). */
  #resetTimes: number[] = [];
  #controlCount = 0;
  #controlWindowStart = 0;
  #idleTimer: NodeJS.Timeout | null = null;
  #pingTimer: NodeJS.Timeout | null = null;
  /** True while our keepalive PING awaits its ACK. */
  #isPingOutstanding = false;
  #closeResolvers: (() => void)[] = [];

  constructor(owner: ConnectionOwner, socket: Socket, conn: ConnectionInfo) {
    this.#owner = owner;
    this.#opts = owner.options;
    this.socket = socket;
    this.#conn = conn;
    this.#scheme = (socket as TLSSocket).encrypted === true ? 'https' : 'http';
    this.#decoder = new HpackDecoder({ maxHeaderListSize: this.#opts.maxHeaderListSize });
    this.#parser = new FrameParser(this.#onFrame, { isServer: true, maxFrameSize: 16384 });
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('error', () => socket.destroy());
    socket.on('close', this.#onClose);
    // The client half-closed: finish the open streams, then close our side.
    socket.on('end', () => {
      this.#isGoingAway = true;
      this.#maybeFinish();
    });
    socket.on('drain', this.#wakeAll);
    const settings: [number, number][] = [
      [SETTING.MAX_CONCURRENT_STREAMS, this.#opts.maxConcurrentStreams],
      [SETTING.INITIAL_WINDOW_SIZE, this.#opts.initialWindowSize],
      [SETTING.MAX_HEADER_LIST_SIZE, this.#opts.maxHeaderListSize],
      [SETTING.ENABLE_PUSH, 0],
    ];
    if (this.#opts.enableConnectProtocol) settings.push([SETTING.ENABLE_CONNECT_PROTOCOL, 1]);
    this.#write(settingsFrame(settings));
    this.#write(windowUpdateFrame(0, CONNECTION_WINDOW - 65535));
    this.#armIdle();
    if (this.#opts.pingIntervalMs > 0) {
      this.#pingTimer = setInterval(this.#keepAlive, this.#opts.pingIntervalMs);
      this.#pingTimer.unref();
    }
  }

  /**
   * PING keepalive: a peer that has not answered the previous PING within one interval is
   * gone (a dead NAT mapping, a crashed client) and the connection is destroyed.
   */
  #keepAlive = (): void => {
    if (this.#isPingOutstanding) {
      this.socket.destroy();
      return;
    }
    this.#isPingOutstanding = true;
    this.#write(pingFrame(KEEPALIVE_PING, false));
  };

  /** Open streams. */
  get streamCount(): number {
    return this.#streams.size;
  }

  // ------------------------------------------------------------------ output

  #write(buf: Uint8Array): void {
    if (this.#isClosed) return;
    if (!this.#isCorked) {
      this.#isCorked = true;
      this.socket.cork();
      process.nextTick(this.#uncork);
    }
    this.socket.write(buf);
  }

  #uncork = (): void => {
    this.#isCorked = false;
    this.socket.uncork();
  };

  #wakeAll = (): void => {
    const waiters = [...this.#connWaiters];
    this.#connWaiters.clear();
    for (const w of waiters) w();
  };

  // ------------------------------------------------------------------ input

  #onData = (chunk: Buffer): void => {
    try {
      this.#parser.push(chunk);
    } catch (err) {
      this.#connectionError(err);
    }
  };

  #connectionError(err: unknown): void {
    if (err instanceof H2ConnectionError) {
      this.#goaway(err.h2Code, err.message);
    } else {
      if (!(err instanceof RwsError)) this.#owner.reportError(err, null);
      const code =
        err instanceof RwsError && err.code === ERROR_CODES.COMPRESSION_ERROR
          ? H2_ERROR.COMPRESSION_ERROR
          : H2_ERROR.INTERNAL_ERROR;
      this.#goaway(code, err instanceof Error ? err.message : 'internal error');
    }
  }

  /** Ends the connection with GOAWAY `code` (a connection error, RFC 9113 §5.4.1). */
  #goaway(code: number, debug: string): void {
    if (this.#isClosed) return;
    this.#parser.stop();
    this.#write(goawayFrame(this.#lastStreamId, code, debug));
    for (const s of this.#streams.values()) this.#abortStream(s, streamReset(s.id, code));
    this.#streams.clear();
    this.#isClosed = true;
    this.socket.end();
    // A peer that never reads its side must not keep the socket forever.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  #onFrame = (type: number, flags: number, streamId: number, payload: Buffer): void => {
    if (this.#blockStream !== 0 && type !== FRAME_TYPE.CONTINUATION) {
      throw protocol('a header block was interrupted by another frame (RFC 9113 §6.10)');
    }
    if (!this.#isPeerSettingsSeen && type !== FRAME_TYPE.SETTINGS) {
      throw protocol('the first frame of the client is not SETTINGS (RFC 9113 §3.4)');
    }
    switch (type) {
      case FRAME_TYPE.DATA:
        this.#onDataFrame(flags, streamId, payload);
        return;
      case FRAME_TYPE.HEADERS:
        this.#onHeaders(flags, streamId, payload);
        return;
      case FRAME_TYPE.PRIORITY:
        if (streamId === 0) throw protocol('PRIORITY on stream 0');
        if (payload.length !== 5) this.#resetStream(streamId, H2_ERROR.FRAME_SIZE_ERROR);
        return;
      case FRAME_TYPE.RST_STREAM:
        this.#onRstStream(streamId, payload);
        return;
      case FRAME_TYPE.SETTINGS:
        this.#onSettings(flags, streamId, payload);
        return;
      case FRAME_TYPE.PUSH_PROMISE:
        throw protocol('PUSH_PROMISE from a client (RFC 9113 §8.4)');
      case FRAME_TYPE.PING:
        this.#onPing(flags, streamId, payload);
        return;
      case FRAME_TYPE.GOAWAY:
        if (streamId !== 0) throw protocol('GOAWAY on a stream');
        if (payload.length < 8) throw frameSize('GOAWAY shorter than 8 octets');
        this.#drain.abort();
        this.#isGoingAway = true;
        this.#maybeFinish();
        return;
      case FRAME_TYPE.WINDOW_UPDATE:
        this.#onWindowUpdate(streamId, payload);
        return;
      case FRAME_TYPE.CONTINUATION:
        this.#onContinuation(flags, streamId, payload);
        return;
      default:
        // Unknown frame types are ignored (RFC 9113 §4.1, §5.5).
        return;
    }
  };

  /** Counts PING and SETTINGS frames per second; too many is a flood (RFC 9113 §10.5). */
  #countControl(): void {
    const now = Date.now();
    if (now - this.#controlWindowStart > 1000) {
      this.#controlWindowStart = now;
      this.#controlCount = 0;
    }
    if (++this.#controlCount > this.#opts.maxControlFramesPerSecond) {
      throw calm('too many PING/SETTINGS frames');
    }
  }

  #onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw protocol('SETTINGS on a stream');
    if ((flags & FLAG.ACK) !== 0) {
      if (payload.length !== 0) throw frameSize('SETTINGS ACK with a payload');
      return;
    }
    if (payload.length % 6 !== 0) throw frameSize('SETTINGS length not a multiple of 6');
    this.#countControl();
    this.#isPeerSettingsSeen = true;
    for (let at = 0; at < payload.length; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      switch (id) {
        case SETTING.HEADER_TABLE_SIZE: {
          // Our encoder never uses more than 4096 octets, whatever the peer allows.
          const size = Math.min(value, 4096);
          if (size !== this.#encoderTableSize) {
            this.#encoderTableSize = size;
            this.#encoder.setMaxTableSize(size);
          }
          break;
        }
        case SETTING.ENABLE_PUSH:
          if (value > 1) throw protocol('SETTINGS_ENABLE_PUSH not 0 or 1');
          break;
        case SETTING.INITIAL_WINDOW_SIZE: {
          if (value > MAX_WINDOW) {
            throw new H2ConnectionError(
              ERROR_CODES.PROTOCOL_ERROR,
              'SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1',
              H2_ERROR.FLOW_CONTROL_ERROR,
            );
          }
          const delta = value - this.#peerInitialWindow;
          this.#peerInitialWindow = value;
          for (const s of this.#streams.values()) {
            s.sendWindow += delta;
            if (s.sendWindow > MAX_WINDOW) {
              throw new H2ConnectionError(
                ERROR_CODES.PROTOCOL_ERROR,
                'a stream window grew above 2^31-1',
                H2_ERROR.FLOW_CONTROL_ERROR,
              );
            }
            if (delta > 0) wake(s);
          }
          break;
        }
        case SETTING.MAX_FRAME_SIZE:
          if (value < 16384 || value > 16777215)
            throw protocol('SETTINGS_MAX_FRAME_SIZE out of range');
          this.#peerMaxFrameSize = value;
          break;
        default:
          // Unknown or informational settings (MAX_CONCURRENT_STREAMS, MAX_HEADER_LIST_SIZE of
          // the client limit what it receives from pushes we never make) are ignored.
          break;
      }
    }
    this.#write(settingsFrame(null));
  }

  #onPing(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw protocol('PING on a stream');
    if (payload.length !== 8) throw frameSize('PING payload not 8 octets');
    if ((flags & FLAG.ACK) !== 0) {
      if (this.#goawayPing !== null && payload.equals(this.#goawayPing)) this.#finalGoaway();
      if (payload.equals(KEEPALIVE_PING)) this.#isPingOutstanding = false;
      return;
    }
    this.#countControl();
    this.#write(pingFrame(payload, true));
  }

  #onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw frameSize('WINDOW_UPDATE payload not 4 octets');
    const inc = payload.readUInt32BE(0) & MAX_WINDOW;
    if (streamId === 0) {
      if (inc === 0) throw protocol('WINDOW_UPDATE with increment 0');
      this.#sendWindow += inc;
      if (this.#sendWindow > MAX_WINDOW) {
        throw new H2ConnectionError(
          ERROR_CODES.PROTOCOL_ERROR,
          'connection window above 2^31-1',
          H2_ERROR.FLOW_CONTROL_ERROR,
        );
      }
      this.#wakeAll();
      return;
    }
    if (streamId > this.#lastStreamId) throw protocol('WINDOW_UPDATE on an idle stream');
    const s = this.#streams.get(streamId);
    if (s === undefined) return;
    if (inc === 0) {
      this.#resetStream(streamId, H2_ERROR.PROTOCOL_ERROR);
      return;
    }
    s.sendWindow += inc;
    if (s.sendWindow > MAX_WINDOW) {
      this.#resetStream(streamId, H2_ERROR.FLOW_CONTROL_ERROR);
      return;
    }
    wake(s);
  }

  #onRstStream(streamId: number, payload: Buffer): void {
    if (streamId === 0) throw protocol('RST_STREAM on stream 0');
    if (payload.length !== 4) throw frameSize('RST_STREAM payload not 4 octets');
    if (streamId > this.#lastStreamId) throw protocol('RST_STREAM on an idle stream');
    const s = this.#streams.get(streamId);
    if (s === undefined) return;
    // Rapid reset (CVE-2023-44487): count streams the client cancels.
    const now = Date.now();
    const times = this.#resetTimes;
    times.push(now);
    while (times.length > 0 && now - times[0]! > this.#opts.streamResetWindowMs) times.shift();
    this.#closeStream(s, streamReset(streamId, payload.readUInt32BE(0)));
    if (times.length > this.#opts.maxStreamResets)
      throw calm('too many streams reset by the client');
  }

  #onDataFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw protocol('DATA on stream 0');
    let data = payload;
    if ((flags & FLAG.PADDED) !== 0) {
      if (payload.length === 0 || payload[0]! >= payload.length)
        throw protocol('DATA padding too long');
      data = payload.subarray(1, payload.length - payload[0]!);
    }
    // The whole frame counts against the windows, padding included (RFC 9113 §6.9.1).
    this.#consumeConnection(payload.length);
    if (streamId > this.#lastStreamId) throw protocol('DATA on an idle stream');
    const s = this.#streams.get(streamId);
    // A stream we closed or reset: frames the peer sent before it learnt so are ignored
    // (RFC 9113 §5.4.2, §6.4); the connection window was accounted above.
    if (s === undefined) return;
    if (s.state === HALF_CLOSED_REMOTE || s.state === CLOSED) {
      this.#resetStream(streamId, H2_ERROR.STREAM_CLOSED);
      return;
    }
    s.recvWindow -= payload.length;
    if (s.recvWindow < 0) {
      this.#streamError(s, H2_ERROR.FLOW_CONTROL_ERROR, 'the client overran the stream window');
      return;
    }
    s.received += data.length;
    if (s.length !== null && s.received > s.length) {
      this.#streamError(s, H2_ERROR.PROTOCOL_ERROR, 'more DATA than content-length');
      return;
    }
    if (s.received > this.#opts.maxBodyBytes) {
      s.fail(
        new RwsError(
          ERROR_CODES.BODY_TOO_LARGE,
          `request body larger than ${this.#opts.maxBodyBytes} bytes`,
          { status: 413 },
        ),
      );
      s.cancel();
      return;
    }
    if (data.length > 0) s.pushData(data);
    if (payload.length > data.length) this.#streamConsumed(s, payload.length - data.length);
    if ((flags & FLAG.END_STREAM) !== 0) this.#remoteEnd(s);
  }

  #remoteEnd(s: H2Stream): void {
    if (s.length !== null && s.received !== s.length) {
      this.#streamError(s, H2_ERROR.PROTOCOL_ERROR, 'DATA shorter than content-length');
      return;
    }
    s.end();
    if (s.state === HALF_CLOSED_LOCAL) this.#closeStream(s, null);
    else s.state = HALF_CLOSED_REMOTE;
  }

  /** Connection-level receive accounting: the window is handed back in large steps. */
  #consumeConnection(n: number): void {
    this.#recvUnacked += n;
    if (this.#recvUnacked >= CONNECTION_WINDOW >>> 1) {
      this.#write(windowUpdateFrame(0, this.#recvUnacked));
      this.#recvUnacked = 0;
    }
  }

  /** The handler consumed `n` body octets of `s`: reopen the stream window by as much. */
  #streamConsumed = (s: H2Stream, n: number): void => {
    if (n === 0 || s.state === CLOSED || s.state === HALF_CLOSED_REMOTE) return;
    s.recvWindow += n;
    this.#write(windowUpdateFrame(s.id, n));
  };

  #onHeaders(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw protocol('HEADERS on stream 0');
    let start = 0;
    let end = payload.length;
    if ((flags & FLAG.PADDED) !== 0) {
      if (payload.length === 0) throw frameSize('PADDED HEADERS without a pad length');
      const pad = payload[0]!;
      start = 1;
      end -= pad;
    }
    if ((flags & FLAG.PRIORITY) !== 0) start += 5; // RFC 9113 §5.3.2: priority signals are ignored.
    if (end < start) throw protocol('HEADERS padding longer than the payload');
    const fragment = payload.subarray(start, end);
    if ((flags & FLAG.END_HEADERS) !== 0) {
      this.#headerBlock(streamId, flags, fragment);
      return;
    }
    this.#blockStream = streamId;
    this.#blockFlags = flags;
    this.#blockParts = [fragment];
    this.#blockBytes = fragment.length;
    this.#blockFrames = 1;
  }

  #onContinuation(flags: number, streamId: number, payload: Buffer): void {
    if (this.#blockStream === 0 || streamId !== this.#blockStream) {
      throw protocol('CONTINUATION without a header block on that stream');
    }
    this.#blockParts.push(payload);
    this.#blockBytes += payload.length;
    // CONTINUATION flood (CVE-2024-27316 family): cap the buffered block before decoding.
    if (
      this.#blockBytes > this.#opts.maxHeaderBlockBytes ||
      ++this.#blockFrames > this.#opts.maxContinuationFrames
    ) {
      throw calm('header block too large or in too many CONTINUATION frames');
    }
    if ((flags & FLAG.END_HEADERS) === 0) return;
    const block = Buffer.concat(this.#blockParts);
    const blockFlags = this.#blockFlags;
    this.#blockStream = 0;
    this.#blockParts = [];
    this.#headerBlock(streamId, blockFlags, block);
  }

  /** A complete header block: decode (always, to keep HPACK in step), then act on it. */
  #headerBlock(streamId: number, flags: number, block: Buffer): void {
    const list = this.#decoder.decode(block);
    const isTooLarge = this.#decoder.isListTooLarge;
    const isEndStream = (flags & FLAG.END_STREAM) !== 0;
    const existing = this.#streams.get(streamId);
    if (existing !== undefined) {
      // Trailers (RFC 9113 §8.1): they must end the stream.
      if (existing.state === HALF_CLOSED_REMOTE || existing.state === CLOSED) {
        throw new H2ConnectionError(
          ERROR_CODES.PROTOCOL_ERROR,
          'HEADERS on a half-closed stream',
          H2_ERROR.STREAM_CLOSED,
        );
      }
      if (!isEndStream) {
        this.#streamError(existing, H2_ERROR.PROTOCOL_ERROR, 'trailers without END_STREAM');
        return;
      }
      const problem = isTooLarge ? 'trailers too large' : trailerProblem(list);
      if (problem !== null) {
        this.#streamError(existing, H2_ERROR.PROTOCOL_ERROR, problem);
        return;
      }
      existing.requestTrailers = Headers.fromTrustedList(list);
      this.#remoteEnd(existing);
      return;
    }
    // Trailers (or a late block) on a stream we reset: decoded above, otherwise ignored.
    if (this.#resetIds.has(streamId)) return;
    if ((streamId & 1) === 0) throw protocol('a client stream id must be odd');
    if (streamId <= this.#lastStreamId) {
      throw new H2ConnectionError(
        ERROR_CODES.PROTOCOL_ERROR,
        `HEADERS on closed stream ${streamId}`,
        H2_ERROR.STREAM_CLOSED,
      );
    }
    this.#lastStreamId = streamId;
    if (streamId > this.#acceptUpTo || this.#isClosed) return;
    if (this.#streams.size >= this.#opts.maxConcurrentStreams) {
      this.#sendRst(streamId, H2_ERROR.REFUSED_STREAM);
      return;
    }
    this.#disarmIdle();
    if (isTooLarge) {
      const s = this.#openStream(streamId, null, isEndStream);
      void this.#respondPlain(s, null, 431);
      return;
    }
    const head = parseRequestFields(list, this.#opts.enableConnectProtocol);
    if (typeof head === 'string') {
      this.#sendRst(streamId, H2_ERROR.PROTOCOL_ERROR);
      this.#armIdle();
      return;
    }
    const length = head.contentLength === -1 ? (isEndStream ? 0 : null) : head.contentLength;
    if (isEndStream && head.contentLength > 0) {
      this.#sendRst(streamId, H2_ERROR.PROTOCOL_ERROR);
      this.#armIdle();
      return;
    }
    const s = this.#openStream(streamId, length, isEndStream);
    if (length !== null && length > this.#opts.maxBodyBytes) {
      s.cancel();
      void this.#respondPlain(s, null, 413);
      return;
    }
    const upgrade =
      head.method === 'CONNECT'
        ? new H2Upgrade(this, s, head.protocol?.toLowerCase() ?? null)
        : undefined;
    const req = createRequest({
      method: head.method,
      target: head.target,
      headers: Headers.fromTrustedList(head.fields),
      body: isEndStream ? Body.empty() : new Body(s, { limit: this.#opts.maxBodyBytes }),
      protocol: 'h2',
      conn: this.#conn,
      signal: s.abort.signal,
      authority: head.authority,
      scheme: head.scheme === 'https' || head.scheme === 'http' ? head.scheme : this.#scheme,
      drain: this.#drain.signal,
      sendInformational: (status: number, headers?: HeadersInit) =>
        this.#informational(s, status, headers),
      upgrade,
    });
    void this.#run(s, req);
  }

  #openStream(id: number, length: number | null, isEndStream: boolean): H2Stream {
    const s = new H2Stream(
      id,
      this.#opts.initialWindowSize,
      this.#peerInitialWindow,
      length,
      this.#streamConsumed,
    );
    this.#streams.set(id, s);
    if (isEndStream) {
      s.end();
      s.state = HALF_CLOSED_REMOTE;
    }
    return s;
  }

  // ------------------------------------------------------------------ responses

  async #run(s: H2Stream, req: Request): Promise<void> {
    let res: Response;
    try {
      res = await this.#owner.handle(req);
    } catch (err) {
      if (s.state === CLOSED) return;
      if (s.isResponseStarted || s.isTunnel) {
        this.#owner.reportError(err, req);
        this.#resetStream(s.id, H2_ERROR.INTERNAL_ERROR);
        return;
      }
      const status = errorStatus(err);
      if (status >= 500) this.#owner.reportError(err, req);
      const own = err as { status?: unknown; expose?: unknown } | null;
      const expose =
        typeof own === 'object' && own !== null && own.status === status
          ? typeof own.expose === 'boolean'
            ? own.expose
            : status < 500
          : false;
      await this.#respondPlain(s, req, status, expose && err instanceof Error ? err.message : null);
      return;
    }
    if (s.isTunnel) return;
    if (req.upgrade !== undefined && res.status < 300) {
      // RFC 9113 §8.5: a 2xx to CONNECT says the tunnel is open; none was (no accept()).
      await this.#respondPlain(s, req, 501);
      return;
    }
    try {
      await this.#respond(s, req, res);
    } catch (err) {
      this.#owner.reportError(err, req);
      if (s.state !== CLOSED) this.#resetStream(s.id, H2_ERROR.INTERNAL_ERROR);
    }
  }

  /** A short text response written outside the handler (errors, limits). */
  async #respondPlain(
    s: H2Stream,
    req: Request | null,
    status: number,
    message: string | null = null,
  ): Promise<void> {
    const text = `${message ?? statusText(status)}\n`;
    const headers = new Headers({ 'content-type': 'text/plain; charset=utf-8' });
    await this.#respond(s, req, { status, headers, body: text });
  }

  async #respond(s: H2Stream, req: Request | null, res: Response): Promise<void> {
    if (s.state === CLOSED) return;
    const status = res.status;
    if (!Number.isInteger(status) || status < 200 || status > 999) {
      this.#owner.reportError(
        new RwsError(ERROR_CODES.INVALID_RESPONSE, `the handler returned status ${String(status)}`),
        req,
      );
      if (res.status !== 500) await this.#respondPlain(s, req, 500);
      return;
    }
    const isHead = req !== null && req.method === 'HEAD';
    const isNoBody = isNullBodyStatus(status);
    let body = res.body;
    const fields: string[] = [':status', String(status)];
    let hasLength = false;
    let hasDate = false;
    for (const [name, value] of res.headers) {
      if (isConnectionSpecific(name)) continue;
      if (name === 'content-length') hasLength = true;
      else if (name === 'date') hasDate = true;
      fields.push(name, value);
    }
    if (!hasDate) fields.push('date', this.#owner.date());
    const server = this.#opts.serverHeader;
    if (server !== false && !res.headers.has('server')) fields.push('server', server);
    let bytes: Uint8Array | null = null;
    let file: FileBodyInit | null = null;
    if (typeof body === 'string') bytes = Buffer.from(body);
    else if (body instanceof Uint8Array) bytes = body;
    else if (body !== null && typeof body === 'object' && (body as FileBodyInit).kind === 'file') {
      file = body as FileBodyInit;
    }
    if (!hasLength && !isNoBody) {
      // HEAD answers with the length a GET would have (RFC 9110 §9.3.2).
      if (bytes !== null) fields.push('content-length', String(bytes.length));
      else if (file !== null) fields.push('content-length', String(await fileLength(file)));
    }
    if (isNoBody || isHead) {
      closeBody(body);
      body = null;
      bytes = null;
      file = null;
    }
    if (bytes !== null && bytes.length === 0) body = null;
    const trailers = res.trailers;
    const isBodyless = body === null && trailers === undefined;
    s.isResponseStarted = true;
    if (s.state === CLOSED) return;
    this.#write(
      headersFrames(s.id, this.#encoder.encode(fields), isBodyless, this.#peerMaxFrameSize),
    );
    if (isBodyless) {
      this.#localEnd(s);
      return;
    }
    if (bytes !== null && body !== null) await this.#sendData(s, bytes);
    else if (file !== null) {
      for await (const chunk of readFile(file)) {
        if (s.state === CLOSED) return;
        await this.#sendData(s, chunk);
      }
    } else if (body !== null) {
      const iterable = body as AsyncIterable<Uint8Array>;
      const iterator = iterable[Symbol.asyncIterator]();
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done === true) break;
          if (s.state === CLOSED) break;
          const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
          await this.#sendData(s, chunk);
        }
      } finally {
        if (s.state === CLOSED) void iterator.return?.();
      }
    }
    if (s.state === CLOSED) return;
    let trailerHeaders: Headers | null | undefined = null;
    if (typeof trailers === 'function') trailerHeaders = await trailers();
    else if (trailers !== undefined) trailerHeaders = trailers;
    if (s.state === CLOSED) return;
    const list: string[] = [];
    if (trailerHeaders != null) {
      for (const [name, value] of trailerHeaders)
        if (!isConnectionSpecific(name)) list.push(name, value);
    }
    if (list.length > 0) {
      this.#write(headersFrames(s.id, this.#encoder.encode(list), true, this.#peerMaxFrameSize));
    } else {
      this.#write(frame(FRAME_TYPE.DATA, FLAG.END_STREAM, s.id));
    }
    this.#localEnd(s);
  }

  /** Sends `data` as DATA frames within both send windows, waiting when they are closed. */
  async #sendData(s: H2Stream, data: Uint8Array): Promise<void> {
    let from = 0;
    while (from < data.length) {
      if (s.state === CLOSED) return;
      const n = Math.min(
        data.length - from,
        s.sendWindow,
        this.#sendWindow,
        this.#peerMaxFrameSize,
      );
      if (n <= 0 || this.socket.writableLength > SOCKET_HIGH_WATER) {
        await this.#waitForWindow(s);
        continue;
      }
      const header = Buffer.allocUnsafe(FRAME_HEADER_SIZE);
      writeFrameHeader(header, 0, n, FRAME_TYPE.DATA, 0, s.id);
      this.#write(header);
      this.#write(data.subarray(from, from + n));
      s.sendWindow -= n;
      this.#sendWindow -= n;
      from += n;
    }
  }

  /** Waits for a WINDOW_UPDATE, a SETTINGS change or socket drain; resets after sendTimeoutMs. */
  #waitForWindow(s: H2Stream): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        s.windowWaiter = null;
        this.#connWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        if (s.state !== CLOSED) {
          this.#closeStream(
            s,
            new RwsError(
              ERROR_CODES.SEND_TIMEOUT,
              `stream ${s.id}: the client kept its window closed for ${this.#opts.sendTimeoutMs} ms`,
            ),
          );
          this.#sendRst(s.id, H2_ERROR.CANCEL);
        }
        done();
      }, this.#opts.sendTimeoutMs);
      s.windowWaiter = done;
      this.#connWaiters.add(done);
    });
  }

  acceptTunnel(s: H2Stream, headers: Headers): Tunnel {
    if (
      s.isResponseStarted ||
      s.state === CLOSED ||
      s.state === HALF_CLOSED_LOCAL ||
      this.#isClosed
    ) {
      throw new RwsError(
        ERROR_CODES.UPGRADE_UNAVAILABLE,
        'cannot accept the upgrade: the response has started or the stream is closed',
      );
    }
    const fields: string[] = [':status', '200'];
    for (const [name, value] of headers) if (!isConnectionSpecific(name)) fields.push(name, value);
    s.isResponseStarted = true;
    s.isTunnel = true;
    this.#write(headersFrames(s.id, this.#encoder.encode(fields), false, this.#peerMaxFrameSize));
    const readable = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const chunk = await s.read();
          if (chunk === null) controller.close();
          else controller.enqueue(chunk);
        },
        cancel: () => this.#resetStream(s.id, H2_ERROR.CANCEL),
      },
      { highWaterMark: 0 },
    );
    const writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        if (s.state === CLOSED || s.state === HALF_CLOSED_LOCAL) {
          throw streamReset(s.id, H2_ERROR.STREAM_CLOSED);
        }
        await this.#sendData(s, chunk);
      },
      close: () => {
        if (s.state === CLOSED || s.state === HALF_CLOSED_LOCAL) return;
        this.#write(frame(FRAME_TYPE.DATA, FLAG.END_STREAM, s.id));
        this.#localEnd(s);
      },
      abort: () => {
        if (s.state !== CLOSED) this.#resetStream(s.id, H2_ERROR.CANCEL);
      },
    });
    return { readable, writable };
  }

  #informational(s: H2Stream, status: number, headers?: HeadersInit): boolean {
    const h = validateInformational(status, headers);
    if (
      s.isResponseStarted ||
      s.state === CLOSED ||
      s.state === HALF_CLOSED_LOCAL ||
      this.#isClosed
    )
      return false;
    const fields: string[] = [':status', String(status)];
    for (const [name, value] of h) if (!isConnectionSpecific(name)) fields.push(name, value);
    this.#write(headersFrames(s.id, this.#encoder.encode(fields), false, this.#peerMaxFrameSize));
    return true;
  }

  /** We sent END_STREAM. */
  #localEnd(s: H2Stream): void {
    if (s.state === HALF_CLOSED_REMOTE) {
      this.#closeStream(s, null);
      return;
    }
    s.state = HALF_CLOSED_LOCAL;
    // A tunnel half-closes: the peer may go on sending until its own END_STREAM.
    if (s.isTunnel) return;
    // RFC 9113 §8.1: the response is complete; the rest of the request is not needed.
    this.#sendRst(s.id, H2_ERROR.NO_ERROR);
    this.#closeStream(s, null);
  }

  /**
   * Sends RST_STREAM and remembers the stream for a while: frames the peer sent before it
   * saw the reset (DATA, trailers) are then ignored instead of failing the connection
   * (RFC 9113 §5.4.2, §6.4).
   */
  #sendRst(id: number, code: number): void {
    this.#write(rstStreamFrame(id, code));
    const reset = this.#resetIds;
    reset.add(id);
    if (reset.size > 1024) reset.delete(reset.values().next().value as number);
  }

  #streamError(s: H2Stream, code: number, message: string): void {
    this.#sendRst(s.id, code);
    this.#closeStream(
      s,
      new RwsError(ERROR_CODES.PROTOCOL_ERROR, `stream ${s.id}: ${message}`, { status: 400 }),
    );
  }

  #resetStream(id: number, code: number): void {
    this.#sendRst(id, code);
    const s = this.#streams.get(id);
    if (s !== undefined) this.#closeStream(s, streamReset(id, code));
  }

  #abortStream(s: H2Stream, err: unknown): void {
    s.state = CLOSED;
    s.fail(err);
    if (!s.abort.signal.aborted) s.abort.abort(err);
    s.windowWaiter?.();
  }

  #closeStream(s: H2Stream, err: unknown): void {
    if (s.state === CLOSED) return;
    if (err !== null) this.#abortStream(s, err);
    else s.state = CLOSED;
    this.#streams.delete(s.id);
    if (this.#streams.size === 0) {
      this.#armIdle();
      this.#maybeFinish();
    }
  }

  // ------------------------------------------------------------------ lifecycle

  #armIdle(): void {
    if (this.#idleTimer !== null || this.#isClosed) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#streams.size === 0) this.#goaway(H2_ERROR.NO_ERROR, 'idle timeout');
    }, this.#opts.idleTimeoutMs);
    this.#idleTimer.unref();
  }

  #disarmIdle(): void {
    if (this.#idleTimer === null) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  /**
   * Starts a graceful shutdown (RFC 9113 §6.8): GOAWAY with the largest stream id and a PING;
   * when the PING returns, every stream the client had opened by then is known, and the final
   * GOAWAY names the last one.
   */
  drain(): void {
    if (this.#isClosed || this.#goawayPing !== null) return;
    this.#drain.abort();
    this.#isGoingAway = true;
    this.#write(goawayFrame(MAX_WINDOW, H2_ERROR.NO_ERROR));
    this.#goawayPing = Buffer.from('rwsdrain', 'latin1');
    this.#write(pingFrame(this.#goawayPing, false));
    // A client that never answers the PING gets the final GOAWAY anyway.
    setTimeout(() => this.#finalGoaway(), 1000).unref();
  }

  #finalGoaway(): void {
    if (this.#isClosed || this.#acceptUpTo !== MAX_WINDOW) return;
    this.#acceptUpTo = this.#lastStreamId;
    this.#write(goawayFrame(this.#lastStreamId, H2_ERROR.NO_ERROR));
    this.#maybeFinish();
  }

  #maybeFinish(): void {
    if (!this.#isGoingAway || this.#streams.size > 0 || this.#isClosed) return;
    if (this.#acceptUpTo === MAX_WINDOW && this.#goawayPing !== null) return;
    // RFC 9113 §6.8: say GOAWAY before closing, naming the last stream we processed.
    if (this.#acceptUpTo === MAX_WINDOW) {
      this.#acceptUpTo = this.#lastStreamId;
      this.#write(goawayFrame(this.#lastStreamId, H2_ERROR.NO_ERROR));
    }
    this.#isClosed = true;
    this.#parser.stop();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Resolves once the socket has closed. */
  whenClosed(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.#closeResolvers.push(resolve));
  }

  destroy(): void {
    this.socket.destroy();
  }

  #onClose = (): void => {
    this.#isClosed = true;
    this.#disarmIdle();
    if (this.#pingTimer !== null) clearInterval(this.#pingTimer);
    this.#parser.stop();
    for (const s of this.#streams.values())
      this.#abortStream(s, streamReset(s.id, H2_ERROR.CANCEL));
    this.#streams.clear();
    this.#wakeAll();
    this.#owner.connectionClosed(this);
    for (const r of this.#closeResolvers) r();
  };
}

function wake(s: H2Stream): void {
  s.windowWaiter?.();
}

function closeBody(body: Response['body']): void {
  if (
    body !== null &&
    typeof body === 'object' &&
    typeof (body as ReadableStream).cancel === 'function'
  ) {
    void (body as ReadableStream).cancel().catch(() => {});
  }
}

async function fileLength(file: FileBodyInit): Promise<number> {
  const size = (await stat(file.path)).size;
  const start = file.start ?? 0;
  const end = Math.min(file.end ?? size - 1, size - 1);
  return Math.max(0, end - start + 1);
}

async function* readFile(file: FileBodyInit): AsyncGenerator<Uint8Array> {
  const handle = await open(file.path, 'r');
  try {
    let pos = file.start ?? 0;
    const end = file.end ?? Number.POSITIVE_INFINITY;
    for (;;) {
      const want = Math.min(64 * 1024, end - pos + 1);
      if (want <= 0) return;
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buf, 0, want, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

function protocol(message: string): H2ConnectionError {
  return new H2ConnectionError(ERROR_CODES.PROTOCOL_ERROR, message, H2_ERROR.PROTOCOL_ERROR);
}

function frameSize(message: string): H2ConnectionError {
  return new H2ConnectionError(ERROR_CODES.FRAME_SIZE_ERROR, message, H2_ERROR.FRAME_SIZE_ERROR);
}

function calm(message: string): H2ConnectionError {
  return new H2ConnectionError(ERROR_CODES.PROTOCOL_ERROR, message, H2_ERROR.ENHANCE_YOUR_CALM);
}
