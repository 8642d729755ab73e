import type { Tunnel } from '@rws/core';
import { HTTP3_ERROR } from '../errors.js';
import type { QuicStream } from '../quic/quic-stream.js';
import type { FrameEvent } from './frame-reader.js';
import { encodeFrameHeader, FRAME } from './frames.js';

/** A request stream turned tunnel, and when both of its directions are over. */
export interface StreamTunnel {
  readonly tunnel: Tunnel;
  /** Resolves once reading ended (FIN, reset, cancel) and writing ended (FIN, reset, error). */
  readonly finished: Promise<void>;
}

/**
 * The two directions of a request stream after a 2xx to CONNECT or extended CONNECT, as a
 * core `Tunnel` (RFC 9114 §4.4, RFC 9220 §3): the readable side is the payload of the DATA
 * frames that follow (a HEADERS frame there would be trailers, which a tunnel has none of, so
 * it is skipped), writes go out as DATA frames, closing the writable sends FIN, and
 * cancelling or aborting abandons the stream with H3_REQUEST_CANCELLED.
 */
export function streamTunnel(
  stream: QuicStream,
  events: AsyncGenerator<FrameEvent, void, undefined>,
): StreamTunnel {
  let isReadDone = false;
  let isWriteDone = false;
  let onFinished = (): void => {};
  const finished = new Promise<void>((resolve) => {
    onFinished = resolve;
  });
  const readEnded = (): void => {
    isReadDone = true;
    if (isWriteDone) onFinished();
  };
  const writeEnded = (): void => {
    isWriteDone = true;
    if (isReadDone) onFinished();
  };
  const cancel = (): void => {
    stream.stopSending(HTTP3_ERROR.H3_REQUEST_CANCELLED);
    stream.reset(HTTP3_ERROR.H3_REQUEST_CANCELLED);
    readEnded();
    writeEnded();
    void events.return(undefined).catch(() => {});
  };
  const readable = new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        try {
          for (;;) {
            const next = await events.next();
            if (next.done === true) {
              controller.close();
              readEnded();
              return;
            }
            const event = next.value;
            if (event.kind === 'data' && event.chunk.length > 0) {
              controller.enqueue(event.chunk);
              return;
            }
          }
        } catch (error) {
          // A reset by the peer ends both directions: nothing we write would be read.
          controller.error(error);
          readEnded();
          writeEnded();
        }
      },
      cancel,
    },
    { highWaterMark: 0 },
  );
  const writable = new WritableStream<Uint8Array>({
    write: async (chunk) => {
      try {
        // Header and payload in one write: a DATA frame is never split across two waits.
        await stream.write(Buffer.concat([encodeFrameHeader(FRAME.DATA, chunk.length), chunk]));
      } catch (error) {
        writeEnded();
        throw error;
      }
    },
    close: () => {
      stream.end();
      writeEnded();
    },
    abort: cancel,
  });
  return { tunnel: { readable, writable }, finished };
}
