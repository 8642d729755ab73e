/**
 * Wrappers that count the bytes of a streamed response body as the transport pulls them and
 * report once when the stream ends — normally, with an error, or because the consumer stopped
 * (client gone, `return()`/`cancel()`). They pull one chunk per read, so backpressure is kept.
 */

/** Called once with the bytes handed to the consumer. */
export type OnBodyEnd = (bytes: number) => void;

function sizeOf(chunk: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk);
  return (chunk as Uint8Array | null)?.byteLength ?? 0;
}

/** A once-only reporter. */
function once(onEnd: OnBodyEnd): { add(n: number): void; end(): void } {
  let bytes = 0;
  let isEnded = false;
  return {
    add(n: number): void {
      bytes += n;
    },
    end(): void {
      if (isEnded) return;
      isEnded = true;
      onEnd(bytes);
    },
  };
}

/** Counts a web `ReadableStream`; the result is a `ReadableStream` too. */
export function countReadableStream(
  source: ReadableStream<Uint8Array>,
  onEnd: OnBodyEnd,
): ReadableStream<Uint8Array> {
  const counter = once(onEnd);
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller): Promise<void> {
        reader ??= source.getReader();
        let result: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;
        try {
          result = await reader.read();
        } catch (err) {
          counter.end();
          controller.error(err);
          return;
        }
        if (result.done) {
          counter.end();
          controller.close();
          return;
        }
        counter.add(sizeOf(result.value));
        controller.enqueue(result.value);
      },
      cancel(reason): Promise<void> {
        counter.end();
        return reader === null ? source.cancel(reason) : reader.cancel(reason);
      },
    },
    // Pull only when the consumer reads: the wrapper adds no buffering of its own.
    { highWaterMark: 0 },
  );
}

/** Counts an async iterable (an async generator, a Node `Readable`, a core `Body`, …). */
export function countAsyncIterable(
  source: AsyncIterable<Uint8Array>,
  onEnd: OnBodyEnd,
): AsyncIterable<Uint8Array> {
  const counter = once(onEnd);
  const wrapper: AsyncIterable<Uint8Array> & { destroy?: (err?: Error) => void } = {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      let it: AsyncIterator<Uint8Array>;
      try {
        it = source[Symbol.asyncIterator]();
      } catch (err) {
        counter.end();
        throw err;
      }
      // A hand-written iterator, not an async generator: a generator's `return()` before its
      // first `next()` would skip the code that reports the end.
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          let result: IteratorResult<Uint8Array>;
          try {
            result = await it.next();
          } catch (err) {
            counter.end();
            throw err;
          }
          if (result.done === true) counter.end();
          else counter.add(sizeOf(result.value));
          return result;
        },
        async return(value?: unknown): Promise<IteratorResult<Uint8Array>> {
          counter.end();
          if (typeof it.return === 'function') return it.return(value);
          return { done: true, value: undefined };
        },
        async throw(err?: unknown): Promise<IteratorResult<Uint8Array>> {
          counter.end();
          if (typeof it.throw === 'function') return it.throw(err);
          throw err;
        },
      };
    },
  };
  // Transports destroy Node streams they will not send (HEAD, aborted); keep that working.
  const destroy = (source as { destroy?: unknown }).destroy;
  if (typeof destroy === 'function') {
    wrapper.destroy = (err?: Error): void => {
      counter.end();
      destroy.call(source, err);
    };
  }
  return wrapper;
}
