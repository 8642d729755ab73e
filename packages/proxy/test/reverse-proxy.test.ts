import type * as http from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createUpstream, getProxyInfo, reverseProxy } from '../src/index.js';
import { backend, deadPort, serveProxy, sleep } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

async function recordingBackend(): Promise<{ origin: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const { origin } = await backend(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({
      method: req.method!,
      url: req.url!,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body,
    });
    res.writeHead(200, {
      'content-type': 'text/plain',
      connection: 'keep-alive, x-hop',
      'x-hop': 'secret',
      'keep-alive': 'timeout=5',
      'x-end': 'kept',
    });
    res.end(`${req.method} ${req.url}`);
  });
  return { origin, seen };
}

describe('reverseProxy: forwarding (RFC 9110 §7.6)', () => {
  it('forwards method, path, query and body, and relays the response', async () => {
    const { origin, seen } = await recordingBackend();
    const proxy = await serveProxy(reverseProxy({ upstream: origin }));
    const res = await fetch(`${proxy}/a/b?x=1&y=2`, { method: 'POST', body: 'hello' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('POST /a/b?x=1&y=2');
    expect(seen[0]!.body).toBe('hello');
    expect(seen[0]!.headers['content-length']).toBe('5');
  });

  it('strips hop-by-hop fields both ways, including those named in Connection', async () => {
    const { origin, seen } = await recordingBackend();
    const proxy = await serveProxy(reverseProxy({ upstream: origin }));
    const res = await rawRequest(
      proxy,
      'GET /h HTTP/1.1\r\nHost: front.example\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=9\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\nX-Kept: yes\r\n\r\n',
    );
    expect(res).toContain('HTTP/1.1 200');
    const h = seen[0]!.headers;
    expect(h['x-secret']).toBeUndefined();
    expect(h['keep-alive']).toBeUndefined();
    expect(h['te']).toBeUndefined();
    expect(h['proxy-authorization']).toBeUndefined();
    expect(h['x-kept']).toBe('yes');
    // Response side: x-hop was named in the backend's Connection header.
    const lower = res.toLowerCase();
    expect(lower).not.toContain('x-hop');
    expect(lower).not.toContain('keep-alive: timeout=5');
    expect(lower).toContain('x-end: kept');
    expect(lower).toContain('via: 1.1 rws');
  });

  it('strips hop-by-hop fields when Connection names only keep-alive or close (the shared-set path)', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const { origin } = await backend((req, res) => {
      seen.push(req.headers);
      // nginx's shape: exactly `Connection: keep-alive`.
      res.writeHead(200, {
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'x-end': 'kept',
        'content-length': '2',
      });
      res.end('ok');
    });
    const proxy = await serveProxy(reverseProxy({ upstream: origin }));
    const res = await rawRequest(
      proxy,
      'GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\nClose: 1\r\nKeep-Alive: timeout=9\r\nUpgrade: h2c\r\nX-Kept: yes\r\n\r\n',
    );
    expect(res).toContain('HTTP/1.1 200');
    const h = seen[0]!;
    // `close` is named by Connection, so a field of that name is hop-by-hop too.
    expect(h['close']).toBeUndefined();
    expect(h['keep-alive']).toBeUndefined();
    expect(h['upgrade']).toBeUndefined();
    expect(h['x-kept']).toBe('yes');
    const lower = res.toLowerCase();
    expect(lower).not.toContain('keep-alive: timeout=5');
    expect(lower).toContain('x-end: kept');
  });

  it('sets Host to the backend by default and keeps it with preserveHost', async () => {
    const { origin, seen } = await recordingBackend();
    const host = new URL(origin).host;
    const a = await serveProxy(reverseProxy({ upstream: origin }));
    await rawRequest(a, 'GET / HTTP/1.1\r\nHost: front.example\r\nConnection: close\r\n\r\n');
    expect(seen[0]!.headers.host).toBe(host);
    expect(seen[0]!.headers['x-forwarded-host']).toBe('front.example');
    const b = await serveProxy(reverseProxy({ upstream: origin, preserveHost: true }));
    await rawRequest(b, 'GET / HTTP/1.1\r\nHost: front.example\r\nConnection: close\r\n\r\n');
    expect(seen[1]!.headers.host).toBe('front.example');
  });

  it('X-Forwarded-For replaces spoofed values from untrusted peers and appends for trusted ones', async () => {
    const { origin, seen } = await recordingBackend();
    const untrusted = await serveProxy(reverseProxy({ upstream: origin }));
    await fetch(`${untrusted}/`, {
      headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' },
    });
    expect(seen[0]!.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen[0]!.headers['x-forwarded-proto']).toBe('http');
    expect(seen[0]!.headers.via).toBe('1.1 rws');
    const trusted = await serveProxy(
      reverseProxy({ upstream: origin, trustedProxies: ['127.0.0.0/8'] }),
    );
    await fetch(`${trusted}/`, {
      headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' },
    });
    expect(seen[1]!.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(seen[1]!.headers['x-forwarded-proto']).toBe('https');
  });

  it('RFC 7239 Forwarded mode, and none', async () => {
    const { origin, seen } = await recordingBackend();
    const p = await serveProxy(
      reverseProxy({ upstream: origin, forwarded: 'forwarded', via: false }),
    );
    await fetch(`${p}/`, { headers: { forwarded: 'for=6.6.6.6', 'x-forwarded-for': '6.6.6.6' } });
    expect(seen[0]!.headers.forwarded).toMatch(
      /^for=127\.0\.0\.1;proto=http;host="?127\.0\.0\.1:\d+"?$/,
    );
    expect(seen[0]!.headers['x-forwarded-for']).toBeUndefined();
    expect(seen[0]!.headers.via).toBeUndefined();
    const n = await serveProxy(reverseProxy({ upstream: origin, forwarded: 'none' }));
    await fetch(`${n}/`, { headers: { 'x-forwarded-for': '1.2.3.4' } });
    expect(seen[1]!.headers['x-forwarded-for']).toBe('1.2.3.4');
  });

  it('strips and adds path prefixes', async () => {
    const { origin, seen } = await recordingBackend();
    const p = await serveProxy(
      reverseProxy({ upstream: origin, stripPrefix: '/api', addPrefix: '/v2' }),
    );
    await fetch(`${p}/api/users?id=3`);
    await fetch(`${p}/api`);
    await fetch(`${p}/apix`);
    expect(seen.map((s) => s.url)).toEqual(['/v2/users?id=3', '/v2/', '/v2/apix']);
  });

  it('Expect: 100-continue travels end to end: the client sends its body after the backend agreed', async () => {
    const { origin } = await backend(async (req, res) => {
      let body = '';
      for await (const c of req) body += c;
      res.end(`got ${body}`);
    });
    const p = await serveProxy(reverseProxy({ upstream: origin }));
    const { connect } = await import('node:net');
    const socket = connect(Number(new URL(p).port), '127.0.0.1');
    onTestFinished(() => {
      socket.destroy();
    });
    let raw = '';
    const waitFor = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`no ${JSON.stringify(text)} in ${JSON.stringify(raw)}`)),
          3000,
        );
        const check = () => {
          if (raw.includes(text)) {
            clearTimeout(t);
            socket.off('data', onData);
            resolve();
          }
        };
        const onData = (c: Buffer) => {
          raw += c.toString('latin1');
          check();
        };
        socket.on('data', onData);
        check();
      });
    socket.write(
      'POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n',
    );
    await waitFor('HTTP/1.1 100 Continue\r\n\r\n');
    expect(raw).not.toContain('200');
    socket.write('hello');
    await waitFor('got hello');
    expect(raw).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it('relays HEAD, 204 and 304 without a body, keeping Content-Length for HEAD', async () => {
    const { origin } = await backend((req, res) => {
      if (req.url === '/204') res.writeHead(204).end();
      else if (req.url === '/304') res.writeHead(304, { etag: '"x"' }).end();
      else
        res
          .writeHead(200, { 'content-length': '11' })
          .end(req.method === 'HEAD' ? undefined : 'hello world');
    });
    const p = await serveProxy(reverseProxy({ upstream: origin }));
    const head = await rawRequest(p, 'HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(head.toLowerCase()).toContain('content-length: 11');
    expect(head.endsWith('\r\n\r\n')).toBe(true);
    expect((await fetch(`${p}/204`)).status).toBe(204);
    expect((await fetch(`${p}/304`)).status).toBe(304);
    expect(await (await fetch(`${p}/`)).text()).toBe('hello world');
  });
});

describe('reverseProxy: trailers', () => {
  it('relays the trailer fields of a chunked response', async () => {
    const { origin } = await backend((_req, res) => {
      res.writeHead(200, { trailer: 'x-checksum', 'content-type': 'text/plain' });
      res.write('part one, ');
      res.addTrailers({ 'x-checksum': 'abc123' });
      res.end('part two');
    });
    const p = await serveProxy(reverseProxy({ upstream: origin }));
    const raw = await rawRequest(p, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(raw.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(raw).toMatch(/\r\n0\r\nx-checksum: abc123\r\n\r\n$/);
  });
});

describe('reverseProxy: informational responses (issue #9)', () => {
  it("relays a backend's 103 Early Hints before the final response", async () => {
    const { origin } = await backend((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' }, () => {
        setTimeout(() => res.end('final'), 20);
      });
    });
    const p = await serveProxy(reverseProxy({ upstream: origin }));
    const raw = await rawRequest(p, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    const hints = raw.indexOf('HTTP/1.1 103 Early Hints\r\n');
    expect(hints).toBe(0);
    expect(raw.toLowerCase()).toContain('link: </style.css>; rel=preload; as=style');
    expect(raw.indexOf('HTTP/1.1 200 OK')).toBeGreaterThan(hints);
    expect(raw.endsWith('final')).toBe(true);
  });
});

describe('reverseProxy: pools', () => {
  it('proxies naming the same backend URL share one keep-alive pool', async () => {
    let connections = 0;
    const { origin, server } = await backend((_req, res) => res.end('ok'));
    server.on('connection', () => connections++);
    const one = reverseProxy({ upstream: origin });
    const two = reverseProxy({ upstream: `${origin}/` });
    const p1 = await serveProxy(one);
    const p2 = await serveProxy(two);
    for (let i = 0; i < 3; i++) {
      expect(await (await fetch(`${p1}/`)).text()).toBe('ok');
      expect(await (await fetch(`${p2}/`)).text()).toBe('ok');
    }
    expect(connections).toBe(1);
  });
});

describe('reverseProxy: streaming', () => {
  it('passes SSE events through as they arrive', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { origin } = await backend(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      await gate;
      res.end('data: two\n\n');
    });
    const p = await serveProxy(reverseProxy({ upstream: origin }));
    const res = await fetch(`${p}/events`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    // The second event is still held by the backend: the first arrived on its own.
    expect(new TextDecoder().decode(first.value)).toBe('data: one\n\n');
    release();
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toBe('data: two\n\n');
  });

  it('streams a 50 MiB body both ways with backpressure, never buffering it whole', async () => {
    const total = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    let received = 0;
    let isBackendReading = false;
    let startReading: () => void = () => {};
    const { origin } = await backend(async (req, res) => {
      if (req.method === 'POST') {
        // Hold the upload unread until the test says so: the proxy must stop pulling too.
        await new Promise<void>((r) => {
          startReading = r;
        });
        isBackendReading = true;
        for await (const c of req) received += (c as Buffer).length;
        res.end(String(received));
        return;
      }
      res.writeHead(200, { 'content-length': String(total) });
      const pump = (): void => {
        while (sent < total) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const p = await serveProxy(reverseProxy({ upstream: origin }), { maxBodyBytes: total });
    // Download: read one chunk, then stall; the backend must be held back well short of 50 MiB.
    const res = await fetch(`${p}/big`);
    const reader = res.body!.getReader();
    let got = (await reader.read()).value!.length;
    await sleep(300);
    expect(sent).toBeLessThan(16 * 1024 * 1024);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got += value.length;
    }
    expect(got).toBe(total);
    expect(sent).toBe(total);
    // Upload: the backend does not read; the client's generator must be held back likewise.
    let produced = 0;
    async function* upload() {
      while (produced < total) {
        produced += chunk.length;
        yield chunk;
      }
    }
    const up = fetch(`${p}/up`, {
      method: 'POST',
      body: ReadableStream.from(upload()),
      duplex: 'half',
    } as RequestInit);
    await sleep(300);
    expect(isBackendReading).toBe(false);
    expect(produced).toBeLessThan(16 * 1024 * 1024);
    startReading();
    expect(await (await up).text()).toBe(String(total));
  }, 30_000);
});

describe('reverseProxy: failures', () => {
  it('answers 502 with a clear body when the backend refuses connections', async () => {
    const port = await deadPort();
    let info: ReturnType<typeof getProxyInfo>;
    const proxy = reverseProxy({ upstream: `http://127.0.0.1:${port}` });
    const p = await serveProxy({
      async handle(req, next) {
        const res = await proxy.handle(req, next);
        info = getProxyInfo(req);
        return res;
      },
      close: () => proxy.close(),
    });
    const res = await fetch(`${p}/`);
    expect(res.status).toBe(502);
    expect(await res.text()).toBe('502 Bad Gateway: could not connect to the backend\n');
    expect(info!.error).toBe('RWS_PROXY_CONNECT_FAILED');
    expect(info!.attempts).toBe(1);
  });

  it('answers 504 when the response head is late, and a total timeout cuts it too', async () => {
    const { origin } = await backend(async (_req, res) => {
      await sleep(500);
      res.end('late');
    });
    const p = await serveProxy(
      reverseProxy({
        upstream: origin,
        timeouts: { responseHeadersMs: 100 },
        retry: { attempts: 1 },
      }),
    );
    const res = await fetch(`${p}/`);
    expect(res.status).toBe(504);
    expect(await res.text()).toBe('504 Gateway Timeout: the backend did not answer in time\n');
    const q = await serveProxy(reverseProxy({ upstream: origin, timeouts: { totalMs: 100 } }));
    const res2 = await fetch(`${q}/`);
    expect(res2.status).toBe(504);
    expect(await res2.text()).toContain('took too long');
  });

  it('answers 504 when the connect (TCP + TLS handshake) exceeds connectMs', async () => {
    const { createServer } = await import('node:net');
    // Accepts TCP but never answers the TLS ClientHello: the handshake part of connect stalls.
    const sockets = new Set<import('node:net').Socket>();
    const silent = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => {
      for (const s of sockets) s.destroy();
      silent.close();
    });
    const port = (silent.address() as import('node:net').AddressInfo).port;
    let info: ReturnType<typeof getProxyInfo>;
    const proxy = reverseProxy({
      upstream: `https://127.0.0.1:${port}`,
      timeouts: { connectMs: 100 },
      retry: { attempts: 1 },
    });
    const p = await serveProxy({
      async handle(req, next) {
        const res = await proxy.handle(req, next);
        info = getProxyInfo(req);
        return res;
      },
      close: () => proxy.close(),
    });
    const started = Date.now();
    const res = await fetch(`${p}/`);
    expect(res.status).toBe(504);
    expect(await res.text()).toBe('504 Gateway Timeout: connecting to the backend timed out\n');
    expect(info!.error).toBe('RWS_PROXY_CONNECT_TIMEOUT');
    // The backend never completes TLS: only the 100 ms connect timeout ends this in time.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('starts no retry after retry.deadlineMs', async () => {
    let hits = 0;
    const slow = async (_req: http.IncomingMessage, res: http.ServerResponse) => {
      hits++;
      await sleep(150);
      res.end('late');
    };
    const one = await backend(slow);
    const two = await backend(slow);
    const u = createUpstream({
      name: 'deadline',
      backends: [one.origin, two.origin],
      outlierDetection: false,
    });
    onTestFinished(() => u.close());
    const p = await serveProxy(
      reverseProxy({
        upstream: u,
        timeouts: { responseHeadersMs: 100 },
        retry: { attempts: 3, deadlineMs: 50, budgetPercent: 100 },
      }),
    );
    expect((await fetch(`${p}/`)).status).toBe(504);
    expect(hits).toBe(1);
  });

  it('cuts a response whose body stalls past bodyIdleMs', async () => {
    const { origin } = await backend((_req, res) => {
      res.writeHead(200, { 'content-length': '10' });
      res.write('12345');
    });
    const p = await serveProxy(reverseProxy({ upstream: origin, timeouts: { bodyIdleMs: 150 } }));
    const res = await fetch(`${p}/`);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  // A reset is an abort at once. A bare FIN after a complete request is a half-close, which
  // @rws/http1 answers rather than aborts (issue #9), so it is noticed when the response is
  // written: that case is the next test.
  it('a client abort cancels the upstream request (the backend sees its socket close)', async () => {
    let closed: () => void = () => {};
    const backendClosed = new Promise<void>((r) => {
      closed = r;
    });
    let arrived: () => void = () => {};
    const requestArrived = new Promise<void>((r) => {
      arrived = r;
    });
    const { origin } = await backend((req) => {
      arrived();
      req.socket.on('close', () => closed());
    });
    const p = await serveProxy(reverseProxy({ upstream: origin }));
    const { connect } = await import('node:net');
    const url = new URL(p);
    const client = connect(Number(url.port), url.hostname);
    client.on('error', () => {});
    client.write('GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await requestArrived;
    client.resetAndDestroy();
    await backendClosed;
  });

  it('a client that half-closes still gets the response (issue #9), then the backend is released', async () => {
    const { origin } = await backend((_req, res) => {
      setTimeout(() => res.end('late answer'), 200);
    });
    const p = await serveProxy(reverseProxy({ upstream: origin }));
    const text = await rawRequest(
      p,
      'GET /slow HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      true,
    );
    expect(text).toContain('late answer');
  });

  it('rejects bad options with RWS_PROXY_INVALID_OPTIONS naming the option', () => {
    expect(() => reverseProxy({ upstream: 'ftp://x' })).toThrow(
      /backends\[0\]: an http:, https:, h2:, h2s:, grpc:, grpcs: or h3: URL/,
    );
    expect(() => reverseProxy({ upstream: 'http://127.0.0.1:1', stripPrefix: 'api' })).toThrow(
      /stripPrefix/,
    );
    expect(() =>
      reverseProxy({ upstream: 'http://127.0.0.1:1', trustedProxies: ['10.0.0.0/99'] }),
    ).toThrow(expect.objectContaining({ code: 'RWS_PROXY_INVALID_OPTIONS' }));
    expect(() => createUpstream({ name: 'x', backends: [], strategy: 'fastest' as never })).toThrow(
      /strategy/,
    );
    // Validated once up front: the Via field is built per request without checks.
    expect(() => reverseProxy({ upstream: 'http://127.0.0.1:1', viaName: 'rws\r\nx: y' })).toThrow(
      /viaName/,
    );
  });
});

/** Sends raw bytes and collects the reply until the socket closes or 1 s of silence. */
async function rawRequest(origin: string, bytes: string, isHalfClose = false): Promise<string> {
  const { connect } = await import('node:net');
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let raw = '';
    let timer = setTimeout(() => socket.destroy(), 1000);
    socket.on('data', (c) => {
      raw += c.toString('latin1');
      clearTimeout(timer);
      timer = setTimeout(() => socket.destroy(), 300);
    });
    socket.on('close', () => resolve(raw));
    socket.on('error', reject);
    socket.write(bytes, 'latin1');
    if (isHalfClose) socket.end();
  });
}
