import type { Frame } from './frames.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const streamType = (bidi: boolean): string => (bidi ? 'bidirectional' : 'unidirectional');

/**
 * A frame as a qlog QuicFrame object; `ackDelayExponent` is the one of the ACK's sender (it
 * turns the ACK Delay field into milliseconds). Data is never logged, only lengths.
 * @see draft-ietf-quic-qlog-quic-events-13 §8.13
 */
export function qlogFrame(frame: Frame, ackDelayExponent: number): Record<string, unknown> {
  switch (frame.type) {
    case 'padding':
      return { frame_type: 'padding', raw: { payload_length: frame.length } };
    case 'ping':
    case 'handshake_done':
      return { frame_type: frame.type };
    case 'ack':
      return {
        frame_type: 'ack',
        ack_delay: (frame.delay * 2 ** ackDelayExponent) / 1000,
        acked_ranges: frame.ranges.map((r) =>
          r.smallest === r.largest ? [r.smallest] : [r.smallest, r.largest],
        ),
        ...(frame.ecn ?? {}),
      };
    case 'reset_stream':
      return {
        frame_type: 'reset_stream',
        stream_id: frame.streamId,
        error: 'unknown',
        error_code: frame.errorCode,
        final_size: frame.finalSize,
      };
    case 'stop_sending':
      return {
        frame_type: 'stop_sending',
        stream_id: frame.streamId,
        error: 'unknown',
        error_code: frame.errorCode,
      };
    case 'crypto':
      return { frame_type: 'crypto', offset: frame.offset, raw: { length: frame.data.length } };
    case 'new_token':
      return { frame_type: 'new_token', token: { raw: { length: frame.token.length } } };
    case 'stream':
      return {
        frame_type: 'stream',
        stream_id: frame.streamId,
        offset: frame.offset,
        fin: frame.fin,
        raw: { payload_length: frame.data.length },
      };
    case 'max_data':
      return { frame_type: 'max_data', maximum: frame.maximum };
    case 'max_stream_data':
      return { frame_type: 'max_stream_data', stream_id: frame.streamId, maximum: frame.maximum };
    case 'max_streams':
      return {
        frame_type: 'max_streams',
        stream_type: streamType(frame.bidi),
        maximum: frame.maximum,
      };
    case 'data_blocked':
      return { frame_type: 'data_blocked', limit: frame.limit };
    case 'stream_data_blocked':
      return { frame_type: 'stream_data_blocked', stream_id: frame.streamId, limit: frame.limit };
    case 'streams_blocked':
      return {
        frame_type: 'streams_blocked',
        stream_type: streamType(frame.bidi),
        limit: frame.limit,
      };
    case 'new_connection_id':
      return {
        frame_type: 'new_connection_id',
        sequence_number: frame.sequence,
        retire_prior_to: frame.retirePriorTo,
        connection_id: hex(frame.connectionId),
      };
    case 'retire_connection_id':
      return { frame_type: 'retire_connection_id', sequence_number: frame.sequence };
    case 'path_challenge':
    case 'path_response':
      return { frame_type: frame.type, data: hex(frame.data) };
    case 'connection_close':
      return {
        frame_type: 'connection_close',
        error_space: frame.isApplication ? 'application' : 'transport',
        error: 'unknown',
        error_code: frame.errorCode,
        reason: frame.reason,
        ...(frame.isApplication ? {} : { trigger_frame_type: frame.frameType }),
      };
  }
}
