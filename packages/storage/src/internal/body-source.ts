import type { StorageBody } from '../types.js';

const encoder = new TextEncoder();

/** Iterates any `StorageBody` as Uint8Array chunks, checking `signal` between chunks. */
export async function* bodyChunks(
  body: StorageBody,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  signal?.throwIfAborted();
  if (typeof body === 'string') {
    yield encoder.encode(body);
    return;
  }
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  const iterable: AsyncIterable<Uint8Array> =
    body instanceof ReadableStream ? readableIterable(body) : body;
  for await (const chunk of iterable) {
    signal?.throwIfAborted();
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError('a storage body stream must yield Uint8Array chunks');
    }
    yield chunk;
  }
}

async function* readableIterable(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // On early exit (error, abort) the source is cancelled so it stops producing.
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * A run of consecutive body bytes kept as the chunks the source produced (a chunk that crossed
 * the boundary is split without copying): building a part costs no copy of its bytes.
 */
export interface BodyPart {
  readonly chunks: Uint8Array[];
  readonly byteLength: number;
}

/**
 * Reads a body in parts of up to `size` bytes; a chunk that crosses the boundary is split and
 * its tail kept for the next part. Memory stays at one part.
 */
export class PartReader {
  #iterator: AsyncIterator<Uint8Array>;
  #carry: Uint8Array | null = null;
  #isDone = false;

  constructor(iterable: AsyncIterable<Uint8Array>) {
    this.#iterator = iterable[Symbol.asyncIterator]();
  }

  /** The next part of at most `size` bytes; an empty part once the body has ended. */
  async read(size: number): Promise<BodyPart> {
    const chunks: Uint8Array[] = [];
    let length = 0;
    while (length < size) {
      let chunk = this.#carry;
      this.#carry = null;
      if (chunk === null) {
        if (this.#isDone) break;
        const next = await this.#iterator.next();
        if (next.done) {
          this.#isDone = true;
          break;
        }
        chunk = next.value;
      }
      if (length + chunk.byteLength > size) {
        this.#carry = chunk.subarray(size - length);
        chunk = chunk.subarray(0, size - length);
      }
      if (chunk.byteLength === 0) continue;
      chunks.push(chunk);
      length += chunk.byteLength;
    }
    return { chunks, byteLength: length };
  }

  /** Stops the source (after an error elsewhere). */
  async cancel(): Promise<void> {
    await this.#iterator.return?.();
  }
}

const NO_BYTES = new Uint8Array(0);

/**
 * Yields a part's chunks and forgets each one as the request writer takes it, so a part on
 * the wire holds only its unsent bytes rather than all of them until the server answers.
 * The part can be sent once.
 */
export async function* drainPart(part: BodyPart): AsyncGenerator<Uint8Array> {
  const { chunks } = part;
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i] as Uint8Array;
    chunks[i] = NO_BYTES;
    yield chunk;
  }
}

/** Joins chunks into one array. */
export function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
