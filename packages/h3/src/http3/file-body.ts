/**
 * A file body sent as HTTP/3 DATA frames (issue #21). Each chunk is read from the file straight
 * into a fresh, not zero-filled buffer behind room for its DATA frame header, and that buffer is
 * handed to the QUIC stream as it is: no web stream in between, no zero-fill and no copy (the
 * generic path allocated a zero-filled chunk per read and the stream copied it once more). The
 * next chunk is read while the current one waits for room in the stream (double buffering),
 * so the sender does not wait on the thread pool when the stream drains.
 */
import { open } from 'node:fs/promises';
import type { FileBodyInit } from '@rws/core';
import type { QuicStream } from '../quic/quic-stream.js';
import { varintLength, writeVarint } from '../quic/varint.js';
import { FRAME } from './frames.js';

/** Bytes per read. */
const FILE_CHUNK_BYTES = 64 * 1024;
/** Room before the data for the DATA frame header: type (1 byte) and length (at most 8). */
const HEADER_ROOM = 9;

/** Sends `file` (its byte range, to its end or the end of the file) as DATA frames. */
export async function sendFileBody(stream: QuicStream, file: FileBodyInit): Promise<void> {
  const handle = await open(file.path, 'r');
  try {
    let position = file.start ?? 0;
    const end = file.end ?? Number.POSITIVE_INFINITY; // inclusive
    let reading = readChunk(handle, position, end);
    for (;;) {
      const chunk = await reading;
      if (chunk === undefined) return;
      position += chunk.dataLength;
      reading = readChunk(handle, position, end);
      // A failed write (stream reset) leaves the read-ahead settling on its own.
      reading.catch(() => {});
      await stream.writeOwned(chunk.frame);
    }
  } finally {
    // FileHandle.close waits for a read still in flight.
    await handle.close();
  }
}

type Handle = Awaited<ReturnType<typeof open>>;

/** The next DATA frame, read from the file at `position`; undefined at the end. */
async function readChunk(
  handle: Handle,
  position: number,
  end: number,
): Promise<{ frame: Uint8Array; dataLength: number } | undefined> {
  const want = Math.min(FILE_CHUNK_BYTES, end - position + 1);
  if (want <= 0) return undefined;
  const buf = Buffer.allocUnsafeSlow(HEADER_ROOM + want);
  const { bytesRead } = await handle.read(buf, HEADER_ROOM, want, position);
  if (bytesRead === 0) return undefined;
  // The header ends where the data starts (the DATA type, 0x00, is a 1-byte varint).
  const at = HEADER_ROOM - 1 - varintLength(bytesRead);
  buf[at] = FRAME.DATA;
  writeVarint(buf, at + 1, bytesRead);
  const frame = new Uint8Array(buf.buffer, buf.byteOffset + at, HEADER_ROOM - at + bytesRead);
  return { frame, dataLength: bytesRead };
}
