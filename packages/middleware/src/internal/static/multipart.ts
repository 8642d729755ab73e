/**
 * `multipart/byteranges` bodies (RFC 9110 §14.6), streamed from the file part by part.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ByteRange } from './range.js';

/** A prepared multipart/byteranges body: its boundary, exact length and a lazy stream. */
export interface MultipartBody {
  readonly boundary: string;
  readonly length: number;
  readonly body: AsyncIterable<Uint8Array>;
}

const encoder = new TextEncoder();

/** Builds the body; no file is opened until the stream is read. */
export function createMultipartBody(
  path: string,
  ranges: readonly ByteRange[],
  size: number,
  contentType: string,
): MultipartBody {
  const boundary = randomBytes(12).toString('hex');
  const heads = ranges.map((r) =>
    encoder.encode(
      `\r\n--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`,
    ),
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  let length = tail.byteLength;
  for (let i = 0; i < ranges.length; i++) {
    length += heads[i]!.byteLength + ranges[i]!.end - ranges[i]!.start + 1;
  }
  async function* stream(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < ranges.length; i++) {
      yield heads[i]!;
      const { start, end } = ranges[i]!;
      const file = createReadStream(path, { start, end });
      try {
        for await (const chunk of file) yield chunk as Uint8Array;
      } finally {
        file.destroy();
      }
    }
    yield tail;
  }
  return { boundary, length, body: { [Symbol.asyncIterator]: stream } };
}
