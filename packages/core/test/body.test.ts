import { describe, expect, it } from 'vitest';
import { Body, type BodySource, DEFAULT_BODY_LIMIT, isRwsError } from '../src/index.js';

const encoder = new TextEncoder();

/** A source that records reads and cancels, yielding the given chunks. */
function tracked(chunks: string[], length: number | null = null) {
  const state = { reads: 0, cancelled: false, reason: undefined as unknown };
  let index = 0;
  const source: BodySource = {
    length,
    read: async () => {
      state.reads++;
      return index < chunks.length ? encoder.encode(chunks[index++]) : null;
    },
    cancel: (reason) => {
      state.cancelled = true;
      state.reason = reason;
    },
  };
  return { source, state };
}

const isCode = (code: string) => (e: unknown) => isRwsError(e, code);

describe('Body', () => {
  it('reads bytes, text, json and form', async () => {
    expect(await Body.from('abc').text()).toBe('abc');
    expect(await Body.from(new Uint8Array([1, 2])).bytes()).toEqual(new Uint8Array([1, 2]));
    expect(await Body.from('{"a":[1]}').json()).toEqual({ a: [1] });
    expect((await Body.from('a=1&b=x+y').form()).get('b')).toBe('x y');
    const { source } = tracked(['he', 'll', 'o']);
    expect(await new Body(source).text()).toBe('hello');
  });

  it('reports length and hasBody', () => {
    expect(Body.empty().length).toBe(0);
    expect(Body.empty().hasBody).toBe(false);
    expect(Body.from('abc').length).toBe(3);
    expect(new Body(tracked([], null).source).length).toBeNull();
    expect(new Body(tracked([], null).source).hasBody).toBe(true);
    expect(new Body(tracked([], 0).source).hasBody).toBe(false);
    expect(Body.empty().limit).toBe(DEFAULT_BODY_LIMIT);
  });

  it('rejects a declared length over the limit with 413 before reading', async () => {
    const { source, state } = tracked(['x'.repeat(20)], 20);
    const body = new Body(source, { limit: 10 });
    await expect(body.bytes()).rejects.toSatisfy(
      (e) => isCode('RWS_CORE_BODY_TOO_LARGE')(e) && (e as { status: number }).status === 413,
    );
    expect(state.reads).toBe(0);
    expect(state.cancelled).toBe(true);
  });

  it('stops mid-stream once an unknown-length body passes the limit', async () => {
    const { source, state } = tracked(['1234', '5678', '9abc', 'never'], null);
    await expect(new Body(source).text({ limit: 10 })).rejects.toSatisfy(
      isCode('RWS_CORE_BODY_TOO_LARGE'),
    );
    expect(state.reads).toBe(3);
    expect(state.cancelled).toBe(true);
    const exact = tracked(['12345', '67890'], null);
    expect(await new Body(exact.source, { limit: 10 }).text()).toBe('1234567890');
  });

  it('is one-shot: a second read is RWS_CORE_BODY_USED', async () => {
    const body = Body.from('x');
    expect(body.isUsed).toBe(false);
    await body.text();
    expect(body.isUsed).toBe(true);
    await expect(body.text()).rejects.toSatisfy(isCode('RWS_CORE_BODY_USED'));
    expect(() => body.stream()).toThrow(expect.objectContaining({ code: 'RWS_CORE_BODY_USED' }));
    const iterated = Body.from('y');
    for await (const _ of iterated) {
      // drain
    }
    await expect(iterated.bytes()).rejects.toSatisfy(isCode('RWS_CORE_BODY_USED'));
  });

  it('invalid JSON is a 400 RWS_CORE_BODY_INVALID_JSON', async () => {
    await expect(Body.from('{nope').json()).rejects.toSatisfy(
      (e) => isCode('RWS_CORE_BODY_INVALID_JSON')(e) && (e as { status: number }).status === 400,
    );
  });

  it('stream() is pull-based and cancels the source', async () => {
    const { source, state } = tracked(['a', 'b', 'c']);
    const stream = new Body(source).stream();
    expect(state.reads).toBe(0);
    const reader = stream.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('a');
    expect(state.reads).toBe(1);
    await reader.cancel('stop');
    expect(state.cancelled).toBe(true);
    expect(state.reason).toBe('stop');
    expect(await new Response(Body.from('whole').stream()).text()).toBe('whole');
  });

  it('async iteration yields chunks; an early break cancels the source', async () => {
    const { source, state } = tracked(['a', 'b', 'c']);
    const seen: string[] = [];
    for await (const chunk of new Body(source)) {
      seen.push(new TextDecoder().decode(chunk));
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['a', 'b']);
    expect(state.cancelled).toBe(true);
    const full = tracked(['a', 'b']);
    for await (const _ of new Body(full.source)) {
      // drain
    }
    expect(full.state.cancelled).toBe(false);
  });

  it('cancel() discards the body and marks it used', async () => {
    const { source, state } = tracked(['a']);
    const body = new Body(source);
    body.cancel('bye');
    expect(state.cancelled).toBe(true);
    expect(body.isUsed).toBe(true);
  });

  it('reads from async iterables and web streams', async () => {
    async function* gen() {
      yield encoder.encode('x');
      yield encoder.encode('y');
    }
    expect(await Body.from(gen()).text()).toBe('xy');
    expect(await Body.from(new Response('web').body!).text()).toBe('web');
    expect(await Body.from(null).text()).toBe('');
  });

  describe('releasing an unread body runs its cleanup (issue #9)', () => {
    it('return() before next() cancels the source, as a transport releasing a response does', async () => {
      const { source, state } = tracked(['a', 'b']);
      const body = new Body(source);
      const it = body[Symbol.asyncIterator]();
      expect(await it.return?.()).toEqual({ done: true, value: undefined });
      expect(state.cancelled).toBe(true);
      expect(state.reads).toBe(0);
      expect(body.isUsed).toBe(true);
    });

    it('return() after a read cancels the rest once', async () => {
      const { source, state } = tracked(['a', 'b']);
      const it = new Body(source)[Symbol.asyncIterator]();
      expect((await it.next()).done).toBe(false);
      await it.return?.();
      expect(state.cancelled).toBe(true);
      expect(await it.next()).toEqual({ done: true, value: undefined });
    });

    it('a read error ends the iteration without a cancel', async () => {
      let cancels = 0;
      const it = new Body({
        length: null,
        read: () => Promise.reject(new Error('reset')),
        cancel: () => {
          cancels++;
        },
      })[Symbol.asyncIterator]();
      await expect(it.next()).rejects.toThrow('reset');
      await it.return?.();
      expect(cancels).toBe(0);
    });

    it('cancelling a Body over an iterable whose return() rejects raises no unhandled rejection', async () => {
      const seen: unknown[] = [];
      const onUnhandled = (reason: unknown) => seen.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const iterable: AsyncIterable<Uint8Array> = {
          [Symbol.asyncIterator]: () => ({
            next: async () => ({ done: false, value: encoder.encode('x') }),
            return: () => Promise.reject(new Error('return failed')),
          }),
        };
        const body = Body.from(iterable);
        expect(new TextDecoder().decode((await body[Symbol.asyncIterator]().next()).value)).toBe(
          'x',
        );
        const other = Body.from(iterable);
        other.cancel();
        // Unhandled rejections are reported after a macrotask turn.
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(seen).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });
  });
});
