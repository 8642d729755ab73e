import { TRANSPORT_ERROR, transportError } from '../errors.js';
import { ByteReader } from './byte-reader.js';
import { type AckRange, FRAME_TYPE, type Frame } from './frames.js';
import { MAX_CID_LENGTH } from './packet-header.js';

/** The packet kinds frames arrive in; each allows a different set of frames. */
export type PacketSpaceKind = 'initial' | 'handshake' | '0rtt' | '1rtt';

/** The most ACK ranges one frame may carry: bounds the memory a peer can make us spend. */
const MAX_ACK_RANGES = 256;
/** 2^60: the most streams of one kind a peer may ever open. */
const MAX_STREAMS_LIMIT = 2 ** 60;

/**
 * Parses every frame of a decrypted packet payload. Malformed frames throw a QuicError with
 * FRAME_ENCODING_ERROR; frames not allowed in the packet's kind and empty payloads throw
 * PROTOCOL_VIOLATION. Nothing else is thrown. Data in STREAM and CRYPTO frames are views into
 * `payload` (copy them before the buffer is reused).
 * @see RFC 9000 §12.4, §19
 */
export function parseFrames(payload: Uint8Array, kind: PacketSpaceKind): Frame[] {
  if (payload.length === 0)
    throw transportError(TRANSPORT_ERROR.PROTOCOL_VIOLATION, 'a packet carries no frames');
  const frames: Frame[] = [];
  let frameType = 0;
  const r = new ByteReader(payload, (message) =>
    transportError(
      TRANSPORT_ERROR.FRAME_ENCODING_ERROR,
      `frame 0x${frameType.toString(16)}: ${message}`,
      frameType,
    ),
  );
  while (r.remaining > 0) {
    frameType = r.varint('the frame type');
    if (!isAllowed(frameType, kind)) {
      throw transportError(
        TRANSPORT_ERROR.PROTOCOL_VIOLATION,
        `frame type 0x${frameType.toString(16)} is not allowed in ${kind} packets`,
        frameType,
      );
    }
    const frame = parseFrame(r, frameType);
    const last = frames.at(-1);
    // Runs of PADDING are one frame, so a full-size Initial costs one array slot, not 1000.
    if (frame.type === 'padding' && last?.type === 'padding') {
      frames[frames.length - 1] = { type: 'padding', length: last.length + 1 };
    } else {
      frames.push(frame);
    }
  }
  return frames;
}

function isAllowed(type: number, kind: PacketSpaceKind): boolean {
  if (kind === '1rtt') return true;
  if (kind === 'initial' || kind === 'handshake') {
    return (
      type === FRAME_TYPE.PADDING ||
      type === FRAME_TYPE.PING ||
      type === FRAME_TYPE.ACK ||
      type === FRAME_TYPE.ACK_ECN ||
      type === FRAME_TYPE.CRYPTO ||
      type === FRAME_TYPE.CONNECTION_CLOSE
    );
  }
  // 0-RTT: no acknowledgements, handshake data, tokens or responses (RFC 9000 §12.5).
  return (
    type !== FRAME_TYPE.ACK &&
    type !== FRAME_TYPE.ACK_ECN &&
    type !== FRAME_TYPE.CRYPTO &&
    type !== FRAME_TYPE.NEW_TOKEN &&
    type !== FRAME_TYPE.HANDSHAKE_DONE &&
    type !== FRAME_TYPE.PATH_RESPONSE &&
    type !== FRAME_TYPE.RETIRE_CONNECTION_ID
  );
}

function parseFrame(r: ByteReader, type: number): Frame {
  if (type >= FRAME_TYPE.STREAM && type <= 0x0f) return parseStream(r, type);
  switch (type) {
    case FRAME_TYPE.PADDING:
      return { type: 'padding', length: 1 };
    case FRAME_TYPE.PING:
      return { type: 'ping' };
    case FRAME_TYPE.ACK:
    case FRAME_TYPE.ACK_ECN:
      return parseAck(r, type === FRAME_TYPE.ACK_ECN);
    case FRAME_TYPE.RESET_STREAM:
      return {
        type: 'reset_stream',
        streamId: r.varint('the stream id'),
        errorCode: r.varint('the error code'),
        finalSize: r.varint('the final size'),
      };
    case FRAME_TYPE.STOP_SENDING:
      return {
        type: 'stop_sending',
        streamId: r.varint('the stream id'),
        errorCode: r.varint('the error code'),
      };
    case FRAME_TYPE.CRYPTO: {
      const offset = r.varint('the offset');
      const length = r.varint('the length');
      if (offset + length >= 2 ** 62) throw r.fail('offset + length exceeds 2^62-1');
      return { type: 'crypto', offset, data: r.bytes(length, 'the crypto data') };
    }
    case FRAME_TYPE.NEW_TOKEN: {
      const length = r.varint('the token length');
      if (length === 0) throw r.fail('the token is empty');
      return { type: 'new_token', token: r.bytes(length, 'the token') };
    }
    case FRAME_TYPE.MAX_DATA:
      return { type: 'max_data', maximum: r.varint('the maximum') };
    case FRAME_TYPE.MAX_STREAM_DATA:
      return {
        type: 'max_stream_data',
        streamId: r.varint('the stream id'),
        maximum: r.varint('the maximum'),
      };
    case FRAME_TYPE.MAX_STREAMS_BIDI:
    case FRAME_TYPE.MAX_STREAMS_UNI: {
      const maximum = r.varint('the maximum');
      if (maximum > MAX_STREAMS_LIMIT) throw r.fail(`maximum streams ${maximum} exceeds 2^60`);
      return { type: 'max_streams', bidi: type === FRAME_TYPE.MAX_STREAMS_BIDI, maximum };
    }
    case FRAME_TYPE.DATA_BLOCKED:
      return { type: 'data_blocked', limit: r.varint('the limit') };
    case FRAME_TYPE.STREAM_DATA_BLOCKED:
      return {
        type: 'stream_data_blocked',
        streamId: r.varint('the stream id'),
        limit: r.varint('the limit'),
      };
    case FRAME_TYPE.STREAMS_BLOCKED_BIDI:
    case FRAME_TYPE.STREAMS_BLOCKED_UNI: {
      const limit = r.varint('the limit');
      if (limit > MAX_STREAMS_LIMIT) throw r.fail(`stream limit ${limit} exceeds 2^60`);
      return { type: 'streams_blocked', bidi: type === FRAME_TYPE.STREAMS_BLOCKED_BIDI, limit };
    }
    case FRAME_TYPE.NEW_CONNECTION_ID: {
      const sequence = r.varint('the sequence number');
      const retirePriorTo = r.varint('retire prior to');
      if (retirePriorTo > sequence)
        throw r.fail(`retire prior to ${retirePriorTo} exceeds the sequence number ${sequence}`);
      const length = r.u8('the connection id length');
      if (length < 1 || length > MAX_CID_LENGTH)
        throw r.fail(`connection id length ${length} is outside 1-20`);
      return {
        type: 'new_connection_id',
        sequence,
        retirePriorTo,
        connectionId: r.bytes(length, 'the connection id'),
        resetToken: r.bytes(16, 'the stateless reset token'),
      };
    }
    case FRAME_TYPE.RETIRE_CONNECTION_ID:
      return { type: 'retire_connection_id', sequence: r.varint('the sequence number') };
    case FRAME_TYPE.PATH_CHALLENGE:
      return { type: 'path_challenge', data: r.bytes(8, 'the challenge data') };
    case FRAME_TYPE.PATH_RESPONSE:
      return { type: 'path_response', data: r.bytes(8, 'the response data') };
    case FRAME_TYPE.CONNECTION_CLOSE:
    case FRAME_TYPE.CONNECTION_CLOSE_APP: {
      const isApplication = type === FRAME_TYPE.CONNECTION_CLOSE_APP;
      const errorCode = r.varint('the error code');
      const frameType = isApplication ? 0 : r.varint('the frame type');
      const length = r.varint('the reason length');
      const reason = Buffer.from(r.bytes(length, 'the reason phrase')).toString('utf8');
      return { type: 'connection_close', isApplication, errorCode, frameType, reason };
    }
    case FRAME_TYPE.HANDSHAKE_DONE:
      return { type: 'handshake_done' };
    default:
      throw r.fail('unknown frame type');
  }
}

function parseStream(r: ByteReader, type: number): Frame {
  const streamId = r.varint('the stream id');
  const offset = type & 0x04 ? r.varint('the offset') : 0;
  const length = type & 0x02 ? r.varint('the length') : r.remaining;
  if (offset + length >= 2 ** 62) throw r.fail('offset + length exceeds 2^62-1');
  return {
    type: 'stream',
    streamId,
    offset,
    data: r.bytes(length, 'the stream data'),
    fin: (type & 0x01) !== 0,
  };
}

function parseAck(r: ByteReader, hasEcn: boolean): Frame {
  const largest = r.varint('the largest acknowledged');
  const delay = r.varint('the ack delay');
  const count = r.varint('the range count');
  if (count > MAX_ACK_RANGES)
    throw r.fail(`${count} ACK ranges exceed the limit of ${MAX_ACK_RANGES}`);
  const first = r.varint('the first range');
  let smallest = largest - first;
  if (smallest < 0) throw r.fail(`first range ${first} reaches below packet number 0`);
  const ranges: AckRange[] = [{ smallest, largest }];
  for (let i = 0; i < count; i++) {
    const gap = r.varint('a gap');
    const length = r.varint('a range length');
    // The next range ends two below the previous smallest, minus the gap (RFC 9000 §19.3.1).
    const top = smallest - gap - 2;
    smallest = top - length;
    if (top < 0 || smallest < 0) throw r.fail('an ACK range reaches below packet number 0');
    ranges.push({ smallest, largest: top });
  }
  if (!hasEcn) return { type: 'ack', delay, ranges };
  const ecn = { ect0: r.varint('ECT0'), ect1: r.varint('ECT1'), ce: r.varint('ECN-CE') };
  return { type: 'ack', delay, ranges, ecn };
}
