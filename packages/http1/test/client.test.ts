/**
 * The HTTP/1.1 client against node:http (and raw node:net) servers over real sockets: framing,
 * keep-alive reuse, 1xx, trailers, request bodies, backpressure.
 */
import type * as http from 'node:http';
import { Body, isRwsError } from '@rws/core';
import { describe, expect, it, vi } from 'vitest';
import { createAgent } from '../src/agent.js';
import { request } from '../src/client.js';
import { createPool, type Pool } from '../src/pool.js';
import { httpServer, onRequestHeads, rawServer, rejection, sleep } from './client-helpers.js';

function poolFor(origin: string, options?: Parameters<typeof createPool>[1]): Pool {
  const pool = createPool(origin, options);
  return pool;
}

async function readAll(req: http.IncomingMessage): Promise<string> {
  let s = '';
  for await (const chunk of req) s += chunk;
  return s;
}

describe('client: framing and keep-alive against node:http', () => {
  it('GET with Content-Length body; the socket is reused for every request', async () => {
    const { origin, connections } = await httpServer((req, res) => {
      res.setHeader('x-path', req.url ?? '');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end(`hello ${req.url}`);
    });
    const pool = poolFor(origin);
    for (let i = 0; i < 5; i++) {
      const res = await pool.request({ path: `/n/${i}?q=1` });
      expect(res.status).toBe(200);
      expect(res.statusText).toBe('OK');
      expect(res.protocol).toBe('http/1.1');
      expect(res.headers.get('x-path')).toBe(`/n/${i}?q=1`);
      expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
      expect(res.body.length).toBe(`hello /n/${i}?q=1`.length);
      expect(await res.body.text()).toBe(`hello /n/${i}?q=1`);
    }
    expect(connections()).toBe(1);
    expect(pool.stats).toMatchObject({ connected: 1, idle: 1, busy: 0, queued: 0 });
    await pool.close();
    expect(pool.stats.connected).toBe(0);
  });

  it('chunked response with trailers', async () => {
    const { origin, connections } = await httpServer((_req, res) => {
      res.setHeader('trailer', 'x-checksum');
      res.write('part1-');
      res.write('part2');
      res.addTrailers({ 'x-checksum': 'abc123' });
      res.end();
    });
    const pool = poolFor(origin);
    const res = await pool.request({ path: '/' });
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.body.length).toBe(null);
    expect(await res.body.text()).toBe('part1-part2');
    expect(res.trailers?.get('x-checksum')).toBe('abc123');
    expect(res.body.trailers()?.get('x-checksum')).toBe('abc123');
    const again = await pool.request({ path: '/' });
    await again.body.text();
    expect(connections()).toBe(1);
    await pool.close();
  });

  it('close-delimited body is read to EOF and the socket is not reused', async () => {
    const { origin, connections } = await rawServer((socket) => {
      onRequestHeads(socket, () => {
        socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end');
      });
    });
    const pool = poolFor(origin);
    const a = await pool.request({ path: '/' });
    expect(await a.body.text()).toBe('until the end');
    const b = await pool.request({ path: '/' });
    expect(await b.body.text()).toBe('until the end');
    expect(connections()).toBe(2);
    await pool.close();
  });

  it('HEAD, 204 and 304 have no body and keep the socket', async () => {
    const { origin, connections } = await httpServer((req, res) => {
      if (req.url === '/204') {
        res.statusCode = 204;
        res.end();
      } else if (req.url === '/304') {
        res.statusCode = 304;
        res.setHeader('etag', '"x"');
        res.end();
      } else {
        res.setHeader('content-length', '11');
        res.end(req.method === 'HEAD' ? undefined : 'hello world');
      }
    });
    const pool = poolFor(origin);
    const head = await pool.request({ method: 'HEAD', path: '/' });
    expect(head.headers.get('content-length')).toBe('11');
    expect(head.body.hasBody).toBe(false);
    expect(await head.body.text()).toBe('');
    const r204 = await pool.request({ path: '/204' });
    expect(r204.status).toBe(204);
    expect(await r204.body.bytes()).toHaveLength(0);
    const r304 = await pool.request({ path: '/304' });
    expect(r304.status).toBe(304);
    expect(r304.statusText).toBe('Not Modified');
    expect(await r304.body.text()).toBe('');
    const get = await pool.request({ path: '/' });
    expect(await get.body.text()).toBe('hello world');
    expect(connections()).toBe(1);
    await pool.close();
  });

  it('Connection: close and HTTP/1.0 without keep-alive are not reused', async () => {
    const { origin, connections } = await rawServer((socket) => {
      onRequestHeads(socket, (head) => {
        if (head.startsWith('GET /close')) {
          socket.write('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok');
        } else if (head.startsWith('GET /10ka')) {
          socket.write('HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 2\r\n\r\nok');
        } else {
          socket.write('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok');
        }
      });
    });
    const pool = poolFor(origin);
    const a = await pool.request({ path: '/close' });
    expect(await a.body.text()).toBe('ok');
    const b = await pool.request({ path: '/10' });
    expect(b.protocol).toBe('http/1.0');
    expect(await b.body.text()).toBe('ok');
    expect(connections()).toBe(2);
    const c = await pool.request({ path: '/10ka' });
    await c.body.text();
    const d = await pool.request({ path: '/10ka' });
    await d.body.text();
    expect(connections()).toBe(3); // HTTP/1.0 + keep-alive is reused
    await pool.close();
  });

  it('honours Keep-Alive: timeout=N from the server (timeout=1 → not kept idle)', async () => {
    const { origin, connections } = await rawServer((socket) => {
      onRequestHeads(socket, () => {
        socket.write('HTTP/1.1 200 OK\r\nkeep-alive: timeout=1\r\ncontent-length: 0\r\n\r\n');
      });
    });
    const pool = poolFor(origin);
    await (await pool.request({})).body.text();
    await (await pool.request({})).body.text();
    expect(connections()).toBe(2);
    await pool.close();
  });
});

describe('client: interim responses', () => {
  it('103 Early Hints is surfaced through onInformational', async () => {
    const { origin } = await httpServer((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.end('final');
    });
    const pool = poolFor(origin);
    const infos: Array<{ status: number; link: string | null }> = [];
    const res = await pool.request({
      path: '/',
      onInformational: (info) =>
        infos.push({ status: info.status, link: info.headers.get('link') }),
    });
    expect(infos).toEqual([{ status: 103, link: '</style.css>; rel=preload; as=style' }]);
    expect(res.status).toBe(200);
    expect(await res.body.text()).toBe('final');
    await pool.close();
  });

  it('expect: 100-continue holds the body until 100 Continue', async () => {
    const events: string[] = [];
    const { server, origin } = await httpServer((req, res) => {
      void readAll(req).then((body) => res.end(`got ${body}`));
    });
    server.on('checkContinue', (req, res) => {
      events.push(`expect ${req.headers.expect}`);
      setTimeout(() => {
        events.push('continue');
        res.writeContinue();
        server.emit('request', req, res);
      }, 50);
    });
    const pool = poolFor(origin);
    const statuses: number[] = [];
    const res = await pool.request({
      method: 'POST',
      path: '/',
      body: 'payload',
      expectContinue: true,
      onInformational: (info) => statuses.push(info.status),
    });
    expect(await res.body.text()).toBe('got payload');
    expect(events).toEqual(['expect 100-continue', 'continue']);
    expect(statuses).toEqual([100]);
    await pool.close();
  });

  it('a final response instead of 100 Continue skips the body and drops the socket', async () => {
    const { server, origin, connections } = await httpServer((_req, res) => res.end('x'));
    server.on('checkContinue', (_req, res) => {
      res.statusCode = 417;
      res.end('no');
    });
    const pool = poolFor(origin);
    const res = await pool.request({
      method: 'PUT',
      path: '/',
      body: 'big',
      headers: { expect: '100-continue' },
    });
    expect(res.status).toBe(417);
    expect(await res.body.text()).toBe('no');
    const next = await pool.request({ path: '/' });
    expect(await next.body.text()).toBe('x');
    expect(connections()).toBe(2);
    // A streaming body that will never be sent is released.
    let isReleased = false;
    const held = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('never sent'));
      },
      cancel() {
        isReleased = true;
      },
    });
    const refused = await pool.request({ method: 'PUT', body: held, expectContinue: true });
    expect(refused.status).toBe(417);
    await refused.body.text();
    await vi.waitFor(() => expect(isReleased).toBe(true));
    await pool.close();
  });
});

describe('client: request bodies', () => {
  it('string and bytes bodies are sent with Content-Length; streams chunked', async () => {
    const { origin } = await httpServer((req, res) => {
      void readAll(req).then((body) => {
        res.end(
          JSON.stringify({
            cl: req.headers['content-length'] ?? null,
            te: req.headers['transfer-encoding'] ?? null,
            body,
          }),
        );
      });
    });
    const pool = poolFor(origin);
    const s = await pool.request({ method: 'POST', path: '/', body: 'héllo' });
    expect(await s.body.json()).toEqual({ cl: '6', te: null, body: 'héllo' });
    const b = await pool.request({ method: 'PUT', path: '/', body: new Uint8Array([65, 66]) });
    expect(await b.body.json()).toEqual({ cl: '2', te: null, body: 'AB' });
    async function* gen(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('one,');
      await sleep(5);
      yield Buffer.from('two');
    }
    const g = await pool.request({ method: 'POST', path: '/', body: gen() });
    expect(await g.body.json()).toEqual({ cl: null, te: 'chunked', body: 'one,two' });
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('web'));
        c.close();
      },
    });
    const w = await pool.request({ method: 'POST', path: '/', body: stream });
    expect(await w.body.json()).toEqual({ cl: null, te: 'chunked', body: 'web' });
    const e = await pool.request({ method: 'POST', path: '/' });
    expect(await e.body.json()).toEqual({ cl: '0', te: null, body: '' });
    const known = await pool.request({
      method: 'POST',
      path: '/',
      headers: { 'content-length': '4' },
      body: gen2(),
    });
    expect(await known.body.json()).toEqual({ cl: '4', te: null, body: 'abcd' });
    await pool.close();
  });

  it('a core Body is forwarded as is (what a proxy does): its length picks the framing', async () => {
    const { origin } = await httpServer((req, res) => {
      void readAll(req).then((body) => {
        res.end(
          `${req.headers['content-length'] ?? '-'} ${req.headers['transfer-encoding'] ?? '-'} ${body}`,
        );
      });
    });
    const pool = poolFor(origin);
    const known = await pool.request({ method: 'POST', body: Body.from('forwarded') });
    expect(await known.body.text()).toBe('9 - forwarded');
    const unknown = await pool.request({ method: 'POST', body: Body.from(gen2()) });
    expect(await unknown.body.text()).toBe('- chunked abcd');
    // A response body of one request becomes the request body of the next.
    const upstream = await pool.request({ method: 'POST', body: 'relay' });
    const relayed = await pool.request({ method: 'POST', body: upstream.body });
    expect(await relayed.body.text()).toBe('9 - 5 - relay');
    await pool.close();
  });

  it('a stream shorter than its content-length fails with REQUEST_BODY_LENGTH_MISMATCH', async () => {
    const { origin } = await httpServer((req, res) => {
      void readAll(req).then(() => res.end());
    });
    const pool = poolFor(origin);
    const err = await rejection(
      pool.request({ method: 'POST', headers: { 'content-length': '10' }, body: gen2() }),
    );
    expect(isRwsError(err, 'RWS_HTTP1_REQUEST_BODY_LENGTH_MISMATCH')).toBe(true);
    await pool.destroy();
  });

  it('a request body stream that throws fails with REQUEST_BODY_FAILED and drops the socket', async () => {
    const { origin } = await httpServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('never'));
    });
    const pool = poolFor(origin);
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('first');
      await sleep(5);
      throw new Error('disk went away');
    }
    const err = await rejection(pool.request({ method: 'POST', body: broken() }));
    expect(isRwsError(err, 'RWS_HTTP1_REQUEST_BODY_FAILED'), err.message).toBe(true);
    expect((err.cause as Error).message).toBe('disk went away');
    await vi.waitFor(() => expect(pool.stats.connected).toBe(0));
    await pool.close();
  });

  it('rejects invalid request options', async () => {
    const pool = poolFor('http://127.0.0.1:1');
    for (const options of [
      { method: 'G T' },
      { method: 'CONNECT' },
      { method: 'CONNECT', path: '/x' },
      { method: 'CONNECT', path: 'h:1', body: 'x' },
      { path: 'no-slash' },
      { path: '/a b' },
      { headers: { upgrade: 'websocket' }, body: 'x' },
      { headers: { connection: 'upgrade' } },
      { headers: { 'content-length': '1', 'transfer-encoding': 'chunked' } },
      { body: 'abc', headers: { 'content-length': '2' } },
    ]) {
      const err = await rejection(pool.request(options));
      expect(err.code, JSON.stringify(options)).toMatch(
        /^RWS_HTTP1_(INVALID_REQUEST_OPTIONS|REQUEST_BODY_LENGTH_MISMATCH)$/,
      );
    }
    await pool.close();
  });

  it('the server can answer while the request body is still streaming (full duplex)', async () => {
    const { origin } = await httpServer((req, res) => {
      res.writeHead(200);
      req.pipe(res);
    });
    const pool = poolFor(origin);
    const chunk = Buffer.alloc(64 * 1024, 97);
    async function* big(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 64; i++) yield chunk;
    }
    const res = await pool.request({ method: 'POST', body: big() });
    const bytes = await res.body.bytes({ limit: 8 * 1024 * 1024 });
    expect(bytes.byteLength).toBe(64 * 64 * 1024);
    await pool.close();
  });
});

async function* gen2(): AsyncGenerator<Uint8Array> {
  yield Buffer.from('ab');
  yield Buffer.from('cd');
}

describe('client: streaming with backpressure', () => {
  it('pauses the socket while the consumer does not read (the server sees a full buffer)', async () => {
    const total = 32 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 120);
    let written = 0;
    let blocked = false;
    const { origin } = await httpServer((_req, res) => {
      res.setHeader('content-length', String(total));
      const pump = (): void => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) {
            blocked = true;
            res.once('drain', () => {
              blocked = false;
              pump();
            });
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const pool = poolFor(origin);
    const res = await pool.request({ path: '/' });
    // Nothing read: the server gets stuck on a full socket, far from the end.
    await vi.waitFor(() => expect(blocked).toBe(true), { timeout: 10_000 });
    await sleep(200);
    expect(blocked).toBe(true);
    expect(written).toBeLessThan(total / 2);
    const writtenWhilePaused = written;
    await sleep(100);
    expect(written).toBe(writtenWhilePaused);
    let received = 0;
    for await (const c of res.body) received += c.byteLength;
    expect(received).toBe(total);
    await pool.close();
  });
});

describe('client: request() and Agent', () => {
  it('request({ url }) uses a per-origin pool of the agent', async () => {
    const a = await httpServer((req, res) => res.end(`A${req.url}`));
    const b = await httpServer((req, res) => res.end(`B${req.url}`));
    const agent = createAgent({ maxSockets: 2 });
    const r1 = await request({ agent, url: `${a.origin}/x?y=1` });
    expect(await r1.body.text()).toBe('A/x?y=1');
    const r2 = await request({ agent, origin: b.origin, path: '/z' });
    expect(await r2.body.text()).toBe('B/z');
    const r3 = await agent.request({ url: `${a.origin}/again` });
    expect(await r3.body.text()).toBe('A/again');
    expect(a.connections()).toBe(1);
    expect(agent.getPool(a.origin).stats.idle).toBe(1);
    await agent.close();
    const err = await rejection(agent.request({ url: `${a.origin}/` }));
    expect(isRwsError(err, 'RWS_HTTP1_POOL_CLOSED')).toBe(true);
  });

  it('request() with the global agent', async () => {
    const a = await httpServer((_req, res) => res.end('global'));
    const res = await request({ url: `${a.origin}/` });
    expect(await res.body.text()).toBe('global');
  });
});
