import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRwsError, type SseEvent, serializeSseEvent, sse } from '../src/index.js';

const decoder = new TextDecoder();

describe('serializeSseEvent', () => {
  it('writes fields in the HTML event-stream format', () => {
    expect(serializeSseEvent('hello')).toBe('data: hello\n\n');
    expect(serializeSseEvent({ data: 'x', event: 'tick', id: '7', retry: 1000 })).toBe(
      'event: tick\nid: 7\nretry: 1000\ndata: x\n\n',
    );
    expect(serializeSseEvent({ data: { a: 1 } })).toBe('data: {"a":1}\n\n');
    expect(serializeSseEvent({})).toBe('data: \n\n');
    expect(serializeSseEvent({ comment: 'ping' })).toBe(': ping\n');
    expect(serializeSseEvent({ id: '3' })).toBe('id: 3\n\n');
  });

  it('splits multi-line data at CRLF, CR and LF into several data lines', () => {
    expect(serializeSseEvent({ data: 'a\nb\r\nc\rd' })).toBe(
      'data: a\ndata: b\ndata: c\ndata: d\n\n',
    );
    expect(serializeSseEvent({ data: 'end\n' })).toBe('data: end\ndata: \n\n');
    expect(serializeSseEvent({ data: ' lead' })).toBe('data:  lead\n\n');
  });

  it('rejects field injection', () => {
    const bad: SseEvent[] = [
      { event: 'a\nb' },
      { id: 'a\rb' },
      { id: 'a\0b' },
      { retry: -1 },
      { retry: 1.5 },
    ];
    for (const event of bad) {
      expect(() => serializeSseEvent(event)).toThrow(
        expect.objectContaining({ code: 'RWS_CORE_SSE_INVALID' }),
      );
    }
  });
});

describe('sse', () => {
  it('sets event-stream headers', () => {
    const res = sse((async function* () {})());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
  });

  it('writes each event as soon as it is produced', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    async function* source() {
      yield { event: 'first', data: '1' };
      await gate;
      yield 'second';
    }
    const res = sse(source(), { keepAliveMs: 0 });
    const it = (res.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(decoder.decode(first.value)).toBe('event: first\ndata: 1\n\n');
    const pending = it.next();
    release();
    expect(decoder.decode((await pending).value)).toBe('data: second\n\n');
    expect((await it.next()).done).toBe(true);
  });

  it('sends keep-alive comments while the source is idle, then the event', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    async function* source() {
      await gate;
      yield 'late';
    }
    const it = (sse(source(), { keepAliveMs: 10 }).body as AsyncIterable<Uint8Array>)[
      Symbol.asyncIterator
    ]();
    expect(decoder.decode((await it.next()).value)).toBe(': keep-alive\n\n');
    release();
    // The pending source result is kept across the keep-alive, not lost.
    let chunk = decoder.decode((await it.next()).value);
    while (chunk === ': keep-alive\n\n') chunk = decoder.decode((await it.next()).value);
    expect(chunk).toBe('data: late\n\n');
    expect((await it.next()).done).toBe(true);
  });

  it('stops the source when the consumer goes away', async () => {
    let isFinalized = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield { data: String(i) };
      } finally {
        isFinalized = true;
      }
    }
    for await (const chunk of sse(source(), { keepAliveMs: 0 }).body as AsyncIterable<Uint8Array>) {
      expect(decoder.decode(chunk)).toBe('data: 0\n\n');
      break;
    }
    expect(isFinalized).toBe(true);
  });

  it('propagates a source error', async () => {
    async function* source(): AsyncGenerator<SseEvent> {
      yield { data: 'x' };
      throw new Error('source failed');
    }
    const it = (sse(source()).body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    await it.next();
    await expect(it.next()).rejects.toThrow('source failed');
    expect((await it.next()).done).toBe(true);
  });

  it('rejects invalid events at serialisation time', async () => {
    let isFinalized = false;
    async function* source() {
      try {
        yield { event: 'bad\nevent' };
        yield 'never';
      } finally {
        isFinalized = true;
      }
    }
    const it = (sse(source(), { keepAliveMs: 0 }).body as AsyncIterable<Uint8Array>)[
      Symbol.asyncIterator
    ]();
    await expect(it.next()).rejects.toSatisfy((e) => isRwsError(e, 'RWS_CORE_SSE_INVALID'));
    expect((await it.next()).done).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(isFinalized).toBe(true);
  });
});

describe('sse cleanup', () => {
  it('return() resolves even while the source is parked on an await', async () => {
    async function* parked() {
      yield 'first';
      await new Promise(() => {});
    }
    const it = (sse(parked(), { keepAliveMs: 5 }).body as AsyncIterableIterator<Uint8Array>)[
      Symbol.asyncIterator
    ]();
    await it.next();
    await it.next(); // a keep-alive while parked
    await expect(it.return!()).resolves.toMatchObject({ done: true });
    expect((await it.next()).done).toBe(true);
  });
});

/** The event-stream interpretation algorithm of the HTML standard (§9.2.6), for checking. */
function parseEventStream(stream: string): { type: string; data: string; id: string }[] {
  const events: { type: string; data: string; id: string }[] = [];
  let data = '';
  let type = '';
  let lastId = '';
  const lines = stream.split(/\r\n|\r|\n/);
  lines.pop(); // the text after the final line break is incomplete
  for (const line of lines) {
    if (line === '') {
      if (data !== '') {
        events.push({
          type: type || 'message',
          data: data.endsWith('\n') ? data.slice(0, -1) : data,
          id: lastId,
        });
      }
      data = '';
      type = '';
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data += value + '\n';
    else if (field === 'event') type = value;
    else if (field === 'id' && !value.includes('\0')) lastId = value;
  }
  return events;
}

describe('sse properties', () => {
  it('any data, type and id survive the spec parser', () => {
    const noBreak = fc.string({ maxLength: 20 }).filter((s) => !/[\r\n\0]/.test(s));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            data: fc.string({ maxLength: 50 }),
            event: fc.option(
              noBreak.filter((s) => s !== ''),
              { nil: undefined },
            ),
            id: fc.option(noBreak, { nil: undefined }),
          }),
          { maxLength: 5 },
        ),
        (events) => {
          const stream = events.map((e) => serializeSseEvent(e)).join('');
          let lastId = '';
          const expected = events.map((e) => {
            if (e.id !== undefined) lastId = e.id;
            // Line breaks are normalised to LF by the format.
            return {
              type: e.event ?? 'message',
              data: e.data.replace(/\r\n|\r/g, '\n'),
              id: lastId,
            };
          });
          expect(parseEventStream(stream)).toEqual(expected);
        },
      ),
    );
  });
});
