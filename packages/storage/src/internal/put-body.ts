/**
 * How the S3 and Azure Blob drivers choose between one request and a parted upload: a stream
 * whose length is known and fits one part goes out as it is read; any other body is read one
 * part ahead, sent whole when it ends within that part, else uploaded in parts.
 */
import { ERROR_CODES, StorageError } from '../errors.js';
import type { ObjectInfo, PutOptions, StorageBody } from '../types.js';
import { type BodyPart, bodyChunks, concat, PartReader } from './body-source.js';

/** The three ways a driver sends a body. */
export interface PutPlan {
  readonly partSize: number;
  /** One request streaming `length` bytes from `source`. */
  readonly putStream: (source: AsyncIterable<Uint8Array>, length: number) => Promise<void>;
  /** One request with the whole (short) body in memory, so it can be retried on a stale socket. */
  readonly putBytes: (bytes: Uint8Array) => Promise<void>;
  /** A parted upload of `first` and the rest of `reader`. */
  readonly putParts: (first: BodyPart, reader: PartReader) => Promise<void>;
}

/** Sends `body` the cheapest way `plan` allows. */
export async function putBody(
  body: StorageBody,
  putOptions: PutOptions,
  plan: PutPlan,
): Promise<void> {
  const { contentLength } = putOptions;
  const isStream = typeof body !== 'string' && !(body instanceof Uint8Array);
  if (isStream && contentLength !== undefined && contentLength <= plan.partSize) {
    await plan.putStream(bodyChunks(body, putOptions.signal), contentLength);
    return;
  }
  const reader = new PartReader(bodyChunks(body, putOptions.signal));
  const first = await reader.read(plan.partSize);
  if (first.byteLength < plan.partSize) await plan.putBytes(concat(first.chunks, first.byteLength));
  else await plan.putParts(first, reader);
}

/** The info `head` gave right after a put; a store that lost the object is a 502. */
export function requireWritten(info: ObjectInfo | null, what: string): ObjectInfo {
  if (info !== null) return info;
  throw new StorageError(
    ERROR_CODES.REQUEST_FAILED,
    `${what}: the object is missing right after the upload`,
    { status: 502 },
  );
}
