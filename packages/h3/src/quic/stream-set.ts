import { type QuicError, TRANSPORT_ERROR, transportError } from '../errors.js';
import type { Frame, StreamFrame } from './frames.js';
import { QuicStream, type StreamOwner } from './quic-stream.js';
import { ReceiveWindow } from './receive-window.js';
import type { TransportParameters } from './transport-parameters.js';

/** What the stream set needs from its connection. */
export interface StreamSetHooks {
  scheduleFlush(): void;
  /** Queues a control frame (MAX_DATA, MAX_STREAM_DATA) for the next 1-RTT packet. */
  queueControl(frame: Frame): void;
  /** The connection's smoothed RTT (receive windows grow when consumed within a few). */
  readonly smoothedRttMs: number;
}

/** How large receive windows may tune themselves (bytes; never below the initial ones). */
interface WindowLimits {
  readonly maxStreamWindow?: number;
  readonly maxConnectionWindow?: number;
}

/** How far receive windows may tune themselves by default (RFC 9000 §4.2; quic-go's values). */
const DEFAULT_MAX_STREAM_WINDOW = 6 * 1024 * 1024;
const DEFAULT_MAX_CONNECTION_WINDOW = 15 * 1024 * 1024;

/**
 * A connection's streams: opening ours within the peer's MAX_STREAMS, creating the peer's on
 * first use within ours, and connection-level flow control in both directions.
 * @see RFC 9000 §2.1, §4.1, §4.6
 */
export class StreamSet implements StreamOwner {
  readonly #role: 'client' | 'server';
  readonly #local: TransportParameters;
  readonly #hooks: StreamSetHooks;
  readonly #streams = new Map<number, QuicStream>();
  #peer: TransportParameters | undefined;
  #nextLocalBidi: number;
  #nextLocalUni: number;
  #peerMaxStreamsBidi = 0;
  #peerMaxStreamsUni = 0;
  /** Next index of a peer-initiated stream, per type. */
  readonly #nextPeer = { bidi: 0, uni: 0 };
  /** Peer streams retired, per type; each returns one unit of MAX_STREAMS credit. */
  readonly #peerClosed = { bidi: 0, uni: 0 };
  /** The MAX_STREAMS limits the peer knows, per type. */
  readonly #advertised: { bidi: number; uni: number };
  #sendMaxData = 0;
  #sentData = 0;
  readonly #window: ReceiveWindow;
  readonly maxStreamWindow: number;
  #recvHighest = 0;
  #consumed = 0;
  /**
   * Set whenever a stream asks for a flush, which it does right after a MAX_STREAM_DATA update
   * becomes due: `queueWindowUpdates` runs once per packet sent and skips the walk over every
   * stream while this is false.
   */
  #mayHaveWindowUpdates = false;
  /** Called for each stream the peer opens. */
  onStream: ((stream: QuicStream) => void) | undefined;

  constructor(
    role: 'client' | 'server',
    local: TransportParameters,
    limits: WindowLimits,
    hooks: StreamSetHooks,
  ) {
    this.#role = role;
    this.#local = local;
    this.#hooks = hooks;
    this.maxStreamWindow = limits.maxStreamWindow ?? DEFAULT_MAX_STREAM_WINDOW;
    this.#window = new ReceiveWindow(
      local.initialMaxData,
      limits.maxConnectionWindow ?? DEFAULT_MAX_CONNECTION_WINDOW,
      performance.now(),
    );
    this.#nextLocalBidi = role === 'client' ? 0 : 1;
    this.#nextLocalUni = role === 'client' ? 2 : 3;
    this.#advertised = { bidi: local.initialMaxStreamsBidi, uni: local.initialMaxStreamsUni };
  }

  /** The peer's transport parameters arrived: its limits apply from now on. */
  setPeer(peer: TransportParameters): void {
    this.#peer = peer;
    this.#sendMaxData = peer.initialMaxData;
    this.#peerMaxStreamsBidi = peer.initialMaxStreamsBidi;
    this.#peerMaxStreamsUni = peer.initialMaxStreamsUni;
  }

  /**
   * Opens a bidirectional stream, or a unidirectional (send-only) one; throws
   * STREAM_LIMIT_ERROR past the peer's limit for that type.
   */
  open(isUnidirectional = false): QuicStream {
    const next = isUnidirectional ? this.#nextLocalUni : this.#nextLocalBidi;
    const limit = isUnidirectional ? this.#peerMaxStreamsUni : this.#peerMaxStreamsBidi;
    if (this.#peer === undefined || next >> 2 >= limit) {
      // STREAMS_BLOCKED and waiting for MAX_STREAMS are planned.
      const kind = isUnidirectional ? 'unidirectional' : 'bidirectional';
      throw transportError(
        TRANSPORT_ERROR.STREAM_LIMIT_ERROR,
        `the peer allows only ${limit} ${kind} streams`,
      );
    }
    let stream: QuicStream;
    if (isUnidirectional) {
      this.#nextLocalUni += 4;
      // Nothing is ever received on it: a receive window of 0.
      stream = new QuicStream(next, this, this.#peer.initialMaxStreamDataUni, 0);
    } else {
      this.#nextLocalBidi += 4;
      stream = new QuicStream(
        next,
        this,
        this.#peer.initialMaxStreamDataBidiRemote,
        this.#local.initialMaxStreamDataBidiLocal,
      );
    }
    this.#streams.set(next, stream);
    return stream;
  }

  /**
   * The stream a frame refers to. A peer's stream is created on first use, together with any
   * lower-numbered ones of its type (RFC 9000 §3.2); a retired one yields undefined, as does a
   * finished stream of ours.
   */
  forFrame(id: number, isReceiving: boolean): QuicStream | undefined {
    const existing = this.#streams.get(id);
    if (existing !== undefined) return existing;
    const isLocal = (id & 1) === (this.#role === 'client' ? 0 : 1);
    const isUni = (id & 2) !== 0;
    if (isLocal) {
      if (isUni && isReceiving) {
        throw transportError(
          TRANSPORT_ERROR.STREAM_STATE_ERROR,
          `stream ${id} is send-only for us`,
        );
      }
      // One of ours below the next id of its type finished and was retired.
      if (id >= (isUni ? this.#nextLocalUni : this.#nextLocalBidi)) {
        throw transportError(TRANSPORT_ERROR.STREAM_STATE_ERROR, `stream ${id} was never opened`);
      }
      return undefined;
    }
    if (isUni && !isReceiving) {
      throw transportError(
        TRANSPORT_ERROR.STREAM_STATE_ERROR,
        `stream ${id} is receive-only for us`,
      );
    }
    const kind = isUni ? 'uni' : 'bidi';
    const index = id >> 2;
    if (index >= this.#advertised[kind]) {
      throw transportError(
        TRANSPORT_ERROR.STREAM_LIMIT_ERROR,
        `stream ${id} exceeds our limit of ${this.#advertised[kind]}`,
      );
    }
    if (index < this.#nextPeer[kind]) return undefined;
    const sendLimit = isUni ? 0 : (this.#peer?.initialMaxStreamDataBidiLocal ?? 0);
    const window = isUni
      ? this.#local.initialMaxStreamDataUni
      : this.#local.initialMaxStreamDataBidiRemote;
    let stream: QuicStream | undefined;
    for (let i = this.#nextPeer[kind]; i <= index; i++) {
      stream = new QuicStream((i << 2) | (id & 3), this, sendLimit, window);
      this.#streams.set(stream.id, stream);
      this.onStream?.(stream);
    }
    this.#nextPeer[kind] = index + 1;
    return stream;
  }

  /** Retires a stream that finished both ways; peers get MAX_STREAMS credit for theirs. */
  onProgress(stream: QuicStream): void {
    const id = stream.id;
    const isLocal = (id & 1) === (this.#role === 'client' ? 0 : 1);
    const isUni = (id & 2) !== 0;
    if (!stream.isDone(!isUni || isLocal, !isUni || !isLocal) || this.#streams.get(id) !== stream)
      return;
    this.#streams.delete(id);
    if (isLocal) return;
    const kind = isUni ? 'uni' : 'bidi';
    this.#peerClosed[kind]++;
    const initial = isUni ? this.#local.initialMaxStreamsUni : this.#local.initialMaxStreamsBidi;
    const limit = initial + this.#peerClosed[kind];
    // Raise the limit in batches of half the initial credit, not one frame per stream.
    if ((limit - this.#advertised[kind]) * 2 >= initial) {
      this.#advertised[kind] = limit;
      this.#hooks.queueControl({ type: 'max_streams', bidi: !isUni, maximum: limit });
      this.#hooks.scheduleFlush();
    }
  }

  /** Streams currently tracked (open, or finishing). */
  get size(): number {
    return this.#streams.size;
  }

  /** Counts newly received stream bytes against our MAX_DATA. */
  countReceived(bytes: number): void {
    this.#recvHighest += bytes;
    if (this.#recvHighest > this.#window.limit) {
      throw transportError(
        TRANSPORT_ERROR.FLOW_CONTROL_ERROR,
        `the peer sent more than MAX_DATA ${this.#window.limit}`,
      );
    }
  }

  /** A reader consumed bytes: extend the connection window once half of it is used. */
  onConsumed(bytes: number): void {
    this.#consumed += bytes;
    const limit = this.#window.onConsumed(this.#consumed, performance.now(), this.smoothedRttMs);
    if (limit === undefined) return;
    this.#hooks.queueControl({ type: 'max_data', maximum: limit });
    this.#hooks.scheduleFlush();
  }

  get smoothedRttMs(): number {
    return this.#hooks.smoothedRttMs;
  }

  /** A stream window grew: the connection window stays 1.5 times the largest (as quic-go). */
  onStreamWindow(size: number): void {
    this.#window.ensureAtLeast(1.5 * size);
  }

  /** The connection's current receive window in bytes. */
  get receiveWindow(): number {
    return this.#window.size;
  }

  scheduleFlush(): void {
    this.#mayHaveWindowUpdates = true;
    this.#hooks.scheduleFlush();
  }

  queueControl(frame: Frame): void {
    this.#hooks.queueControl(frame);
    this.#hooks.scheduleFlush();
  }

  onMaxData(maximum: number): void {
    this.#sendMaxData = Math.max(this.#sendMaxData, maximum);
  }

  onMaxStreams(bidi: boolean, maximum: number): void {
    if (bidi) this.#peerMaxStreamsBidi = Math.max(this.#peerMaxStreamsBidi, maximum);
    else this.#peerMaxStreamsUni = Math.max(this.#peerMaxStreamsUni, maximum);
  }

  /** An acknowledged STREAM frame may finish its stream. */
  onAcked(frame: StreamFrame): void {
    this.#streams.get(frame.streamId)?.onAcked();
  }

  /** A lost STREAM frame goes back to its stream. */
  onLost(frame: StreamFrame): void {
    this.#streams.get(frame.streamId)?.onLost(frame);
  }

  /** Moves pending MAX_STREAM_DATA updates into the control queue. */
  queueWindowUpdates(): void {
    if (!this.#mayHaveWindowUpdates) return;
    this.#mayHaveWindowUpdates = false;
    for (const stream of this.#streams.values()) {
      const maximum = stream.takeMaxStreamData();
      if (maximum !== undefined)
        this.#hooks.queueControl({ type: 'max_stream_data', streamId: stream.id, maximum });
    }
  }

  get hasDataToSend(): boolean {
    for (const stream of this.#streams.values()) if (stream.hasDataToSend) return true;
    return false;
  }

  /** The next STREAM frame of at most `maxData` data bytes, within connection credit. */
  takeFrame(maxData: number): StreamFrame | undefined {
    // Every stream returns nothing for no room; the scheduler asks once more after a full packet.
    if (maxData <= 0) return undefined;
    for (const stream of this.#streams.values()) {
      if (!stream.hasDataToSend) continue;
      const before = stream.sendOffset;
      const frame = stream.takeFrame(maxData, this.#sendMaxData - this.#sentData);
      if (frame === undefined) continue;
      this.#sentData += stream.sendOffset - before;
      return frame;
    }
    return undefined;
  }

  closeAll(error: QuicError): void {
    for (const stream of this.#streams.values()) stream.onConnectionClosed(error);
  }
}
