/**
 * The part loop shared by S3 multipart uploads and Azure block staging: parts are read from
 * the body one at a time, at most `queueSize` are on the wire at once, and the next part is
 * only read once a slot is free, so memory is bounded by `partSize * (queueSize + 1)` whatever
 * the body's length. Parts are sent as their source chunks (no concatenated copy) and each
 * chunk is dropped as it is written (`drainPart`). On any failure the parts in flight are
 * stopped, the source is cancelled and the error is rethrown for the caller to clean up.
 */
import { ERROR_CODES, StorageError } from '../errors.js';
import type { BodyPart, PartReader } from './body-source.js';

/** What `uploadParts` needs. */
export interface PartUploadOptions {
  /** The first part, already read (the caller read it to choose a single PUT or parts). */
  readonly first: BodyPart;
  readonly reader: PartReader;
  readonly partSize: number;
  readonly queueSize: number;
  /** The store's limit on parts per object. */
  readonly maxParts: number;
  /** For error messages: `put "key"`. */
  readonly label: string;
  readonly signal?: AbortSignal | undefined;
  /** Sends part `index` (0-based); `signal` stops it when another part fails. */
  readonly uploadPart: (index: number, part: BodyPart, signal: AbortSignal) => Promise<void>;
}

/** Uploads every part; resolves to the number of parts once all succeeded. */
export async function uploadParts(options: PartUploadOptions): Promise<number> {
  const { reader, partSize, queueSize, maxParts } = options;
  // One controller stops every part in flight when one fails or the caller aborts.
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  let count = 0;
  try {
    let part: BodyPart | null = options.first;
    while (part !== null && part.byteLength > 0) {
      if (count === maxParts) {
        throw new StorageError(
          ERROR_CODES.INVALID_OPTIONS,
          `${options.label}: more than ${maxParts} parts; raise the part size`,
        );
      }
      const task = options
        .uploadPart(count, part, controller.signal)
        .catch((err: unknown) => {
          failure ??= err;
          controller.abort(err);
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      count += 1;
      // Drop our reference: once sent, the part's bytes belong to nobody.
      part = null;
      // Bounded memory: wait for a slot before reading the next part from the source.
      while (inFlight.size >= queueSize) await Promise.race(inFlight);
      if (failure !== null) break;
      part = await reader.read(partSize);
    }
    await Promise.all(inFlight);
    if (failure !== null) throw failure;
    options.signal?.throwIfAborted();
    return count;
  } catch (err) {
    controller.abort(err);
    await Promise.allSettled(inFlight);
    await reader.cancel().catch(() => {});
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
