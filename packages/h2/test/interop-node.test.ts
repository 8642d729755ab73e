/**
 * The server against node:http2's client (nghttp2) over h2c: requests, bodies both ways,
 * trailers both ways, 103, HEAD, errors, many concurrent streams.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { file, Headers, json, sse, stream, text } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { request, session, startH2c } from './helpers.js';

describe('node:http2 client over h2c', () => {
  it('maps the request: protocol, authority, scheme, path, query, cookie crumbs, host', async () => {
    const { port } = await startH2c((req) =>
      json({
        method: req.method,
        protocol: req.protocol,
        authority: req.authority,
        scheme: req.scheme,
        path: req.path,
        q: req.query.get('q'),
        cookie: req.headers.get('cookie'),
        host: req.headers.get('host'),
        ua: req.headers.get('x-custom'),
      }),
    );
    const s = session(port);
    const res = await request(s, {
      ':path': '/a/b?q=1',
      ':authority': 'example.test:8443',
      cookie: ['a=1', 'b=2'],
      'x-custom': 'v',
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({
      method: 'GET',
      protocol: 'h2',
      authority: 'example.test:8443',
      scheme: 'http',
      path: '/a/b',
      q: '1',
      cookie: 'a=1; b=2',
      host: 'example.test:8443',
      ua: 'v',
    });
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.headers['content-length']).toBe(String(res.body.length));
    expect(res.headers.date).toBeTypeOf('string');
  });

  it('echoes a large request body with flow control both ways (4 MiB)', async () => {
    const { port } = await startH2c(
      async (req) => {
        const body = await req.body.bytes({ limit: 8 << 20 });
        return { status: 200, headers: new Headers(), body };
      },
      { maxBodyBytes: 8 << 20 },
    );
    const big = Buffer.alloc(4 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const s = session(port);
    const res = await request(s, { ':method': 'POST', ':path': '/echo' }, big);
    expect(res.status).toBe(200);
    expect(res.body.equals(big)).toBe(true);
  });

  it('streams a request body to a handler that reads it chunk by chunk, and streams the response', async () => {
    const { port } = await startH2c(async (req) => {
      let n = 0;
      for await (const c of req.body) n += c.length;
      async function* gen() {
        for (let i = 0; i < 5; i++) yield new TextEncoder().encode(`part${i};`);
      }
      return stream(gen(), { headers: { 'x-received': String(n) } });
    });
    const s = session(port);
    const res = await request(s, { ':method': 'POST', ':path': '/' }, [
      Buffer.alloc(100_000),
      Buffer.alloc(50_000),
    ]);
    expect(res.headers['x-received']).toBe('150000');
    expect(res.body.toString()).toBe('part0;part1;part2;part3;part4;');
  });

  it('sends late trailers and reads request trailers', async () => {
    const { port } = await startH2c(async (req) => {
      await req.body.bytes();
      const got = req.trailers?.get('x-checksum') ?? 'none';
      return {
        status: 200,
        headers: new Headers({ trailer: 'grpc-status' }),
        body: 'ok',
        trailers: () => new Headers({ 'grpc-status': '0', 'x-got': got }),
      };
    });
    const s = session(port);
    const res = await new Promise<{ trailers: Record<string, unknown>; body: string }>(
      (resolve, reject) => {
        const st = s.request({ ':method': 'POST', ':path': '/' }, { waitForTrailers: true });
        st.on('wantTrailers', () => st.sendTrailers({ 'x-checksum': 'abc' }));
        let body = '';
        let trailers = {};
        st.on('trailers', (t) => {
          trailers = t;
        });
        st.on('data', (c) => {
          body += c;
        });
        st.on('end', () => resolve({ trailers, body }));
        st.on('error', reject);
        st.end('payload');
      },
    );
    expect(res.body).toBe('ok');
    expect(res.trailers['grpc-status']).toBe('0');
    expect(res.trailers['x-got']).toBe('abc');
  });

  it('sends 103 Early Hints before the response', async () => {
    const { port } = await startH2c((req) => {
      const sent = req.sendInformational?.(103, { link: '</a.css>; rel=preload' });
      return text(String(sent));
    });
    const s = session(port);
    const hints = await new Promise<{ info: Record<string, unknown>; body: string }>(
      (resolve, reject) => {
        const st = s.request({ ':path': '/' });
        let info = {};
        st.on('headers', (h) => {
          info = h;
        });
        let body = '';
        st.on('data', (c) => {
          body += c;
        });
        st.on('end', () => resolve({ info, body }));
        st.on('error', reject);
      },
    );
    expect(hints.info[':status']).toBe(103);
    expect(hints.info['link']).toBe('</a.css>; rel=preload');
    expect(hints.body).toBe('true');
  });

  it('HEAD keeps content-length and sends no body; 204 has no body', async () => {
    const { port } = await startH2c((req) =>
      req.path === '/204' ? { status: 204, headers: new Headers(), body: null } : text('hello'),
    );
    const s = session(port);
    const head = await request(s, { ':method': 'HEAD', ':path': '/' });
    expect(head.headers['content-length']).toBe('5');
    expect(head.body.length).toBe(0);
    const none = await request(s, { ':path': '/204' });
    expect(none.status).toBe(204);
    expect(none.body.length).toBe(0);
  });

  it('answers a throwing handler with 500 and reports the error', async () => {
    const { port, errors } = await startH2c(() => {
      throw new Error('boom');
    });
    const res = await request(session(port), { ':path': '/' });
    expect(res.status).toBe(500);
    expect(res.body.toString()).toBe('Internal Server Error\n');
    expect(errors).toHaveLength(1);
  });

  it('serves 300 concurrent streams on one connection (100 at a time)', async () => {
    const { port } = await startH2c(async (req) => {
      await new Promise((r) => setTimeout(r, 5));
      return text(req.path);
    });
    const s = session(port);
    const all = await Promise.all(
      Array.from({ length: 300 }, (_, i) => request(s, { ':path': `/${i}` })),
    );
    expect(all.map((r) => r.body.toString())).toEqual(
      Array.from({ length: 300 }, (_, i) => `/${i}`),
    );
  });

  it('answers a content-length above maxBodyBytes with 413', async () => {
    const { port } = await startH2c(async (req) => text(String((await req.body.bytes()).length)), {
      maxBodyBytes: 1000,
    });
    const s = session(port);
    const res = await request(
      s,
      { ':method': 'POST', ':path': '/', 'content-length': '5000' },
      Buffer.alloc(5000),
    );
    expect(res.status).toBe(413);
    const chunked = await request(s, { ':method': 'POST', ':path': '/' }, [
      Buffer.alloc(800),
      Buffer.alloc(800),
    ]);
    expect(chunked.status).toBe(413);
    const ok = await request(s, { ':method': 'POST', ':path': '/' }, Buffer.alloc(900));
    expect(ok.body.toString()).toBe('900');
  });

  it('streams file bodies and byte ranges from disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rws-h2-file-'));
    const path = join(dir, 'data.bin');
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    writeFileSync(path, data);
    try {
      const { port } = await startH2c((req) =>
        req.path === '/range' ? file(path, { start: 1000, end: 1999 }) : file(path),
      );
      const s = session(port);
      const whole = await request(s, { ':path': '/' });
      expect(whole.body.equals(data)).toBe(true);
      expect(whole.headers['content-length']).toBe('300000');
      const part = await request(s, { ':path': '/range' });
      expect(part.body.equals(data.subarray(1000, 2000))).toBe(true);
      expect(part.headers['content-length']).toBe('1000');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flushes each server-sent event as it is produced', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { port } = await startH2c(() =>
      sse(
        (async function* () {
          yield { data: 'one' };
          await gate;
          yield { data: 'two' };
        })(),
      ),
    );
    const s = session(port);
    const st = s.request({ ':path': '/events' });
    st.setEncoding('utf8');
    const received: string[] = [];
    const ended = new Promise<void>((resolve) => st.on('end', resolve));
    await new Promise<void>((resolve) => {
      st.on('data', (c: string) => {
        received.push(c);
        if (received.join('').includes('one')) resolve();
      });
    });
    // The first event arrived while the generator is still blocked before the second.
    expect(received.join('')).toBe('data: one\n\n');
    release();
    await ended;
    expect(received.join('')).toBe('data: one\n\ndata: two\n\n');
  });

  it('aborts req.signal when the client resets the stream', async () => {
    let aborted!: () => void;
    const wasAborted = new Promise<void>((r) => {
      aborted = r;
    });
    const { port } = await startH2c((req) => {
      req.signal.addEventListener('abort', () => aborted());
      return new Promise(() => {});
    });
    const s = session(port);
    const st = s.request({ ':path': '/' });
    st.on('error', () => {});
    await new Promise((r) => setTimeout(r, 20));
    st.close(0x8);
    await wasAborted;
  });
});
