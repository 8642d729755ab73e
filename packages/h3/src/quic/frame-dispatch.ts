import { peerClosedError, type QuicError, TRANSPORT_ERROR, transportError } from '../errors.js';
import type { ConnectionIds } from './connection-ids.js';
import type { AckFrame, Frame } from './frames.js';
import type { PacketSpace } from './packet-space.js';
import type { PeerPath } from './peer-path.js';
import type { StreamSet } from './stream-set.js';

/**
 * What the frame handlers reach inside a connection: its parts, and the few steps that change
 * connection-wide state (ACK processing, TLS progress, handshake confirmation, ending).
 */
export interface FrameHost {
  readonly role: 'client' | 'server';
  readonly streams: StreamSet;
  /** The control frame queue of the frame scheduler. */
  readonly control: Frame[];
  readonly path: PeerPath;
  readonly ids: ConnectionIds;
  /** The DCID of the short-header packet being processed (RETIRE_CONNECTION_ID may not name it). */
  readonly packetDcid: Uint8Array | undefined;
  /** The peer's `active_connection_id_limit` (2 until its transport parameters arrive). */
  readonly peerCidLimit: number;
  onAck(space: PacketSpace, ack: AckFrame): void;
  /** Hands in-order CRYPTO bytes of `space` to TLS. */
  onCryptoData(space: PacketSpace, chunk: Uint8Array): void;
  afterTlsProgress(): void;
  confirmHandshake(): void;
  onNewToken(token: Uint8Array): void;
  /** The set of the peer's connection IDs changed; the active one may be another now. */
  onPeerCidsChanged(): void;
  /** Ends the connection without sending anything; `isClean` when the peer closed without error. */
  finish(error: QuicError, isClean: boolean): void;
}

/**
 * Applies one frame of an authenticated packet in `space`. Frames that break the protocol
 * throw a transport error, which closes the connection.
 * @see RFC 9000 §19
 */
export function dispatchFrame(host: FrameHost, space: PacketSpace, frame: Frame): void {
  switch (frame.type) {
    case 'ack':
      host.onAck(space, frame);
      return;
    case 'crypto': {
      space.cryptoRecv.insert(frame.offset, frame.data);
      for (
        let chunk = space.cryptoRecv.read();
        chunk !== undefined;
        chunk = space.cryptoRecv.read()
      ) {
        host.onCryptoData(space, chunk);
      }
      host.afterTlsProgress();
      return;
    }
    case 'stream': {
      const stream = host.streams.forFrame(frame.streamId, true);
      if (stream === undefined) return;
      host.streams.countReceived(stream.onData(frame));
      return;
    }
    case 'reset_stream': {
      const stream = host.streams.forFrame(frame.streamId, true);
      if (stream !== undefined)
        host.streams.countReceived(stream.onReset(frame.errorCode, frame.finalSize));
      return;
    }
    case 'stop_sending':
      host.streams.forFrame(frame.streamId, false)?.onStopSending(frame.errorCode);
      return;
    case 'max_data':
      host.streams.onMaxData(frame.maximum);
      return;
    case 'max_stream_data':
      host.streams.forFrame(frame.streamId, false)?.onMaxStreamData(frame.maximum);
      return;
    case 'max_streams':
      host.streams.onMaxStreams(frame.bidi, frame.maximum);
      return;
    case 'path_challenge':
      host.control.push({ type: 'path_response', data: frame.data.slice() });
      return;
    case 'path_response':
      host.path.onResponse(frame.data);
      return;
    case 'handshake_done':
      if (host.role === 'server') {
        throw transportError(
          TRANSPORT_ERROR.PROTOCOL_VIOLATION,
          'a client sent HANDSHAKE_DONE',
          0x1e,
        );
      }
      host.confirmHandshake();
      return;
    case 'new_token':
      if (host.role === 'server')
        throw transportError(TRANSPORT_ERROR.PROTOCOL_VIOLATION, 'a client sent NEW_TOKEN', 0x07);
      host.onNewToken(frame.token.slice());
      return;
    case 'new_connection_id':
      host.control.push(...host.ids.onNewConnectionId(frame));
      host.onPeerCidsChanged();
      return;
    case 'retire_connection_id':
      host.control.push(...host.ids.onRetire(frame.sequence, host.packetDcid, host.peerCidLimit));
      return;
    case 'connection_close':
      // Draining: send nothing more (RFC 9000 §10.2.2).
      host.finish(peerClosedError(frame), frame.errorCode === 0);
      return;
    default:
      // PADDING, PING, *_BLOCKED, DATAGRAM-less extensions: nothing to do.
      return;
  }
}
