import { HTTP3_ERROR, Http3Error, http3Error } from '../errors.js';
import { QpackDecoder } from '../qpack/qpack-decoder.js';
import { QpackEncoder } from '../qpack/qpack-encoder.js';
import type { QuicConnection } from '../quic/quic-connection.js';
import type { QuicStream } from '../quic/quic-stream.js';
import { readVarint } from '../quic/varint.js';
import { FrameReader } from './frame-reader.js';
import {
  encodeFrame,
  encodeVarints,
  FRAME,
  parseSettings,
  parseSingleVarint,
  SETTING,
  UNI_STREAM,
} from './frames.js';

/** Dynamic table capacity and blocked streams our QPACK decoder allows the peer. */
const QPACK_TABLE_CAPACITY = 4096;
const QPACK_BLOCKED_STREAMS = 16;

/**
 * What client and server share on an HTTP/3 connection: our control stream with SETTINGS,
 * the QPACK encoder and decoder streams in both directions, the peer's control stream, and
 * connection errors (CONNECTION_CLOSE with the HTTP/3 code).
 * @see RFC 9114 §6.2, §7.2.4, RFC 9204 §4.2
 */
export class Http3Session {
  readonly quic: QuicConnection;
  readonly encoder: QpackEncoder;
  readonly decoder: QpackDecoder;
  readonly #maxFieldSectionSize: number;
  readonly #onError: (error: unknown) => void;
  readonly #peerStreams = new Set<number>();
  /** Our QPACK streams, and what was produced for them before they were opened. */
  readonly #qpackOut = { encoder: new QpackOutput(), decoder: new QpackOutput() };
  #isClosed = false;
  #control: QuicStream | undefined;
  /** Peer settings, once its control stream delivered them. */
  settings: Map<number, number> | undefined;
  /** The stream id of the peer's last GOAWAY, if it sent one. */
  goawayId: number | undefined;
  /** Called for each GOAWAY the peer sends (it may lower the id). */
  onGoaway: ((id: number) => void) | undefined;
  /** Whether our SETTINGS carry SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 9220 §3). */
  readonly #isConnectProtocolEnabled: boolean;
  #settingsWaiters: Array<() => void> = [];

  constructor(
    quic: QuicConnection,
    maxFieldSectionSize: number,
    onError: (error: unknown) => void,
    isConnectProtocolEnabled = false,
  ) {
    this.quic = quic;
    this.#maxFieldSectionSize = maxFieldSectionSize;
    this.#onError = onError;
    this.#isConnectProtocolEnabled = isConnectProtocolEnabled;
    this.decoder = new QpackDecoder({
      maxTableCapacity: QPACK_TABLE_CAPACITY,
      maxBlockedStreams: QPACK_BLOCKED_STREAMS,
      maxFieldSectionSize,
      onDecoderStream: (bytes) => this.#qpackOut.decoder.write(bytes),
    });
    this.encoder = new QpackEncoder({
      maxTableCapacity: QPACK_TABLE_CAPACITY,
      onEncoderStream: (bytes) => this.#qpackOut.encoder.write(bytes),
    });
    void quic.closed.then(() => {
      this.#isClosed = true;
      this.#settled();
    });
  }

  /**
   * Resolves once the peer's SETTINGS arrived (or the connection closed without them): what
   * an extended CONNECT waits for (RFC 9220 §3, as RFC 8441 §3).
   */
  settingsReady(): Promise<void> {
    if (this.settings !== undefined || this.#isClosed) return Promise.resolve();
    return new Promise((resolve) => this.#settingsWaiters.push(resolve));
  }

  #settled(): void {
    for (const resolve of this.#settingsWaiters.splice(0)) resolve();
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Opens our control stream (with SETTINGS) and QPACK streams; call once 1-RTT keys exist. */
  openStreams(): void {
    try {
      const values = [
        SETTING.QPACK_MAX_TABLE_CAPACITY,
        QPACK_TABLE_CAPACITY,
        SETTING.QPACK_BLOCKED_STREAMS,
        QPACK_BLOCKED_STREAMS,
        SETTING.MAX_FIELD_SECTION_SIZE,
        this.#maxFieldSectionSize,
      ];
      // Sent only when on: an absent setting means off (RFC 9220 §3).
      if (this.#isConnectProtocolEnabled) values.push(SETTING.ENABLE_CONNECT_PROTOCOL, 1);
      const settings = encodeVarints(values);
      const control = Buffer.concat([
        Uint8Array.of(UNI_STREAM.CONTROL),
        encodeFrame(FRAME.SETTINGS, settings),
      ]);
      this.#control = this.quic.openUniStream();
      void write(this.#control, control);
      this.#qpackOut.encoder.open(this.quic.openUniStream(), UNI_STREAM.QPACK_ENCODER);
      this.#qpackOut.decoder.open(this.quic.openUniStream(), UNI_STREAM.QPACK_DECODER);
    } catch (error) {
      // The peer allows too few unidirectional streams for HTTP/3 (RFC 9114 §6.2).
      this.fail(http3Error(HTTP3_ERROR.H3_STREAM_CREATION_ERROR, String(error)));
    }
  }

  /**
   * Sends GOAWAY on our control stream: a server names the first request stream it will not
   * process, a client the first push it will not accept (RFC 9114 §5.2).
   */
  sendGoaway(id: number): void {
    if (this.#control !== undefined && !this.#isClosed) {
      void write(this.#control, encodeFrame(FRAME.GOAWAY, encodeVarints([id])));
    }
  }

  /** A connection error closes the connection with its code; anything else is reported. */
  fail(error: unknown): void {
    if (this.#isClosed) return;
    if (error instanceof Http3Error) {
      this.quic.close(error.applicationCode, error.message);
    } else {
      this.#onError(error);
      this.quic.close(HTTP3_ERROR.H3_INTERNAL_ERROR, 'internal error');
    }
    this.#isClosed = true;
  }

  /** Errors that end a stream's reader: HTTP/3 errors close the connection, stream ends do not. */
  onStreamError(error: unknown): void {
    if (error instanceof Http3Error || (!this.#isClosed && !isStreamEnd(error))) this.fail(error);
  }

  /** A peer unidirectional stream: its first varint says what it carries (RFC 9114 §6.2). */
  async onUniStream(stream: QuicStream, isServer: boolean): Promise<void> {
    const chunks = stream[Symbol.asyncIterator]();
    let head: Uint8Array = new Uint8Array(0);
    let type = -1;
    while (type < 0) {
      const next = await chunks.next();
      if (next.done === true) return;
      head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
      type = readVarint(head, 0);
    }
    const rest = head.subarray(1 << (head[0]! >> 6));
    const isCritical =
      type === UNI_STREAM.CONTROL ||
      type === UNI_STREAM.QPACK_ENCODER ||
      type === UNI_STREAM.QPACK_DECODER;
    if (isCritical) {
      if (this.#peerStreams.has(type)) {
        throw http3Error(HTTP3_ERROR.H3_STREAM_CREATION_ERROR, `a second stream of type ${type}`);
      }
      this.#peerStreams.add(type);
    } else if (type === UNI_STREAM.PUSH && isServer) {
      throw http3Error(HTTP3_ERROR.H3_STREAM_CREATION_ERROR, 'a client opened a push stream');
    }
    // Unknown and GREASE stream types (and pushes, which we never ask for with MAX_PUSH_ID)
    // are read and discarded (RFC 9114 §6.2).
    let consume: (chunk: Uint8Array) => void = () => {};
    if (type === UNI_STREAM.CONTROL) consume = this.#controlConsumer(isServer);
    else if (type === UNI_STREAM.QPACK_ENCODER) consume = (c) => this.decoder.onEncoderStream(c);
    else if (type === UNI_STREAM.QPACK_DECODER) consume = (c) => this.encoder.onDecoderStream(c);
    if (rest.length > 0) consume(rest);
    for (;;) {
      const next = await chunks.next();
      if (next.done === true) break;
      consume(next.value);
    }
    if (isCritical) {
      throw http3Error(
        HTTP3_ERROR.H3_CLOSED_CRITICAL_STREAM,
        `the peer closed its stream of type ${type}`,
      );
    }
  }

  /** The peer's control stream: SETTINGS first, then GOAWAY, MAX_PUSH_ID, CANCEL_PUSH. */
  #controlConsumer(isServer: boolean): (chunk: Uint8Array) => void {
    const reader = new FrameReader(this.#maxFieldSectionSize);
    return (chunk) => {
      for (const event of reader.push(chunk)) {
        const type = event.kind === 'data' ? FRAME.DATA : event.type;
        if (this.settings === undefined && type !== FRAME.SETTINGS) {
          throw http3Error(
            HTTP3_ERROR.H3_MISSING_SETTINGS,
            'the control stream does not start with SETTINGS',
          );
        }
        if (event.kind === 'data') {
          throw http3Error(HTTP3_ERROR.H3_FRAME_UNEXPECTED, 'DATA on the control stream');
        }
        const isAllowed =
          event.type === FRAME.SETTINGS ||
          event.type === FRAME.GOAWAY ||
          (event.type === FRAME.MAX_PUSH_ID && isServer) ||
          event.type === FRAME.CANCEL_PUSH;
        if (!isAllowed) {
          throw http3Error(
            HTTP3_ERROR.H3_FRAME_UNEXPECTED,
            `frame 0x${event.type.toString(16)} on the control stream`,
          );
        }
        if (event.type === FRAME.SETTINGS) {
          if (this.settings !== undefined) {
            throw http3Error(HTTP3_ERROR.H3_FRAME_UNEXPECTED, 'a second SETTINGS frame');
          }
          this.settings = parseSettings(event.payload);
          this.encoder.configure(
            this.settings.get(SETTING.QPACK_MAX_TABLE_CAPACITY) ?? 0,
            this.settings.get(SETTING.QPACK_BLOCKED_STREAMS) ?? 0,
          );
          this.encoder.maxFieldSectionSize =
            this.settings.get(SETTING.MAX_FIELD_SECTION_SIZE) ?? Number.POSITIVE_INFINITY;
          this.#settled();
        } else {
          const value = parseSingleVarint(event.payload, 'control');
          if (event.type === FRAME.GOAWAY) {
            if (this.goawayId !== undefined && value > this.goawayId) {
              throw http3Error(HTTP3_ERROR.H3_ID_ERROR, `GOAWAY raised its id to ${value}`);
            }
            if (!isServer && value % 4 !== 0) {
              throw http3Error(HTTP3_ERROR.H3_ID_ERROR, `GOAWAY names stream ${value}`);
            }
            this.goawayId = value;
            this.onGoaway?.(value);
          }
        }
      }
    };
  }
}

/** One of our QPACK streams: bytes produced before it is opened wait in a backlog. */
class QpackOutput {
  #backlog: Uint8Array[] = [];
  #stream: QuicStream | undefined;

  open(stream: QuicStream, type: number): void {
    this.#stream = stream;
    void write(stream, Buffer.concat([Uint8Array.of(type), ...this.#backlog]));
    this.#backlog = [];
  }

  write(bytes: Uint8Array): void {
    if (this.#stream === undefined) this.#backlog.push(bytes);
    else void write(this.#stream, bytes);
  }
}

/** Writes without waiting; a failed write means the stream or connection is gone. */
function write(stream: QuicStream, bytes: Uint8Array): Promise<void> {
  return stream.write(bytes).catch(() => {});
}

/** True for errors that only say a stream or the connection ended. */
export function isStreamEnd(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'RWS_H3_STREAM_RESET' ||
    code === 'RWS_H3_PEER_CLOSED' ||
    code === 'RWS_H3_IDLE_TIMEOUT'
  );
}
