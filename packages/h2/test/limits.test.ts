/**
 * Limits and attacks (issue #12), each driven by a raw peer writing exact frames: concurrent
 * streams, header list size, body size, rapid reset (CVE-2023-44487), CONTINUATION flood,
 * PING/SETTINGS floods, HPACK bombs, zero-window stalls, idle timeout, graceful shutdown.
 */
import { Headers, text } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { startH2c } from './helpers.js';
import { block, GET, RawClient, rawFrame } from './raw-client.js';

const NO_ERROR = 0x0;
const REFUSED_STREAM = 0x7;
const CANCEL = 0x8;
const COMPRESSION_ERROR = 0x9;
const ENHANCE_YOUR_CALM = 0xb;

describe('limits', () => {
  it('refuses streams above maxConcurrentStreams with REFUSED_STREAM', async () => {
    const { port } = await startH2c(() => new Promise(() => {}), { maxConcurrentStreams: 2 });
    const c = await RawClient.connect(port);
    c.headers(1, GET);
    c.headers(3, GET);
    c.headers(5, GET);
    expect(await c.rst(5)).toBe(REFUSED_STREAM);
    expect(c.frames.some((f) => f.type === 0x3 && (f.streamId === 1 || f.streamId === 3))).toBe(
      false,
    );
  });

  it('answers a header list above maxHeaderListSize with 431 and keeps serving', async () => {
    const { port } = await startH2c(() => text('ok'), { maxHeaderListSize: 1024 });
    const c = await RawClient.connect(port);
    c.headers(1, [...GET, 'x-big', 'a'.repeat(1100)]);
    expect((await c.responseHeaders(1))[':status']).toBe('431');
    c.headers(3, GET);
    expect(await c.body(3)).toBe('ok');
  });

  it('answers a declared body above maxBodyBytes with 413 before reading it', async () => {
    let isCalled = false;
    const { port } = await startH2c(
      () => {
        isCalled = true;
        return text('ok');
      },
      { maxBodyBytes: 100 },
    );
    const c = await RawClient.connect(port);
    c.headers(
      1,
      [':method', 'POST', ':scheme', 'http', ':path', '/', 'content-length', '101'],
      false,
    );
    expect((await c.responseHeaders(1))[':status']).toBe('413');
    expect(isCalled).toBe(false);
  });
});

describe('attacks', () => {
  it('rapid reset (CVE-2023-44487): a client that opens and resets streams in a loop gets GOAWAY ENHANCE_YOUR_CALM', async () => {
    let started = 0;
    const { port } = await startH2c(
      async (req) => {
        started++;
        await new Promise((r) => setTimeout(r, 1000));
        return text(req.path);
      },
      { maxStreamResets: 50 },
    );
    const c = await RawClient.connect(port);
    const frames: Buffer[] = [];
    for (let id = 1; id < 400; id += 2) {
      frames.push(
        rawFrame(0x1, 0x5, id, block(GET)),
        rawFrame(0x3, 0, id, Buffer.from([0, 0, 0, 8])),
      );
    }
    c.write(Buffer.concat(frames));
    const [last, code] = await c.goaway();
    expect(code).toBe(ENHANCE_YOUR_CALM);
    // Cut off at the 51st reset: the handler ran for at most those streams.
    expect(last).toBeLessThanOrEqual(103);
    expect(started).toBeLessThanOrEqual(52);
    await c.closed;
  });

  it('CONTINUATION flood (CVE-2024-27316 family): endless CONTINUATION frames get GOAWAY ENHANCE_YOUR_CALM', async () => {
    const { port } = await startH2c(() => text('ok'));
    const c = await RawClient.connect(port);
    c.write(rawFrame(0x1, 0x1, 1, block([':method', 'GET'])));
    const frames: Buffer[] = [];
    for (let i = 0; i < 100; i++) frames.push(rawFrame(0x9, 0, 1, block(['x-a', 'b'])));
    c.write(Buffer.concat(frames));
    expect((await c.goaway())[1]).toBe(ENHANCE_YOUR_CALM);
    await c.closed;
  });

  it('a few large CONTINUATION frames crossing the block byte cap get ENHANCE_YOUR_CALM', async () => {
    const { port } = await startH2c(() => text('ok'), { maxHeaderListSize: 1024 });
    const c = await RawClient.connect(port);
    c.write(rawFrame(0x1, 0x1, 1, block([':method', 'GET'])));
    c.write(rawFrame(0x9, 0, 1, Buffer.alloc(16000, 0x82)));
    c.write(rawFrame(0x9, 0, 1, Buffer.alloc(16000, 0x82)));
    expect((await c.goaway())[1]).toBe(ENHANCE_YOUR_CALM);
  });

  it('a frame other than CONTINUATION inside a header block is PROTOCOL_ERROR', async () => {
    const { port } = await startH2c(() => text('ok'));
    const c = await RawClient.connect(port);
    c.write(rawFrame(0x1, 0x1, 1, block([':method', 'GET'])));
    c.write(rawFrame(0x6, 0, 0, Buffer.alloc(8)));
    expect((await c.goaway())[1]).toBe(0x1);
  });

  it('PING flood gets GOAWAY ENHANCE_YOUR_CALM', async () => {
    const { port } = await startH2c(() => text('ok'), { maxControlFramesPerSecond: 100 });
    const c = await RawClient.connect(port);
    const pings: Buffer[] = [];
    for (let i = 0; i < 200; i++) pings.push(rawFrame(0x6, 0, 0, Buffer.alloc(8)));
    c.write(Buffer.concat(pings));
    expect((await c.goaway())[1]).toBe(ENHANCE_YOUR_CALM);
    expect(c.frames.filter((f) => f.type === 0x6).length).toBeLessThanOrEqual(100);
  });

  it('SETTINGS flood gets GOAWAY ENHANCE_YOUR_CALM', async () => {
    const { port } = await startH2c(() => text('ok'), { maxControlFramesPerSecond: 100 });
    const c = await RawClient.connect(port);
    const frames: Buffer[] = [];
    for (let i = 0; i < 200; i++) frames.push(rawFrame(0x4, 0, 0, Buffer.from([0, 4, 0, 1, 0, 0])));
    c.write(Buffer.concat(frames));
    expect((await c.goaway())[1]).toBe(ENHANCE_YOUR_CALM);
  });

  it('HPACK bomb: a dynamic table size update above SETTINGS_HEADER_TABLE_SIZE is COMPRESSION_ERROR', async () => {
    const { port } = await startH2c(() => text('ok'));
    const c = await RawClient.connect(port);
    // 001 11111 + 0xe1 0xff 0x03: size 65536 > 4096.
    c.write(
      rawFrame(0x1, 0x5, 1, Buffer.concat([Buffer.from([0x3f, 0xe1, 0xff, 0x03]), block(GET)])),
    );
    const [, code, debug] = await c.goaway();
    expect(code).toBe(COMPRESSION_ERROR);
    expect(debug).toMatch(/table size update/);
  });

  it('HPACK: invalid Huffman padding is COMPRESSION_ERROR', async () => {
    const { port } = await startH2c(() => text('ok'));
    const c = await RawClient.connect(port);
    // Literal without indexing, name index 4 (:path), Huffman value of 1 octet 0x1e ('a' + padding 110).
    c.write(rawFrame(0x1, 0x5, 1, Buffer.from([0x82, 0x86, 0x04, 0x81, 0x1e])));
    expect((await c.goaway())[1]).toBe(COMPRESSION_ERROR);
  });

  it('zero-window stall: a stream the client never opens a window for is reset after sendTimeoutMs', async () => {
    let aborted = false;
    const { port } = await startH2c(
      (req) => {
        req.signal.addEventListener('abort', () => {
          aborted = true;
        });
        return { status: 200, headers: new Headers(), body: 'stalled body' };
      },
      { sendTimeoutMs: 150 },
    );
    const c = await RawClient.connect(port, { settings: Buffer.from([0, 4, 0, 0, 0, 0]) });
    c.headers(1, GET);
    expect((await c.responseHeaders(1))[':status']).toBe('200');
    const t0 = Date.now();
    expect(await c.rst(1)).toBe(CANCEL);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    expect(aborted).toBe(true);
    expect(c.frames.some((f) => f.type === 0 && f.streamId === 1 && f.payload.length > 0)).toBe(
      false,
    );
  });

  it('idle timeout: a connection without streams gets GOAWAY NO_ERROR and is closed', async () => {
    const { port } = await startH2c(() => text('ok'), { idleTimeoutMs: 150 });
    const c = await RawClient.connect(port);
    c.headers(1, GET);
    await c.body(1);
    const [last, code] = await c.goaway();
    expect([last, code]).toEqual([1, NO_ERROR]);
    await c.closed;
  });
});

describe('graceful shutdown', () => {
  it('two-step GOAWAY: max id + PING, then the last stream id; open streams finish; req.drain aborts', async () => {
    let drained = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { server, port } = await startH2c(async (req) => {
      req.drain.addEventListener('abort', () => {
        drained = true;
      });
      await gate;
      return text('done');
    });
    const c = await RawClient.connect(port);
    c.headers(1, GET);
    await new Promise((r) => setTimeout(r, 20));
    const closing = server.close({ graceMs: 5000 });
    const first = await c.waitFor((f) => f.type === 0x7);
    expect(first.payload.readUInt32BE(0)).toBe(0x7fffffff);
    const ping = await c.waitFor((f) => f.type === 0x6 && f.flags === 0);
    expect(drained).toBe(true);
    // A stream opened before the PING is answered is still served.
    c.headers(3, GET);
    c.write(rawFrame(0x6, 0x1, 0, ping.payload));
    const second = await c.waitFor((f) => f.type === 0x7 && f !== first);
    expect(second.payload.readUInt32BE(0)).toBe(3);
    // Streams above the final id are ignored.
    c.headers(5, GET);
    release();
    expect(await c.body(1)).toBe('done');
    expect(await c.body(3)).toBe('done');
    await closing;
    await c.closed;
    expect(c.frames.some((f) => f.streamId === 5)).toBe(false);
  });
});

describe('PING keepalive', () => {
  it('pings every pingIntervalMs; an answered peer stays, a silent one is disconnected', async () => {
    const { port } = await startH2c(() => text('ok'), { pingIntervalMs: 80 });
    const live = await RawClient.connect(port);
    const silent = await RawClient.connect(port);
    let seen = 0;
    const answer = setInterval(() => {
      for (; seen < live.frames.length; seen++) {
        const f = live.frames[seen]!;
        if (f.type === 0x6 && f.flags === 0) live.write(rawFrame(0x6, 0x1, 0, f.payload));
      }
    }, 10);
    try {
      const ping = await silent.waitFor((f) => f.type === 0x6 && f.flags === 0);
      expect(ping.payload.toString()).toBe('rwsalive');
      await silent.closed;
      await new Promise((r) => setTimeout(r, 200));
      expect(live.socket.destroyed).toBe(false);
      expect(
        live.frames.filter((f) => f.type === 0x6 && f.flags === 0).length,
      ).toBeGreaterThanOrEqual(2);
      live.headers(1, GET);
      expect((await live.responseHeaders(1))[':status']).toBe('200');
    } finally {
      clearInterval(answer);
    }
  });
});
