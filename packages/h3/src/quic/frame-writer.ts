import { ByteWriter } from './byte-writer.js';
import { FRAME_TYPE, type Frame } from './frames.js';
import { varintLength } from './varint.js';

const encoder = new TextEncoder();

/**
 * Appends `frame` to `w` in its wire form. STREAM frames always carry an explicit length and
 * (when non-zero) an offset, so more frames can follow them in the packet.
 * @see RFC 9000 §19
 */
export function writeFrame(w: ByteWriter, frame: Frame): void {
  switch (frame.type) {
    case 'padding':
      w.claim(frame.length).fill(0);
      return;
    case 'ping':
      w.u8(FRAME_TYPE.PING);
      return;
    case 'ack': {
      w.u8(frame.ecn ? FRAME_TYPE.ACK_ECN : FRAME_TYPE.ACK);
      const first = frame.ranges[0]!;
      w.varint(first.largest)
        .varint(frame.delay)
        .varint(frame.ranges.length - 1);
      w.varint(first.largest - first.smallest);
      let smallest = first.smallest;
      for (let i = 1; i < frame.ranges.length; i++) {
        const range = frame.ranges[i]!;
        w.varint(smallest - range.largest - 2).varint(range.largest - range.smallest);
        smallest = range.smallest;
      }
      if (frame.ecn) w.varint(frame.ecn.ect0).varint(frame.ecn.ect1).varint(frame.ecn.ce);
      return;
    }
    case 'reset_stream':
      w.u8(FRAME_TYPE.RESET_STREAM)
        .varint(frame.streamId)
        .varint(frame.errorCode)
        .varint(frame.finalSize);
      return;
    case 'stop_sending':
      w.u8(FRAME_TYPE.STOP_SENDING).varint(frame.streamId).varint(frame.errorCode);
      return;
    case 'crypto':
      w.u8(FRAME_TYPE.CRYPTO).varint(frame.offset).varint(frame.data.length).bytes(frame.data);
      return;
    case 'new_token':
      w.u8(FRAME_TYPE.NEW_TOKEN).varint(frame.token.length).bytes(frame.token);
      return;
    case 'stream': {
      const hasOffset = frame.offset > 0;
      w.u8(FRAME_TYPE.STREAM | (hasOffset ? 0x04 : 0) | 0x02 | (frame.fin ? 0x01 : 0));
      w.varint(frame.streamId);
      if (hasOffset) w.varint(frame.offset);
      w.varint(frame.data.length).bytes(frame.data);
      return;
    }
    case 'max_data':
      w.u8(FRAME_TYPE.MAX_DATA).varint(frame.maximum);
      return;
    case 'max_stream_data':
      w.u8(FRAME_TYPE.MAX_STREAM_DATA).varint(frame.streamId).varint(frame.maximum);
      return;
    case 'max_streams':
      w.u8(frame.bidi ? FRAME_TYPE.MAX_STREAMS_BIDI : FRAME_TYPE.MAX_STREAMS_UNI).varint(
        frame.maximum,
      );
      return;
    case 'data_blocked':
      w.u8(FRAME_TYPE.DATA_BLOCKED).varint(frame.limit);
      return;
    case 'stream_data_blocked':
      w.u8(FRAME_TYPE.STREAM_DATA_BLOCKED).varint(frame.streamId).varint(frame.limit);
      return;
    case 'streams_blocked':
      w.u8(frame.bidi ? FRAME_TYPE.STREAMS_BLOCKED_BIDI : FRAME_TYPE.STREAMS_BLOCKED_UNI).varint(
        frame.limit,
      );
      return;
    case 'new_connection_id':
      w.u8(FRAME_TYPE.NEW_CONNECTION_ID).varint(frame.sequence).varint(frame.retirePriorTo);
      w.u8(frame.connectionId.length).bytes(frame.connectionId).bytes(frame.resetToken);
      return;
    case 'retire_connection_id':
      w.u8(FRAME_TYPE.RETIRE_CONNECTION_ID).varint(frame.sequence);
      return;
    case 'path_challenge':
      w.u8(FRAME_TYPE.PATH_CHALLENGE).bytes(frame.data);
      return;
    case 'path_response':
      w.u8(FRAME_TYPE.PATH_RESPONSE).bytes(frame.data);
      return;
    case 'connection_close': {
      const reason = encoder.encode(frame.reason);
      w.u8(frame.isApplication ? FRAME_TYPE.CONNECTION_CLOSE_APP : FRAME_TYPE.CONNECTION_CLOSE);
      w.varint(frame.errorCode);
      if (!frame.isApplication) w.varint(frame.frameType);
      w.varint(reason.length).bytes(reason);
      return;
    }
    case 'handshake_done':
      w.u8(FRAME_TYPE.HANDSHAKE_DONE);
      return;
  }
}

/**
 * Encoded size of a frame. STREAM and CRYPTO frames (one or more per packet on the send path)
 * are sized arithmetically; the rest, small and rare, by writing them once.
 */
export function frameSize(frame: Frame): number {
  switch (frame.type) {
    case 'padding':
      return frame.length;
    case 'stream':
      return (
        1 +
        varintLength(frame.streamId) +
        (frame.offset > 0 ? varintLength(frame.offset) : 0) +
        varintLength(frame.data.length) +
        frame.data.length
      );
    case 'crypto':
      return 1 + varintLength(frame.offset) + varintLength(frame.data.length) + frame.data.length;
    default: {
      const w = new ByteWriter(64);
      writeFrame(w, frame);
      return w.length;
    }
  }
}
