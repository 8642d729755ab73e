/**
 * The client side of an extended CONNECT stream (RFC 8441 §4) as a core `Tunnel`: DATA frames
 * the server sends are the readable side (flow control reopened as they are read), writes go
 * out as DATA within the send windows, closing the writable sends END_STREAM and cancelling
 * or aborting resets the stream (RST_STREAM CANCEL).
 */
import { RwsError, type Tunnel } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { H2_ERROR } from '../frames.js';
import { CLOSED, type H2Stream, HALF_CLOSED_LOCAL, streamReset } from './h2-stream.js';

/** What the tunnel needs from its session. */
export interface TunnelSession {
  sendData(s: H2Stream, data: Uint8Array): Promise<void>;
  endStream(s: H2Stream): void;
  cancelStream(s: H2Stream, err: unknown): void;
}

export function clientTunnel(session: TunnelSession, s: H2Stream): Tunnel {
  const cancelled = (): RwsError =>
    new RwsError(ERROR_CODES.STREAM_RESET, `stream ${s.id}: the tunnel was cancelled`);
  const readable = new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        const chunk = await s.read();
        if (chunk === null) controller.close();
        else controller.enqueue(chunk);
      },
      cancel: () => session.cancelStream(s, cancelled()),
    },
    { highWaterMark: 0 },
  );
  const writable = new WritableStream<Uint8Array>({
    write: async (chunk) => {
      if (s.state === CLOSED || s.state === HALF_CLOSED_LOCAL) {
        throw streamReset(s.id, H2_ERROR.STREAM_CLOSED);
      }
      await session.sendData(s, chunk);
    },
    close: () => session.endStream(s),
    abort: () => session.cancelStream(s, cancelled()),
  });
  return { readable, writable };
}
