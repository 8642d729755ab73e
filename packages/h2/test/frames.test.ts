/**
 * The frame layer and the connection's protocol rules (RFC 9113 §3.4, §4, §5, §6, §8), each
 * checked by writing exact frames to a real socket.
 */
import { Headers, text } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { startH2c } from './helpers.js';
import { block, GET, RawClient, rawFrame } from './raw-client.js';

const PROTOCOL_ERROR = 0x1;
const FLOW_CONTROL_ERROR = 0x3;
const STREAM_CLOSED = 0x5;
const FRAME_SIZE_ERROR = 0x6;

describe('connection preface and SETTINGS', () => {
  it('sends its SETTINGS first, ACKs ours, and answers a request', async () => {
    const { port } = await startH2c(() => text('hi'));
    const c = await RawClient.connect(port);
    const settings = await c.waitFor((f) => f.type === 0x4 && f.flags === 0);
    const values = new Map<number, number>();
    for (let i = 0; i < settings.payload.length; i += 6)
      values.set(settings.payload.readUInt16BE(i), settings.payload.readUInt32BE(i + 2));
    expect(values.get(0x3)).toBe(100); // MAX_CONCURRENT_STREAMS
    expect(values.get(0x2)).toBe(0); // ENABLE_PUSH
    await c.waitFor((f) => f.type === 0x4 && f.flags === 1);
    c.headers(1, GET);
    expect((await c.responseHeaders(1))[':status']).toBe('200');
    expect(await c.body(1)).toBe('hi');
  });

  it('answers a wrong preface with GOAWAY PROTOCOL_ERROR and closes', async () => {
    const { port } = await startH2c(() => text('hi'));
    const c = await RawClient.connect(port, { preface: false });
    c.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const [, code] = await c.goaway();
    expect(code).toBe(PROTOCOL_ERROR);
    await c.closed;
  });

  it('requires SETTINGS as the first frame', async () => {
    const { port } = await startH2c(() => text('hi'));
    const c = await RawClient.connect(port, { preface: false });
    c.write(
      Buffer.concat([
        Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
        rawFrame(0x6, 0, 0, Buffer.alloc(8)),
      ]),
    );
    expect((await c.goaway())[1]).toBe(PROTOCOL_ERROR);
  });

  it('works when every byte arrives in its own segment', async () => {
    const { port } = await startH2c((req) => text(req.path));
    const c = await RawClient.connect(port, { preface: false });
    const bytes = Buffer.concat([
      Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
      rawFrame(0x4, 0, 0),
      rawFrame(
        0x1,
        0x5,
        1,
        block([':method', 'GET', ':scheme', 'http', ':path', '/split', ':authority', 'x']),
      ),
    ]);
    for (const b of bytes) {
      c.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    expect(await c.body(1)).toBe('/split');
  });

  it('rejects a frame above SETTINGS_MAX_FRAME_SIZE with FRAME_SIZE_ERROR', async () => {
    const { port } = await startH2c(() => text('hi'));
    const c = await RawClient.connect(port);
    c.write(rawFrame(0x0, 0, 1, Buffer.alloc(16385)));
    expect((await c.goaway())[1]).toBe(FRAME_SIZE_ERROR);
  });

  it('answers PING with an ACK carrying the same 8 octets; a 7-octet PING is FRAME_SIZE_ERROR', async () => {
    const { port } = await startH2c(() => text('hi'));
    const c = await RawClient.connect(port);
    c.write(rawFrame(0x6, 0, 0, Buffer.from('12345678')));
    const ack = await c.waitFor((f) => f.type === 0x6 && f.flags === 1);
    expect(ack.payload.toString()).toBe('12345678');
    c.write(rawFrame(0x6, 0, 0, Buffer.from('1234567')));
    expect((await c.goaway())[1]).toBe(FRAME_SIZE_ERROR);
  });

  it('answers a GOAWAY from the client with its own GOAWAY NO_ERROR and closes once streams are done', async () => {
    const { port } = await startH2c(async () => {
      await new Promise((r) => setTimeout(r, 50));
      return text('finished');
    });
    const c = await RawClient.connect(port);
    c.headers(1, GET);
    c.write(rawFrame(0x7, 0, 0, Buffer.alloc(8)));
    expect(await c.body(1)).toBe('finished');
    expect(await c.goaway()).toEqual([1, 0, '']);
    await c.closed;
  });

  it('refuses PUSH_PROMISE from a client and even stream ids', async () => {
    const { port } = await startH2c(() => text('hi'));
    const a = await RawClient.connect(port);
    a.write(rawFrame(0x5, 0x4, 1, Buffer.alloc(4)));
    expect((await a.goaway())[1]).toBe(PROTOCOL_ERROR);
    const b = await RawClient.connect(port);
    b.headers(2, GET);
    expect((await b.goaway())[1]).toBe(PROTOCOL_ERROR);
  });

  it('treats HEADERS on a closed stream as a connection error STREAM_CLOSED', async () => {
    const { port } = await startH2c(() => text('hi'));
    const c = await RawClient.connect(port);
    c.headers(3, GET);
    await c.body(3);
    c.headers(1, GET);
    expect((await c.goaway())[1]).toBe(STREAM_CLOSED);
  });

  it('skips padding and the priority fields of HEADERS, and padding of DATA', async () => {
    const { port } = await startH2c(async (req) => text(await req.body.text()));
    const c = await RawClient.connect(port);
    const fields = block([':method', 'POST', ':scheme', 'http', ':path', '/', ':authority', 'x']);
    // PADDED | PRIORITY | END_HEADERS: pad length 3, 5 priority octets, the block, 3 zero octets.
    c.write(
      rawFrame(
        0x1,
        0x8 | 0x20 | 0x4,
        1,
        Buffer.concat([Buffer.from([3]), Buffer.alloc(5), fields, Buffer.alloc(3)]),
      ),
    );
    c.write(
      rawFrame(
        0x0,
        0x8 | 0x1,
        1,
        Buffer.concat([Buffer.from([2]), Buffer.from('data'), Buffer.alloc(2)]),
      ),
    );
    expect(await c.body(1)).toBe('data');
  });
});

describe('request validation (RFC 9113 §8): malformed requests are stream errors', () => {
  const cases: [string, string[]][] = [
    ['upper-case name', [...GET, 'X-Upper', '1']],
    ['connection-specific field', [...GET, 'connection', 'keep-alive']],
    ['transfer-encoding', [...GET, 'transfer-encoding', 'chunked']],
    ['te other than trailers', [...GET, 'te', 'gzip']],
    [
      'pseudo-header after a regular field',
      [':method', 'GET', 'x-a', '1', ':scheme', 'http', ':path', '/'],
    ],
    ['missing :path', [':method', 'GET', ':scheme', 'http']],
    ['unknown pseudo-header', [...GET, ':foo', 'bar']],
    ['duplicate :method', [...GET, ':method', 'POST']],
    ['empty :path', [':method', 'GET', ':scheme', 'http', ':path', '']],
    ['CONNECT with :path', [':method', 'CONNECT', ':authority', 'a:443', ':path', '/']],
    ['a value with a newline', [...GET, 'x-a', 'a\nb']],
    ['a value with leading space', [...GET, 'x-a', ' a']],
  ];
  for (const [what, fields] of cases) {
    it(`RST_STREAM PROTOCOL_ERROR for ${what}; the connection goes on`, async () => {
      const { port } = await startH2c(() => text('ok'));
      const c = await RawClient.connect(port);
      c.headers(1, fields);
      expect(await c.rst(1)).toBe(PROTOCOL_ERROR);
      c.headers(3, GET);
      expect(await c.body(3)).toBe('ok');
    });
  }

  it('accepts te: trailers', async () => {
    const { port } = await startH2c(() => text('ok'));
    const c = await RawClient.connect(port);
    c.headers(1, [...GET, 'te', 'trailers']);
    expect(await c.body(1)).toBe('ok');
  });

  it('resets a stream whose DATA is shorter than content-length, and fails the body read', async () => {
    let readError: unknown;
    const { port } = await startH2c(async (req) => {
      try {
        await req.body.bytes();
      } catch (err) {
        readError = err;
      }
      return text('x');
    });
    const c = await RawClient.connect(port);
    c.headers(
      1,
      [':method', 'POST', ':scheme', 'http', ':path', '/', 'content-length', '10'],
      false,
    );
    c.write(rawFrame(0x0, 0x1, 1, Buffer.from('12345')));
    expect(await c.rst(1)).toBe(PROTOCOL_ERROR);
    await new Promise((r) => setTimeout(r, 20));
    expect(String(readError)).toMatch(/shorter than content-length/);
  });

  it('resets a stream with more DATA than content-length', async () => {
    const { port } = await startH2c(async (req) => text(await req.body.text()));
    const c = await RawClient.connect(port);
    c.headers(
      1,
      [':method', 'POST', ':scheme', 'http', ':path', '/', 'content-length', '2'],
      false,
    );
    c.write(rawFrame(0x0, 0x1, 1, Buffer.from('12345')));
    expect(await c.rst(1)).toBe(PROTOCOL_ERROR);
  });

  it('DATA the peer sent before learning of our RST_STREAM is ignored, not answered again', async () => {
    const { port } = await startH2c(async (req) => text(await req.body.text()));
    const c = await RawClient.connect(port);
    c.headers(
      1,
      [':method', 'POST', ':scheme', 'http', ':path', '/', 'content-length', '2'],
      false,
    );
    c.write(rawFrame(0x0, 0x0, 1, Buffer.from('12345')));
    expect(await c.rst(1)).toBe(PROTOCOL_ERROR);
    c.write(rawFrame(0x0, 0x0, 1, Buffer.from('more')));
    c.write(rawFrame(0x0, 0x1, 1, Buffer.from('end')));
    c.headers(3, [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'x']);
    expect(await c.body(3)).toBe('');
    expect(c.frames.filter((f) => f.type === 0x3 && f.streamId === 1)).toHaveLength(1);
  });

  it('trailers arriving after the response ended the stream are ignored; the connection goes on', async () => {
    const { port } = await startH2c(() => text('early'));
    const c = await RawClient.connect(port);
    c.headers(1, [':method', 'POST', ':scheme', 'http', ':path', '/'], false);
    expect(await c.body(1)).toBe('early');
    expect(await c.rst(1)).toBe(0);
    c.write(rawFrame(0x0, 0x0, 1, Buffer.from('late data')));
    c.write(rawFrame(0x1, 0x5, 1, block(['x-trailer', 'late'])));
    c.headers(3, GET);
    expect(await c.body(3)).toBe('early');
    expect(c.frames.some((f) => f.type === 0x7)).toBe(false);
  });

  it('DATA after END_STREAM gets RST_STREAM STREAM_CLOSED', async () => {
    const { port } = await startH2c(async () => {
      await new Promise((r) => setTimeout(r, 100));
      return text('late');
    });
    const c = await RawClient.connect(port);
    c.headers(1, GET);
    c.write(rawFrame(0x0, 0x0, 1, Buffer.from('x')));
    expect(await c.rst(1)).toBe(STREAM_CLOSED);
  });
});

describe('flow control', () => {
  it('returns stream window (WINDOW_UPDATE) only as the handler reads the body', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { port } = await startH2c(async (req) => {
      await gate;
      return text(String((await req.body.bytes()).length));
    });
    const c = await RawClient.connect(port);
    c.headers(1, [':method', 'POST', ':scheme', 'http', ':path', '/'], false);
    c.write(rawFrame(0x0, 0, 1, Buffer.alloc(1000)));
    await new Promise((r) => setTimeout(r, 50));
    expect(c.frames.some((f) => f.type === 0x8 && f.streamId === 1)).toBe(false);
    release();
    const update = await c.waitFor((f) => f.type === 0x8 && f.streamId === 1);
    expect(update.payload.readUInt32BE(0)).toBe(1000);
    c.write(rawFrame(0x0, 0x1, 1));
    expect(await c.body(1)).toBe('1000');
  });

  it('resets a stream that overruns its window with FLOW_CONTROL_ERROR', async () => {
    const { port } = await startH2c(() => new Promise(() => {}), { initialWindowSize: 65535 });
    const c = await RawClient.connect(port);
    c.headers(1, [':method', 'POST', ':scheme', 'http', ':path', '/'], false);
    for (let i = 0; i < 5; i++) c.write(rawFrame(0x0, 0, 1, Buffer.alloc(16384)));
    expect(await c.rst(1)).toBe(FLOW_CONTROL_ERROR);
  });

  it('stops at the peer window and resumes on WINDOW_UPDATE', async () => {
    const { port } = await startH2c(() => ({
      status: 200,
      headers: new Headers(),
      body: 'x'.repeat(100),
    }));
    // SETTINGS_INITIAL_WINDOW_SIZE = 10.
    const c = await RawClient.connect(port, { settings: Buffer.from([0, 4, 0, 0, 0, 10]) });
    c.headers(1, GET);
    await c.waitFor((f) => f.type === 0x0 && f.streamId === 1);
    await new Promise((r) => setTimeout(r, 30));
    const sent = () =>
      c.frames
        .filter((f) => f.type === 0 && f.streamId === 1)
        .reduce((n, f) => n + f.payload.length, 0);
    expect(sent()).toBe(10);
    c.write(rawFrame(0x8, 0, 1, Buffer.from([0, 0, 0, 90])));
    expect(await c.body(1)).toBe('x'.repeat(100));
  });
});
