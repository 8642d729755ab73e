import { Body, DEFAULT_BODY_LIMIT, Headers, RwsError } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { exchange, pause, rawSocket, readUntil, start, text } from './helpers.js';

const GET = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';

describe('keep-alive and Connection (RFC 9112 §9)', () => {
  it('keeps HTTP/1.1 connections open and answers requests on the same socket', async () => {
    let n = 0;
    const { port } = await start(() => text(`r${++n}`));
    const socket = await rawSocket(port);
    socket.write(GET);
    const first = await readUntil(socket, (raw) => raw.endsWith('r1'));
    expect(first).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(first).toContain('content-length: 2\r\n');
    expect(first).toMatch(/date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
    expect(first).not.toContain('connection:');
    socket.write(GET);
    expect(await readUntil(socket, (raw) => raw.endsWith('r2'))).toContain('200 OK');
    expect(socket.destroyed).toBe(false);
  });

  it('closes after `Connection: close` and says so', async () => {
    const { port } = await start(() => text('x'));
    const r = await exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(r.closed).toBe(true);
    expect(r.responses).toHaveLength(1);
    expect(r.responses[0]!.headers['connection']).toBe('close');
  });

  it('closes when the handler sets `Connection: close`', async () => {
    const { port } = await start(() => text('x', 200, { connection: 'close' }));
    const r = await exchange(port, GET);
    expect(r.closed).toBe(true);
    expect(r.responses[0]!.headers['connection']).toBe('close');
  });

  it('closes HTTP/1.0 by default and keeps it with `Connection: keep-alive`', async () => {
    const { port } = await start(() => text('x'));
    const closed = await exchange(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(closed.closed).toBe(true);
    expect(closed.raw.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    const kept = await exchange(port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', {
      responses: 1,
    });
    expect(kept.closed).toBe(false);
    expect(kept.responses[0]!.headers['connection']).toBe('keep-alive');
  });

  it('closes after maxRequestsPerConnection', async () => {
    const { port } = await start(() => text('x'), { maxRequestsPerConnection: 2 });
    const r = await exchange(port, GET + GET + GET);
    expect(r.responses).toHaveLength(2);
    expect(r.responses[0]!.headers['connection']).toBeUndefined();
    expect(r.responses[1]!.headers['connection']).toBe('close');
    expect(r.closed).toBe(true);
  });

  it('refuses connections beyond maxConnections', async () => {
    const { port, server } = await start(() => text('x'), { maxConnections: 1 });
    const first = await rawSocket(port);
    first.write(GET);
    await readUntil(first, (raw) => raw.endsWith('x'));
    const second = await exchange(port, GET);
    expect(second.closed).toBe(true);
    expect(second.responses).toHaveLength(0);
    expect(server.connectionCount).toBe(1);
  });

  it('sends the Server header when configured', async () => {
    const { port } = await start(() => text('x'), { serverHeader: 'rws' });
    const r = await exchange(port, GET, { responses: 1 });
    expect(r.responses[0]!.headers['server']).toBe('rws');
  });
});

describe('pipelining (RFC 9112 §9.3.2)', () => {
  it('answers pipelined requests in order, even when earlier ones are slower', async () => {
    const { port } = await start(async (req) => {
      const ms = Number(req.query.get('ms'));
      await pause(ms);
      return text(req.path);
    });
    const input =
      'GET /a?ms=40 HTTP/1.1\r\nHost: a\r\n\r\n' +
      'POST /b?ms=0 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz' +
      'GET /c?ms=20 HTTP/1.1\r\nHost: a\r\n\r\n' +
      'GET /d?ms=0 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
    const r = await exchange(port, input);
    expect(r.responses.map((x) => x.body)).toEqual(['/a', '/b', '/c', '/d']);
    expect(r.closed).toBe(true);
  });

  it('answers 100 synchronous pipelined requests sent in one write', async () => {
    const { port } = await start((req) => text(req.path));
    let input = '';
    for (let i = 0; i < 100; i++) input += `GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`;
    const r = await exchange(port, input, { responses: 100 });
    expect(r.responses.map((x) => x.body)).toEqual(Array.from({ length: 100 }, (_, i) => `/${i}`));
  });

  it('stops parsing pipelined requests while the client does not read the responses', async () => {
    let handled = 0;
    const big = 'x'.repeat(8 * 1024);
    const { port } = await start(() => {
      handled++;
      return text(big);
    });
    const socket = await rawSocket(port);
    socket.pause();
    const count = 4000; // 32 MiB of responses
    socket.write(GET.repeat(count));
    await pause(300);
    expect(handled).toBeLessThan(count / 2);
    let received = 0;
    socket.on('data', (d: Buffer) => {
      received += d.length;
    });
    socket.resume();
    await readUntil(socket, () => handled === count && received >= count * big.length, 15_000);
    expect(handled).toBe(count);
  });

  it('discards an unread request body before the next pipelined request', async () => {
    const { port } = await start((req) => text(req.path));
    const input =
      'POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' +
      'POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
      'GET /c HTTP/1.1\r\nHost: a\r\n\r\n';
    const r = await exchange(port, input, { responses: 3, parts: undefined });
    expect(r.responses.map((x) => x.body)).toEqual(['/a', '/b', '/c']);
  });
});

describe('request bodies', () => {
  it('reads Content-Length and chunked bodies and surfaces trailers', async () => {
    const { port } = await start(async (req) => {
      const body = await req.body.text();
      return text(
        JSON.stringify({ body, trailers: req.trailers?.toJSON() ?? null, length: req.body.length }),
      );
    });
    const r = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' +
        'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n',
      { responses: 2 },
    );
    expect(JSON.parse(r.responses[0]!.body)).toEqual({ body: 'hello', trailers: null, length: 5 });
    expect(JSON.parse(r.responses[1]!.body)).toEqual({
      body: 'abcde',
      trailers: { 'x-sum': '5' },
      length: null,
    });
  });

  it('applies a per-request limit (bytes({ limit })) with 413 before reading', async () => {
    const { port } = await start(async (req) =>
      text(String((await req.body.bytes({ limit: 4 })).length)),
    );
    // A small body that already arrived is dropped and the connection stays usable.
    const small = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab',
      { responses: 2 },
    );
    expect(small.responses.map((x) => x.status)).toEqual([413, 200]);
    // A large announced body is refused before a byte of it is sent, then the connection closes.
    const large = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n',
    );
    expect(large.responses[0]!.status).toBe(413);
    expect(large.responses[0]!.headers['connection']).toBe('close');
    expect(large.closed).toBe(true);
  });

  describe('read limit and transport cap are separate (issue #9)', () => {
    const big = JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) });
    const post = (port: number, path: string) =>
      fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body: big });

    it('a raised maxBodyBytes leaves json() at DEFAULT_BODY_LIMIT; streaming reads the rest', async () => {
      const { port } = await start(
        async (req) => {
          if (req.path === '/stream') {
            let n = 0;
            for await (const chunk of req.body) n += chunk.byteLength;
            return text(String(n));
          }
          if (req.path === '/limit') {
            const value = await req.body.json<{ pad: string }>({ limit: 4 * 1024 * 1024 });
            return text(String(value.pad.length));
          }
          await req.body.json();
          return text('read');
        },
        { maxBodyBytes: Number.MAX_SAFE_INTEGER },
      );
      const json = await post(port, '/json');
      expect(json.status).toBe(413);
      expect(await json.text()).toBe(
        `request body is larger than the limit of ${DEFAULT_BODY_LIMIT} bytes\n`,
      );
      const streamed = await post(port, '/stream');
      expect(await streamed.text()).toBe(String(big.length));
      const perCall = await post(port, '/limit');
      expect(await perCall.text()).toBe(String(2 * 1024 * 1024));
    });

    it('bodyLimit sets the default read limit per server', async () => {
      const { port } = await start(async (req) => text(String((await req.body.text()).length)), {
        maxBodyBytes: 8 * 1024 * 1024,
        bodyLimit: 3 * 1024 * 1024,
      });
      expect(await (await post(port, '/')).text()).toBe(String(big.length));
      const { port: small } = await start(
        async (req) => text(String((await req.body.text()).length)),
        { maxBodyBytes: 8 * 1024 * 1024, bodyLimit: 1024 },
      );
      expect((await post(small, '/')).status).toBe(413);
    });
  });

  it('fails a chunked body mid-stream past maxBodyBytes (413, then close)', async () => {
    let error: unknown;
    const { port } = await start(
      async (req) => {
        try {
          await req.body.bytes();
        } catch (err) {
          error = err;
          throw err;
        }
        return text('no');
      },
      { maxBodyBytes: 10 },
    );
    const r = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n01234567\r\n0\r\n\r\n',
    );
    expect(r.responses[0]!.status).toBe(413);
    expect(r.closed).toBe(true);
    expect((error as RwsError).status).toBe(413);
  });

  it('pauses the socket while the handler does not read (backpressure)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let received = 0;
    const { port } = await start(
      async (req) => {
        await gate;
        for await (const chunk of req.body) received += chunk.byteLength;
        return text(String(received));
      },
      { maxBodyBytes: 64 * 1024 * 1024, bodyHighWaterMark: 16 * 1024 },
    );
    const socket = await rawSocket(port);
    const total = 32 * 1024 * 1024;
    socket.write(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${total}\r\n\r\n`);
    const chunk = Buffer.alloc(1024 * 1024, 97);
    let written = 0;
    let blocked = false;
    while (written < total) {
      const ok = socket.write(chunk);
      written += chunk.length;
      if (!ok) {
        const drained = await Promise.race([
          new Promise((resolve) => socket.once('drain', () => resolve(true))),
          pause(300).then(() => false),
        ]);
        if (!drained) {
          blocked = true;
          break;
        }
      }
    }
    // The server stopped reading: the client could not write 32 MiB into the void.
    expect(blocked).toBe(true);
    release();
    for (; written < total; written += chunk.length) {
      if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
    }
    const raw = await readUntil(socket, (r) => r.endsWith(String(total)), 10_000);
    expect(raw).toContain('200 OK');
  });
});

describe('Expect: 100-continue (RFC 9110 §10.1.1)', () => {
  it('sends 100 Continue only when the handler starts reading', async () => {
    const { port } = await start(async (req) => {
      await pause(100);
      return text(await req.body.text());
    });
    const socket = await rawSocket(port);
    socket.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    const started = Date.now();
    const interim = await readUntil(socket, (raw) => raw.includes('\r\n\r\n'));
    expect(interim).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
    socket.write('hello');
    expect(await readUntil(socket, (raw) => raw.endsWith('hello'))).toMatch(/^HTTP\/1\.1 200 OK/);
  });

  it('answers without 100 Continue (and closes) when the handler ignores the body', async () => {
    const { port } = await start(() => text('nope', 403));
    const r = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n',
    );
    expect(r.raw.startsWith('HTTP/1.1 403 Forbidden\r\n')).toBe(true);
    expect(r.raw).not.toContain('100 Continue');
    expect(r.closed).toBe(true);
  });

  it('answers 413 instead of 100 Continue when Content-Length is too large', async () => {
    const { port } = await start(async (req) => text(await req.body.text()), { maxBodyBytes: 4 });
    const r = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n',
    );
    expect(r.raw.startsWith('HTTP/1.1 413 Content Too Large\r\n')).toBe(true);
    expect(r.closed).toBe(true);
  });
});

describe('responses', () => {
  it('never sends a body for HEAD, 204 and 304', async () => {
    const { port } = await start((req) => {
      if (req.path === '/204') return { status: 204, headers: new Headers(), body: 'ignored' };
      if (req.path === '/304')
        return { status: 304, headers: new Headers({ etag: '"x"' }), body: 'ignored' };
      return text('hello');
    });
    const r = await exchange(
      port,
      'HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /204 HTTP/1.1\r\nHost: a\r\n\r\nGET /304 HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
      { responses: 4, headRequests: [true] },
    );
    expect(r.responses.map((x) => x.status)).toEqual([200, 204, 304, 200]);
    expect(r.responses[0]!.headers['content-length']).toBe('5');
    expect(r.responses[1]!.headers['content-length']).toBeUndefined();
    expect(r.responses[1]!.headers['transfer-encoding']).toBeUndefined();
    expect(r.responses[3]!.body).toBe('hello');
    expect(r.raw).not.toContain('ignored');
  });

  it('sends a 205 without its body and with Content-Length: 0 (issue #9, RFC 9110 §15.3.6)', async () => {
    const { port } = await start((req) => ({
      status: 205,
      headers: new Headers(req.path === '/cl' ? { 'content-length': '7' } : {}),
      body: req.path === '/stream' ? Body.from('ignored') : 'ignored',
    }));
    const r = await exchange(
      port,
      'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /cl HTTP/1.1\r\nHost: a\r\n\r\nGET /stream HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\n',
      { responses: 4, headRequests: [false, false, false, true] },
    );
    expect(r.responses.map((x) => [x.status, x.headers['content-length'], x.body])).toEqual([
      [205, '0', ''],
      [205, '0', ''],
      [205, '0', ''],
      [205, '0', ''],
    ]);
    expect(r.responses[0]!.headers['transfer-encoding']).toBeUndefined();
    expect(r.raw).not.toContain('ignored');
  });

  it('streams bodies of unknown length chunked on 1.1 and close-delimited on 1.0', async () => {
    const { port } = await start(() => ({
      status: 200,
      headers: new Headers(),
      body: (async function* () {
        yield Buffer.from('ab');
        yield Buffer.from('cd');
      })(),
    }));
    const chunked = await exchange(port, GET, { responses: 1 });
    expect(chunked.responses[0]!.headers['transfer-encoding']).toBe('chunked');
    expect(chunked.raw.endsWith('\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n')).toBe(true);
    const http10 = await exchange(port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    expect(http10.closed).toBe(true);
    expect(http10.responses[0]!.headers['connection']).toBe('close');
    expect(http10.responses[0]!.body).toBe('abcd');
  });

  it('sends Uint8Array, ReadableStream and response trailers', async () => {
    const { port } = await start((req) => {
      if (req.path === '/bytes')
        return { status: 200, headers: new Headers(), body: new Uint8Array([104, 105]) };
      if (req.path === '/web')
        return {
          status: 200,
          headers: new Headers(),
          body: new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(new TextEncoder().encode('web'));
              c.close();
            },
          }),
        };
      return {
        status: 200,
        headers: new Headers(),
        body: 'with-trailers',
        trailers: new Headers({ 'x-checksum': 'abc' }),
      };
    });
    const r = await exchange(
      port,
      'GET /bytes HTTP/1.1\r\nHost: a\r\n\r\nGET /web HTTP/1.1\r\nHost: a\r\n\r\nGET /t HTTP/1.1\r\nHost: a\r\n\r\n',
      { responses: 3 },
    );
    expect(r.responses.map((x) => x.body)).toEqual(['hi', 'web', 'with-trailers']);
    expect(r.raw).toContain('0\r\nx-checksum: abc\r\n\r\n');
  });

  it('uses the handler Content-Length for a stream and writes UTF-8 text', async () => {
    const { port } = await start(() => ({
      status: 200,
      headers: new Headers({ 'content-length': '3' }),
      body: (async function* () {
        yield Buffer.from('abc');
      })(),
    }));
    const r = await exchange(port, GET, { responses: 1 });
    expect(r.responses[0]!.headers['content-length']).toBe('3');
    expect(r.responses[0]!.headers['transfer-encoding']).toBeUndefined();
    const utf = await start(() => text('héllo'));
    const u = await exchange(utf.port, GET, { responses: 1 });
    expect(u.responses[0]!.headers['content-length']).toBe('6');
  });
});

describe('handler errors', () => {
  it('maps errors with a status, hides the rest behind 500 and reports it', async () => {
    const reported: unknown[] = [];
    const { port } = await start(
      (req) => {
        if (req.path === '/teapot')
          throw new RwsError('RWS_TEST_TEAPOT', 'short and stout', { status: 418 });
        if (req.path === '/hidden')
          throw new RwsError('RWS_TEST_HIDDEN', 'secret', { status: 400, expose: false });
        if (req.path === '/async') return Promise.reject(new Error('db password is hunter2'));
        throw new Error('boom with secrets');
      },
      { onError: (err) => reported.push(err) },
    );
    const r = await exchange(
      port,
      'GET /teapot HTTP/1.1\r\nHost: a\r\n\r\nGET /hidden HTTP/1.1\r\nHost: a\r\n\r\nGET /async HTTP/1.1\r\nHost: a\r\n\r\nGET /sync HTTP/1.1\r\nHost: a\r\n\r\n',
      { responses: 4 },
    );
    expect(r.responses.map((x) => [x.status, x.body])).toEqual([
      [418, 'short and stout\n'],
      [400, 'Bad Request\n'],
      [500, 'Internal Server Error\n'],
      [500, 'Internal Server Error\n'],
    ]);
    expect(reported).toHaveLength(2);
    expect(r.closed).toBe(false);
  });

  it('answers 500 for a handler that returns something that is not a response', async () => {
    const reported: unknown[] = [];
    const { port } = await start(() => ({ nope: true }) as never, {
      onError: (err) => reported.push(err),
    });
    const r = await exchange(port, GET, { responses: 1 });
    expect(r.responses[0]!.status).toBe(500);
    expect((reported[0] as RwsError).code).toBe('RWS_HTTP1_INVALID_RESPONSE');
  });
});

describe('the request object', () => {
  it('exposes method, target, path, search, query, headers, protocol and conn', async () => {
    const { port } = await start((req) =>
      text(
        JSON.stringify({
          method: req.method,
          target: req.target,
          path: req.path,
          search: req.search,
          q: req.query.get('q'),
          ua: req.headers.get('User-Agent'),
          protocol: req.protocol,
          remote: req.conn.remoteAddress,
          local: req.conn.localPort,
          tls: req.conn.tls,
          id: typeof req.conn.id,
          params: req.params,
        }),
      ),
    );
    const r = await exchange(
      port,
      'PATCH /a/b?q=1&r=2 HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\n\r\n',
      { responses: 1 },
    );
    expect(JSON.parse(r.responses[0]!.body)).toEqual({
      method: 'PATCH',
      target: '/a/b?q=1&r=2',
      path: '/a/b',
      search: 'q=1&r=2',
      q: '1',
      ua: 't',
      protocol: 'http/1.1',
      remote: '127.0.0.1',
      local: port,
      tls: null,
      id: 'number',
      params: {},
    });
  });
});
