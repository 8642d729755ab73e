/**
 * SigV4 streaming payloads (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`): the body is re-framed as
 * `aws-chunked`, each chunk carrying a signature chained from the request's own, so every byte
 * is authenticated without hashing the whole body before sending it. S3 needs the decoded
 * length up front (`x-amz-decoded-content-length`), so the encoded length is computed from it.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
import { createHmac } from 'node:crypto';
import { type AwsCredentials, awsSigningKey, EMPTY_SHA256, sha256Hex } from '../aws-sigv4.js';
import { ERROR_CODES, StorageError } from '../errors.js';

/** The payload hash that announces a chunk-signed body. */
export const STREAMING_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';

/** Bytes of data per signed chunk (S3 asks for at least 8 KiB except the last). */
const AWS_CHUNK_BYTES: number = 64 * 1024;

const SIGNATURE_PREFIX = ';chunk-signature=';

function framedLength(size: number): number {
  // hex-size ";chunk-signature=" 64-hex CRLF data CRLF
  return size.toString(16).length + SIGNATURE_PREFIX.length + 64 + 2 + size + 2;
}

/** The `Content-Length` of `decodedLength` bytes sent in `chunkBytes` chunks, final chunk included. */
export function awsChunkedLength(
  decodedLength: number,
  chunkBytes: number = AWS_CHUNK_BYTES,
): number {
  const full = Math.floor(decodedLength / chunkBytes);
  const rest = decodedLength % chunkBytes;
  return full * framedLength(chunkBytes) + (rest > 0 ? framedLength(rest) : 0) + framedLength(0);
}

/** What the chain of chunk signatures starts from: the signed request's own signature. */
export interface ChunkSigningInput {
  readonly credentials: AwsCredentials;
  readonly region: string;
  readonly service: string;
  /** The request's `x-amz-date`. */
  readonly amzDate: string;
  /** The request's `Authorization` header. */
  readonly authorization: string;
}

/**
 * Re-frames `source` into signed `aws-chunked` chunks of `chunkBytes`. Throws
 * `RWS_STORAGE_INVALID_OPTIONS` when the source does not hold exactly `decodedLength` bytes
 * (the signed length), so a short or long body never goes out as a valid request.
 */
export async function* signAwsChunks(
  source: AsyncIterable<Uint8Array>,
  decodedLength: number,
  input: ChunkSigningInput,
  chunkBytes: number = AWS_CHUNK_BYTES,
): AsyncGenerator<Uint8Array> {
  const day = input.amzDate.slice(0, 8);
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const key = awsSigningKey(input.credentials.secretAccessKey, day, input.region, input.service);
  let previous = /Signature=([0-9a-f]{64})$/.exec(input.authorization)?.[1] ?? '';
  const frame = (data: Uint8Array): Uint8Array => {
    const stringToSign = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      input.amzDate,
      scope,
      previous,
      EMPTY_SHA256,
      sha256Hex(data),
    ].join('\n');
    previous = createHmac('sha256', key).update(stringToSign).digest('hex');
    const head = Buffer.from(`${data.byteLength.toString(16)}${SIGNATURE_PREFIX}${previous}\r\n`);
    return Buffer.concat([head, data, Buffer.from('\r\n')]);
  };
  const pending = Buffer.allocUnsafe(chunkBytes);
  let filled = 0;
  let total = 0;
  for await (const chunk of source) {
    total += chunk.byteLength;
    if (total > decodedLength) break;
    let offset = 0;
    while (offset < chunk.byteLength) {
      const n = Math.min(chunkBytes - filled, chunk.byteLength - offset);
      pending.set(chunk.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === chunkBytes) {
        yield frame(pending);
        filled = 0;
      }
    }
  }
  if (total !== decodedLength) {
    throw new StorageError(
      ERROR_CODES.INVALID_OPTIONS,
      `contentLength ${decodedLength} but the body had ${total > decodedLength ? 'more' : total} bytes`,
    );
  }
  if (filled > 0) yield frame(pending.subarray(0, filled));
  yield frame(new Uint8Array(0));
}
