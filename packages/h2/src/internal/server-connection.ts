/**
 * One HTTP/2 connection, server side (RFC 9113): frame dispatch, connection-level frames
 * (SETTINGS, PING, WINDOW_UPDATE, RST_STREAM, GOAWAY), stream closing, limits and graceful
 * close. Requests are built in `server-request.ts`, responses written in `server-response.ts`;
 * those modules share this object's state, which is why its fields are not `#private`.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  type ConnectionInfo,
  type Headers,
  type Request,
  type Response,
  RwsError,
  type Tunnel,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { FrameParser, H2ConnectionError } from '../frame-parser.js';
import {
  FLAG,
  FRAME_TYPE,
  goawayFrame,
  H2_ERROR,
  MAX_WINDOW,
  pingFrame,
  rstStreamFrame,
  SETTING,
  settingsFrame,
  windowUpdateFrame,
} from '../frames.js';
import { HpackDecoder } from '../hpack-decoder.js';
import { HpackEncoder } from '../hpack-encoder.js';
import { calm, frameSize, protocol } from './connection-errors.js';
import {
  CLOSED,
  type H2Stream,
  HALF_CLOSED_LOCAL,
  HALF_CLOSED_REMOTE,
  streamReset,
} from './h2-stream.js';
import type { TunnelHost } from './h2-upgrade.js';
import type { ResolvedH2Options } from './resolved-options.js';
import {
  CONNECTION_WINDOW,
  onContinuation,
  onDataFrame,
  onHeaders,
  startRequest,
  streamConsumed,
} from './server-request.js';
import { acceptTunnel } from './server-response.js';

/** An HTTP/1.1 request that `Upgrade: h2c` turns into stream 1 (RFC 7540 §3.2). */
export interface H2cUpgrade {
  /** The decoded HTTP2-Settings field: a SETTINGS payload. */
  readonly settings: Buffer;
  /** The request as an HTTP/2 field list: pseudo-headers first, then the other fields. */
  readonly fields: string[];
  /** Bytes the client sent after the request head (the start of its preface). */
  readonly head: Buffer;
}

/** What the connection needs from its server. */
export interface ConnectionOwner {
  readonly options: ResolvedH2Options;
  handle(req: Request): Response | Promise<Response>;
  reportError(err: unknown, req: Request | null): void;
  connectionClosed(conn: ServerConnection): void;
  date(): string;
}

/** Payload of keepalive PINGs. */
const KEEPALIVE_PING = Buffer.from('rwsalive', 'latin1');

export class ServerConnection implements TunnelHost {
  readonly socket: Socket;
  readonly owner: ConnectionOwner;
  readonly opts: ResolvedH2Options;
  readonly conn: ConnectionInfo;
  readonly #parser: FrameParser;
  readonly decoder: HpackDecoder;
  readonly encoder: HpackEncoder = new HpackEncoder();
  readonly streams: Map<number, H2Stream> = new Map();
  /** Aborted when the connection starts to go away (`req.drain`). */
  readonly drainController: AbortController = new AbortController();
  readonly scheme: 'http' | 'https';
  /** Highest client stream id seen. */
  lastStreamId = 0;
  /** Highest stream id we will still process (lowered by the final GOAWAY). */
  acceptUpTo: number = MAX_WINDOW;
  /** The stream of a header block awaiting CONTINUATION, and its fragments. */
  blockStream = 0;
  blockFlags = 0;
  blockParts: Buffer[] = [];
  blockBytes = 0;
  blockFrames = 0;
  /** Peer settings. */
  peerInitialWindow = 65535;
  peerMaxFrameSize = 16384;
  #isPeerSettingsSeen = false;
  #encoderTableSize = 4096;
  /** Recently reset streams (see `sendRst`). */
  readonly resetIds: Set<number> = new Set();
  /** Connection send window (ours towards the peer) and receive accounting. */
  sendWindow = 65535;
  recvUnacked = 0;
  /** Writers waiting for connection window or socket drain. */
  connWaiters: Set<() => void> = new Set();
  #isCorked = false;
  isClosed = false;
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

  /**
   * `upgrade`: the connection was an HTTP/1.1 request with `Upgrade: h2c` that got its 101
   * (RFC 7540 §3.2); its request becomes stream 1 and the client's preface follows.
   */
  constructor(
    owner: ConnectionOwner,
    socket: Socket,
    conn: ConnectionInfo,
    upgrade: H2cUpgrade | null = null,
  ) {
    this.owner = owner;
    this.opts = owner.options;
    this.socket = socket;
    this.conn = conn;
    this.scheme = (socket as TLSSocket).encrypted === true ? 'https' : 'http';
    this.decoder = new HpackDecoder({ maxHeaderListSize: this.opts.maxHeaderListSize });
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
      [SETTING.MAX_CONCURRENT_STREAMS, this.opts.maxConcurrentStreams],
      [SETTING.INITIAL_WINDOW_SIZE, this.opts.initialWindowSize],
      [SETTING.MAX_HEADER_LIST_SIZE, this.opts.maxHeaderListSize],
      [SETTING.ENABLE_PUSH, 0],
    ];
    if (this.opts.enableConnectProtocol) settings.push([SETTING.ENABLE_CONNECT_PROTOCOL, 1]);
    this.write(settingsFrame(settings));
    this.write(windowUpdateFrame(0, CONNECTION_WINDOW - 65535));
    this.armIdle();
    if (this.opts.pingIntervalMs > 0) {
      this.#pingTimer = setInterval(this.#keepAlive, this.opts.pingIntervalMs);
      this.#pingTimer.unref();
    }
    if (upgrade !== null) this.#startUpgraded(upgrade);
  }

  /**
   * RFC 7540 §3.2: after our SETTINGS, the client's HTTP2-Settings apply as if sent in a
   * SETTINGS frame (the 101 acknowledged them), and the upgraded request is stream 1,
   * half-closed on the client's side. Bytes that came after the request head are the start
   * of the client's preface.
   */
  #startUpgraded(upgrade: H2cUpgrade): void {
    try {
      this.#applySettings(upgrade.settings);
    } catch (err) {
      this.#connectionError(err);
      return;
    }
    this.lastStreamId = 1;
    startRequest(this, 1, upgrade.fields, false, true);
    if (upgrade.head.length > 0) this.#onData(upgrade.head);
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
    this.write(pingFrame(KEEPALIVE_PING, false));
  };

  /** Open streams. */
  get streamCount(): number {
    return this.streams.size;
  }

  // ------------------------------------------------------------------ output

  write(buf: Uint8Array): void {
    if (this.isClosed) return;
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
    const waiters = [...this.connWaiters];
    this.connWaiters.clear();
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
      if (!(err instanceof RwsError)) this.owner.reportError(err, null);
      const code =
        err instanceof RwsError && err.code === ERROR_CODES.COMPRESSION_ERROR
          ? H2_ERROR.COMPRESSION_ERROR
          : H2_ERROR.INTERNAL_ERROR;
      this.#goaway(code, err instanceof Error ? err.message : 'internal error');
    }
  }

  /** Ends the connection with GOAWAY `code` (a connection error, RFC 9113 §5.4.1). */
  #goaway(code: number, debug: string): void {
    if (this.isClosed) return;
    this.#parser.stop();
    this.write(goawayFrame(this.lastStreamId, code, debug));
    for (const s of this.streams.values()) this.#abortStream(s, streamReset(s.id, code));
    this.streams.clear();
    this.isClosed = true;
    this.socket.end();
    // A peer that never reads its side must not keep the socket forever.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  #onFrame = (type: number, flags: number, streamId: number, payload: Buffer): void => {
    if (this.blockStream !== 0 && type !== FRAME_TYPE.CONTINUATION) {
      throw protocol('a header block was interrupted by another frame (RFC 9113 §6.10)');
    }
    if (!this.#isPeerSettingsSeen && type !== FRAME_TYPE.SETTINGS) {
      throw protocol('the first frame of the client is not SETTINGS (RFC 9113 §3.4)');
    }
    switch (type) {
      case FRAME_TYPE.DATA:
        onDataFrame(this, flags, streamId, payload);
        return;
      case FRAME_TYPE.HEADERS:
        onHeaders(this, flags, streamId, payload);
        return;
      case FRAME_TYPE.PRIORITY:
        if (streamId === 0) throw protocol('PRIORITY on stream 0');
        if (payload.length !== 5) this.resetStream(streamId, H2_ERROR.FRAME_SIZE_ERROR);
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
        this.drainController.abort();
        this.#isGoingAway = true;
        this.#maybeFinish();
        return;
      case FRAME_TYPE.WINDOW_UPDATE:
        this.#onWindowUpdate(streamId, payload);
        return;
      case FRAME_TYPE.CONTINUATION:
        onContinuation(this, flags, streamId, payload);
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
    if (++this.#controlCount > this.opts.maxControlFramesPerSecond) {
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
    this.#applySettings(payload);
    this.write(settingsFrame(null));
  }

  /** Applies a SETTINGS payload (a frame's, or the HTTP2-Settings of an h2c upgrade). */
  #applySettings(payload: Buffer): void {
    for (let at = 0; at < payload.length; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      switch (id) {
        case SETTING.HEADER_TABLE_SIZE: {
          // Our encoder never uses more than 4096 octets, whatever the peer allows.
          const size = Math.min(value, 4096);
          if (size !== this.#encoderTableSize) {
            this.#encoderTableSize = size;
            this.encoder.setMaxTableSize(size);
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
          const delta = value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          for (const s of this.streams.values()) {
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
          this.peerMaxFrameSize = value;
          break;
        default:
          // Unknown or informational settings (MAX_CONCURRENT_STREAMS, MAX_HEADER_LIST_SIZE of
          // the client limit what it receives from pushes we never make) are ignored.
          break;
      }
    }
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
    this.write(pingFrame(payload, true));
  }

  #onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw frameSize('WINDOW_UPDATE payload not 4 octets');
    const inc = payload.readUInt32BE(0) & MAX_WINDOW;
    if (streamId === 0) {
      if (inc === 0) throw protocol('WINDOW_UPDATE with increment 0');
      this.sendWindow += inc;
      if (this.sendWindow > MAX_WINDOW) {
        throw new H2ConnectionError(
          ERROR_CODES.PROTOCOL_ERROR,
          'connection window above 2^31-1',
          H2_ERROR.FLOW_CONTROL_ERROR,
        );
      }
      this.#wakeAll();
      return;
    }
    if (streamId > this.lastStreamId) throw protocol('WINDOW_UPDATE on an idle stream');
    const s = this.streams.get(streamId);
    if (s === undefined) return;
    if (inc === 0) {
      this.resetStream(streamId, H2_ERROR.PROTOCOL_ERROR);
      return;
    }
    s.sendWindow += inc;
    if (s.sendWindow > MAX_WINDOW) {
      this.resetStream(streamId, H2_ERROR.FLOW_CONTROL_ERROR);
      return;
    }
    wake(s);
  }

  #onRstStream(streamId: number, payload: Buffer): void {
    if (streamId === 0) throw protocol('RST_STREAM on stream 0');
    if (payload.length !== 4) throw frameSize('RST_STREAM payload not 4 octets');
    if (streamId > this.lastStreamId) throw protocol('RST_STREAM on an idle stream');
    const s = this.streams.get(streamId);
    if (s === undefined) return;
    // Rapid reset (CVE-2023-44487): count streams the client cancels.
    const now = Date.now();
    const times = this.#resetTimes;
    times.push(now);
    while (times.length > 0 && now - times[0]! > this.opts.streamResetWindowMs) times.shift();
    this.closeStream(s, streamReset(streamId, payload.readUInt32BE(0)));
    if (times.length > this.opts.maxStreamResets)
      throw calm('too many streams reset by the client');
  }

  acceptTunnel(s: H2Stream, headers: Headers): Tunnel {
    return acceptTunnel(this, s, headers);
  }

  /** The handler consumed `n` body octets of `s`: reopen the stream window by as much. */
  readonly onStreamConsumed = (s: H2Stream, n: number): void => streamConsumed(this, s, n);

  /** We sent END_STREAM. */
  localEnd(s: H2Stream): void {
    if (s.state === HALF_CLOSED_REMOTE) {
      this.closeStream(s, null);
      return;
    }
    s.state = HALF_CLOSED_LOCAL;
    // A tunnel half-closes: the peer may go on sending until its own END_STREAM.
    if (s.isTunnel) return;
    // RFC 9113 §8.1: the response is complete; the rest of the request is not needed.
    this.sendRst(s.id, H2_ERROR.NO_ERROR);
    this.closeStream(s, null);
  }

  /**
   * Sends RST_STREAM and remembers the stream for a while: frames the peer sent before it
   * saw the reset (DATA, trailers) are then ignored instead of failing the connection
   * (RFC 9113 §5.4.2, §6.4).
   */
  sendRst(id: number, code: number): void {
    this.write(rstStreamFrame(id, code));
    const reset = this.resetIds;
    reset.add(id);
    if (reset.size > 1024) reset.delete(reset.values().next().value as number);
  }

  streamError(s: H2Stream, code: number, message: string): void {
    this.sendRst(s.id, code);
    this.closeStream(
      s,
      new RwsError(ERROR_CODES.PROTOCOL_ERROR, `stream ${s.id}: ${message}`, { status: 400 }),
    );
  }

  resetStream(id: number, code: number): void {
    this.sendRst(id, code);
    const s = this.streams.get(id);
    if (s !== undefined) this.closeStream(s, streamReset(id, code));
  }

  #abortStream(s: H2Stream, err: unknown): void {
    s.state = CLOSED;
    s.fail(err);
    if (!s.abort.signal.aborted) s.abort.abort(err);
    s.windowWaiter?.();
  }

  closeStream(s: H2Stream, err: unknown): void {
    if (s.state === CLOSED) return;
    if (err !== null) this.#abortStream(s, err);
    else s.state = CLOSED;
    this.streams.delete(s.id);
    if (this.streams.size === 0) {
      this.armIdle();
      this.#maybeFinish();
    }
  }

  // ------------------------------------------------------------------ lifecycle

  armIdle(): void {
    if (this.#idleTimer !== null || this.isClosed) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.streams.size === 0) this.#goaway(H2_ERROR.NO_ERROR, 'idle timeout');
    }, this.opts.idleTimeoutMs);
    this.#idleTimer.unref();
  }

  disarmIdle(): void {
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
    if (this.isClosed || this.#goawayPing !== null) return;
    this.drainController.abort();
    this.#isGoingAway = true;
    this.write(goawayFrame(MAX_WINDOW, H2_ERROR.NO_ERROR));
    this.#goawayPing = Buffer.from('rwsdrain', 'latin1');
    this.write(pingFrame(this.#goawayPing, false));
    // A client that never answers the PING gets the final GOAWAY anyway.
    setTimeout(() => this.#finalGoaway(), 1000).unref();
  }

  #finalGoaway(): void {
    if (this.isClosed || this.acceptUpTo !== MAX_WINDOW) return;
    this.acceptUpTo = this.lastStreamId;
    this.write(goawayFrame(this.lastStreamId, H2_ERROR.NO_ERROR));
    this.#maybeFinish();
  }

  #maybeFinish(): void {
    if (!this.#isGoingAway || this.streams.size > 0 || this.isClosed) return;
    if (this.acceptUpTo === MAX_WINDOW && this.#goawayPing !== null) return;
    // RFC 9113 §6.8: say GOAWAY before closing, naming the last stream we processed.
    if (this.acceptUpTo === MAX_WINDOW) {
      this.acceptUpTo = this.lastStreamId;
      this.write(goawayFrame(this.lastStreamId, H2_ERROR.NO_ERROR));
    }
    this.isClosed = true;
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
    this.isClosed = true;
    this.disarmIdle();
    if (this.#pingTimer !== null) clearInterval(this.#pingTimer);
    this.#parser.stop();
    for (const s of this.streams.values()) this.#abortStream(s, streamReset(s.id, H2_ERROR.CANCEL));
    this.streams.clear();
    this.#wakeAll();
    this.owner.connectionClosed(this);
    for (const r of this.#closeResolvers) r();
  };
}

function wake(s: H2Stream): void {
  s.windowWaiter?.();
}
