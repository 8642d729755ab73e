/**
 * Upgrade pass-through: `ws` servers as backends, `ws` and @rws/http1's `connectWebSocket`
 * as clients, all over real sockets through `reverseProxy`.
 */
import type * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { connectWebSocket } from '@rws/http1/websocket';
import { createTestCertificates } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createUpstream, getProxyInfo, reverseProxy } from '../src/index.js';
import { backend, serveProxy, sleep } from './helpers.js';
import { wsBackend } from './ws-backend.js';

function open(url: string, options?: WebSocket.ClientOptions): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    onTestFinished(() => ws.terminate());
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) =>
    ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })),
  );
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('reverseProxy: WebSocket pass-through', () => {
  it('relays text and binary messages both ways with a ws client and server', async () => {
    const b = await wsBackend();
    const proxy = await serveProxy(reverseProxy({ upstream: b.origin }));
    const ws = await open(`${proxy.replace('http', 'ws')}/chat?room=1`);
    ws.send('hello');
    const text = await nextMessage(ws);
    expect(text.isBinary).toBe(false);
    expect(text.data.toString()).toBe('hello');
    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    ws.send(bytes);
    const bin = await nextMessage(ws);
    expect(bin.isBinary).toBe(true);
    expect(Buffer.compare(bin.data, bytes)).toBe(0);
    // A message larger than one socket read crosses the tunnel intact (backpressure path).
    const big = Buffer.alloc(4 * 1024 * 1024, 7);
    ws.send(big);
    const echoed = await nextMessage(ws);
    expect(echoed.data.length).toBe(big.length);
    expect(Buffer.compare(echoed.data, big)).toBe(0);
    expect(b.seen[0]!.url).toBe('/chat?room=1');
  });

  it('passes close codes through in both directions', async () => {
    const b = await wsBackend();
    const proxy = await serveProxy(reverseProxy({ upstream: b.origin }));
    const url = proxy.replace('http', 'ws');
    const a = await open(url);
    const aClosed = closed(a);
    a.close(4001, 'client says bye');
    expect(await aClosed).toEqual({ code: 4001, reason: 'client says bye' });
    await until(() => b.closes.length === 1);
    expect(b.closes[0]).toEqual({ code: 4001, reason: 'client says bye' });

    const c = await open(url);
    const cClosed = closed(c);
    c.send('close 4002');
    expect(await cClosed).toEqual({ code: 4002, reason: 'server says bye' });
  });

  it('forwards X-Forwarded-*, Via, the backend Host and a rewritten path on the handshake', async () => {
    const b = await wsBackend();
    const proxy = await serveProxy(
      reverseProxy({ upstream: b.origin, stripPrefix: '/ws', addPrefix: '/v2' }),
    );
    const ws = await open(`${proxy.replace('http', 'ws')}/ws/feed`, {
      headers: { 'x-custom': 'kept' },
    });
    ws.send('x');
    await nextMessage(ws);
    const h = b.seen[0]!.headers;
    expect(b.seen[0]!.url).toBe('/v2/feed');
    expect(h.host).toBe(`127.0.0.1:${b.port}`);
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-forwarded-host']).toBe(new URL(proxy).host);
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h.via).toBe('1.1 rws');
    expect(h['x-custom']).toBe('kept');
    expect(h.upgrade).toBe('websocket');
    expect(h.connection?.toLowerCase()).toBe('upgrade');
    expect(h['sec-websocket-key']).toBeTypeOf('string');
  });

  it('relays the backend 101 fields: accept key, subprotocol, Via', async () => {
    const { server, origin } = await backend(() => {});
    const wss = new WebSocketServer({ server, handleProtocols: () => 'chat.v2' });
    onTestFinished(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    wss.on('connection', (socket) => socket.on('message', (m) => socket.send(m)));
    const proxy = await serveProxy(reverseProxy({ upstream: origin }));
    let head: http.IncomingMessage | null = null;
    const ws = new WebSocket(proxy.replace('http', 'ws'), ['chat.v1', 'chat.v2']);
    onTestFinished(() => ws.terminate());
    ws.once('upgrade', (res) => {
      head = res;
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(ws.protocol).toBe('chat.v2');
    const h = (head as http.IncomingMessage | null)!.headers;
    expect(h.upgrade).toBe('websocket');
    expect(h.connection?.toLowerCase()).toBe('upgrade');
    expect(h.via).toBe('1.1 rws');
  });

  it('works with @rws/http1 connectWebSocket as the client', async () => {
    const b = await wsBackend();
    const proxy = await serveProxy(reverseProxy({ upstream: b.origin }));
    const ws = await connectWebSocket(`${proxy.replace('http', 'ws')}/rws`);
    await ws.send('from rws');
    const it = ws[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe('from rws');
    await ws.send(new Uint8Array([9, 8, 7]));
    expect([...((await it.next()).value as Uint8Array)]).toEqual([9, 8, 7]);
    const info = await ws.close(4005, 'done');
    expect(info.code).toBe(4005);
    await until(() => b.closes.length === 1);
    expect(b.closes[0]!.code).toBe(4005);
  });

  it('relays a backend that refuses the upgrade as an ordinary response', async () => {
    const b = await wsBackend({ verifyClient: (_info, cb) => cb(false, 403, 'Forbidden') });
    const proxy = await serveProxy(reverseProxy({ upstream: b.origin }));
    const ws = new WebSocket(proxy.replace('http', 'ws'));
    // ws reports the refused handshake as an error too once the response is dropped.
    ws.on('error', () => {});
    onTestFinished(() => ws.terminate());
    const status = await new Promise<number>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode!));
      ws.once('open', () => reject(new Error('opened')));
    });
    expect(status).toBe(403);
    expect(b.seen).toHaveLength(0);
  });

  it('closes the backend connection when the client disconnects, and ends the accounting', async () => {
    const b = await wsBackend();
    const upstream = createUpstream({ name: 'ws', backends: [b.origin] });
    onTestFinished(() => upstream.close());
    let seenReq: Parameters<typeof getProxyInfo>[0] | null = null;
    const proxy = reverseProxy({ upstream });
    const origin = await serveProxy({
      handle: (req, next) => {
        seenReq = req;
        return proxy.handle(req, next);
      },
      close: () => proxy.close(),
    });
    const ws = await open(origin.replace('http', 'ws'));
    ws.send('ping');
    await nextMessage(ws);
    expect(upstream.backends[0]!.activeRequests).toBe(1);
    expect(getProxyInfo(seenReq!)).toMatchObject({
      upstream: 'ws',
      backend: b.origin,
      error: null,
    });
    // An abrupt disconnect (no close frame): the backend's socket must go too.
    ws.terminate();
    await until(() => b.closes.length === 1);
    expect(b.closes[0]!.code).toBe(1006);
    await until(() => upstream.backends[0]!.activeRequests === 0);
    expect(upstream.backends[0]!.failures).toBe(0);
  });

  it('closes the client connection when the backend goes away', async () => {
    const b = await wsBackend();
    const proxy = await serveProxy(reverseProxy({ upstream: b.origin }));
    const ws = await open(proxy.replace('http', 'ws'));
    const wsClosed = closed(ws);
    for (const client of b.wss.clients) client.terminate();
    expect((await wsClosed).code).toBe(1006);
  });

  it('does not forward Upgrade on a request that does not ask to upgrade', async () => {
    const b = await wsBackend();
    const proxy = await serveProxy(reverseProxy({ upstream: b.origin }));
    const { port } = new URL(proxy);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      let data = '';
      socket.on('data', (c) => {
        data += c;
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      // Upgrade without `Connection: upgrade` is not an upgrade request (RFC 9110 §7.8).
      socket.write(
        'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: close\r\n\r\n',
      );
    });
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    expect(reply).toContain('plain');
    expect(b.seen).toHaveLength(0);
  });

  it('answers 502 when the backend is down, as for any request', async () => {
    const b = await wsBackend();
    await new Promise<void>((resolve) => {
      b.server.closeAllConnections();
      b.server.close(() => resolve());
    });
    const proxy = await serveProxy(reverseProxy({ upstream: b.origin }));
    const ws = new WebSocket(proxy.replace('http', 'ws'));
    // ws reports the refused handshake as an error too once the response is dropped.
    ws.on('error', () => {});
    onTestFinished(() => ws.terminate());
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode!));
    });
    expect(status).toBe(502);
  });

  it('reaches a wss:// backend over verified TLS (SNI, CA)', async () => {
    const certs = createTestCertificates({
      prefix: 'rws-proxy-wss-',
      serverNames: ['ws.rws.test'],
    });
    onTestFinished(() => certs.cleanup());
    const server = https.createServer({ key: certs.server.key, cert: certs.server.cert });
    const wss = new WebSocketServer({ server });
    const sni: (string | false)[] = [];
    wss.on('connection', (socket, req) => {
      sni.push((req.socket as unknown as { servername: string | false }).servername);
      socket.on('message', (m) => socket.send(`tls:${m}`));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(async () => {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const port = (server.address() as net.AddressInfo).port;
    const upstream = createUpstream({
      name: 'wss',
      backends: [`https://127.0.0.1:${port}`],
      tls: { ca: certs.ca.cert, servername: 'ws.rws.test' },
    });
    onTestFinished(() => upstream.close());
    const proxy = await serveProxy(reverseProxy({ upstream }));
    const ws = await open(proxy.replace('http', 'ws'));
    ws.send('secure');
    expect((await nextMessage(ws)).data.toString()).toBe('tls:secure');
    expect(sni).toEqual(['ws.rws.test']);
  });
});
