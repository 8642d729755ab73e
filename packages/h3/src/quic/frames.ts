/**
 * QUIC frame types and their in-memory shape. `frame-parser.ts` reads them, `frame-writer.ts`
 * writes them.
 * @see RFC 9000 §19
 */

/** Frame type codes. STREAM spans 0x08-0x0f (OFF/LEN/FIN bits), the others as listed. */
export const FRAME_TYPE = {
  PADDING: 0x00,
  PING: 0x01,
  ACK: 0x02,
  ACK_ECN: 0x03,
  RESET_STREAM: 0x04,
  STOP_SENDING: 0x05,
  CRYPTO: 0x06,
  NEW_TOKEN: 0x07,
  STREAM: 0x08,
  MAX_DATA: 0x10,
  MAX_STREAM_DATA: 0x11,
  MAX_STREAMS_BIDI: 0x12,
  MAX_STREAMS_UNI: 0x13,
  DATA_BLOCKED: 0x14,
  STREAM_DATA_BLOCKED: 0x15,
  STREAMS_BLOCKED_BIDI: 0x16,
  STREAMS_BLOCKED_UNI: 0x17,
  NEW_CONNECTION_ID: 0x18,
  RETIRE_CONNECTION_ID: 0x19,
  PATH_CHALLENGE: 0x1a,
  PATH_RESPONSE: 0x1b,
  CONNECTION_CLOSE: 0x1c,
  CONNECTION_CLOSE_APP: 0x1d,
  HANDSHAKE_DONE: 0x1e,
} as const;

/** One acknowledged range of packet numbers, both ends inclusive. */
export interface AckRange {
  readonly smallest: number;
  readonly largest: number;
}

/** ECN counts carried by ACK_ECN. */
interface EcnCounts {
  readonly ect0: number;
  readonly ect1: number;
  readonly ce: number;
}

interface PaddingFrame {
  readonly type: 'padding';
  /** How many PADDING bytes in a row (parsed runs are merged). */
  readonly length: number;
}
interface PingFrame {
  readonly type: 'ping';
}
export interface AckFrame {
  readonly type: 'ack';
  /** Ack Delay as sent (scaled by the peer's ack_delay_exponent), not microseconds. */
  readonly delay: number;
  /** Ranges, largest first, non-overlapping and descending. */
  readonly ranges: readonly AckRange[];
  readonly ecn?: EcnCounts;
}
interface ResetStreamFrame {
  readonly type: 'reset_stream';
  readonly streamId: number;
  readonly errorCode: number;
  readonly finalSize: number;
}
interface StopSendingFrame {
  readonly type: 'stop_sending';
  readonly streamId: number;
  readonly errorCode: number;
}
export interface CryptoFrame {
  readonly type: 'crypto';
  readonly offset: number;
  readonly data: Uint8Array;
}
interface NewTokenFrame {
  readonly type: 'new_token';
  readonly token: Uint8Array;
}
export interface StreamFrame {
  readonly type: 'stream';
  readonly streamId: number;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly fin: boolean;
}
interface MaxDataFrame {
  readonly type: 'max_data';
  readonly maximum: number;
}
interface MaxStreamDataFrame {
  readonly type: 'max_stream_data';
  readonly streamId: number;
  readonly maximum: number;
}
interface MaxStreamsFrame {
  readonly type: 'max_streams';
  readonly bidi: boolean;
  readonly maximum: number;
}
interface DataBlockedFrame {
  readonly type: 'data_blocked';
  readonly limit: number;
}
interface StreamDataBlockedFrame {
  readonly type: 'stream_data_blocked';
  readonly streamId: number;
  readonly limit: number;
}
interface StreamsBlockedFrame {
  readonly type: 'streams_blocked';
  readonly bidi: boolean;
  readonly limit: number;
}
interface NewConnectionIdFrame {
  readonly type: 'new_connection_id';
  readonly sequence: number;
  readonly retirePriorTo: number;
  readonly connectionId: Uint8Array;
  readonly resetToken: Uint8Array;
}
interface RetireConnectionIdFrame {
  readonly type: 'retire_connection_id';
  readonly sequence: number;
}
interface PathChallengeFrame {
  readonly type: 'path_challenge';
  readonly data: Uint8Array;
}
interface PathResponseFrame {
  readonly type: 'path_response';
  readonly data: Uint8Array;
}
export interface ConnectionCloseFrame {
  readonly type: 'connection_close';
  /** True for 0x1d (application close), false for 0x1c (transport close). */
  readonly isApplication: boolean;
  readonly errorCode: number;
  /** Transport close only: the frame type that triggered it (0 when unknown). */
  readonly frameType: number;
  readonly reason: string;
}
interface HandshakeDoneFrame {
  readonly type: 'handshake_done';
}

/** Any QUIC version 1 frame. */
export type Frame =
  | PaddingFrame
  | PingFrame
  | AckFrame
  | ResetStreamFrame
  | StopSendingFrame
  | CryptoFrame
  | NewTokenFrame
  | StreamFrame
  | MaxDataFrame
  | MaxStreamDataFrame
  | MaxStreamsFrame
  | DataBlockedFrame
  | StreamDataBlockedFrame
  | StreamsBlockedFrame
  | NewConnectionIdFrame
  | RetireConnectionIdFrame
  | PathChallengeFrame
  | PathResponseFrame
  | ConnectionCloseFrame
  | HandshakeDoneFrame;

/** Whether a frame makes its packet ack-eliciting (everything but ACK, PADDING, CLOSE). */
export function isAckEliciting(frame: Frame): boolean {
  return frame.type !== 'ack' && frame.type !== 'padding' && frame.type !== 'connection_close';
}
