import { HTTP3_ERROR, http3Error } from '../errors.js';
import type { QuicStream } from '../quic/quic-stream.js';
import type { FrameEvent, FrameReader } from './frame-reader.js';
import { FRAME } from './frames.js';

/**
 * The frames of a request stream (either direction), with anything but DATA and HEADERS
 * refused (RFC 9114 §4.1), and a stream that ends inside a frame an H3_FRAME_ERROR.
 */
export async function* streamEvents(
  stream: QuicStream,
  reader: FrameReader,
): AsyncGenerator<FrameEvent, void, undefined> {
  for await (const chunk of stream) {
    for (const event of reader.push(chunk)) {
      if (event.kind === 'frame' && event.type !== FRAME.HEADERS) {
        throw http3Error(
          HTTP3_ERROR.H3_FRAME_UNEXPECTED,
          `frame 0x${event.type.toString(16)} on a request stream`,
        );
      }
      yield event;
    }
  }
  if (!reader.isAtBoundary)
    throw http3Error(HTTP3_ERROR.H3_FRAME_ERROR, 'a request stream ends inside a frame');
}
