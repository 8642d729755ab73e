/**
 * Issue #14: WebSockets relayed to HTTP/2 backends as extended CONNECT (RFC 8441), over real
 * sockets. Clients: the `ws` package (HTTP/1.1 Upgrade) in front of an @rws/http1 proxy, and
 * @rws/h2's Http2Client (extended CONNECT) in front of an @rws/h2 proxy. Backends: our own
 * Http2Server with `upgradeWebSocket`, node:http2 (nghttp2) with enableConnectProtocol
 * carrying @rws/http1's codec on its stream, and node:http2 carrying the `ws` package's
 * WebSocket (no rws code on the backend at all).
 */
import { once } from 'node:events';
import * as http2 from 'node:http2';
import { Duplex } from 'node:stream';
import { type Handler, Headers } from '@rws/core';
import { Http2Client, Http2Server } from '@rws/h2';
import { WebSocket as RwsWebSocket, upgradeWebSocket } from '@rws/http1/websocket';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { getProxyInfo, type ProxyInfo, reverseProxy } from '../src/index.js';
import { serveProxy } from './helpers.js';

interface H2Backend {
  url: string;
  /** `:path` and `sec-websocket-*` fields of each extended CONNECT the backend got. */
  seen: {
    path: string;
    protocol: string | null;
    key: string | null;
    subprotocols: string | null;
  }[];
  /** Close codes and reasons the backend's sockets ended with. */
  closes: { code: number; reason: string }[];
}

/**
 * Our Http2Server as an h2c backend: echoes, closes with `<code>` on `close <code>`, refuses
 * `/forbidden` with 403 and speaks the `chat.v2` subprotocol.
 */
async function rwsH2Backend(): Promise<H2Backend> {
  const b: H2Backend = { url: '', seen: [], closes: [] };
  const handler: Handler = (req) => {
    b.seen.push({
      path: req.target,
      protocol: req.upgrade?.protocol ?? null,
      key: req.headers.get('sec-websocket-key'),
      subprotocols: req.headers.get('sec-websocket-protocol'),
    });
    if (req.path === '/forbidden') {
      return { status: 403, headers: new Headers({ 'x-reason': 'room closed' }), body: 'no entry' };
    }
    return upgradeWebSocket(req, {
      protocols: ['chat.v2'],
      onMessage: (message, ws) => {
        const close = typeof message === 'string' ? /^close (\d+)$/.exec(message) : null;
        if (close !== null) return ws.close(Number(close[1]), 'asked to');
        return ws.send(message);
      },
      onClose: (info) => {
        b.closes.push({ code: info.code, reason: info.reason });
      },
    });
  };
  const server = new Http2Server(handler, { enableConnectProtocol: true, onError: () => {} });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => server.close({ graceMs: 100 }));
  b.url = `h2://127.0.0.1:${port}`;
  return b;
}

/** node:http2 with enableConnectProtocol as the backend; our codec on its streams echoes. */
async function nodeH2Backend(): Promise<H2Backend> {
  const b: H2Backend = { url: '', seen: [], closes: [] };
  const server = http2.createServer({ settings: { enableConnectProtocol: true } });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => sessions.add(s));
  server.on('stream', (stream, headers) => {
    b.seen.push({
      path: String(headers[':path']),
      protocol: (headers[':protocol'] as string | undefined) ?? null,
      key: (headers['sec-websocket-key'] as string | undefined) ?? null,
      subprotocols: (headers['sec-websocket-protocol'] as string | undefined) ?? null,
    });
    stream.respond({ ':status': 200 });
    const ws = new RwsWebSocket(Duplex.toWeb(stream) as never, {
      isServer: true,
      onMessage: (message, socket) => {
        const close = typeof message === 'string' ? /^close (\d+)$/.exec(message) : null;
        if (close !== null) return socket.close(Number(close[1]), 'asked to');
        return socket.send(message);
      },
      onClose: (info) => {
        b.closes.push({ code: info.code, reason: info.reason });
      },
    });
    void ws.closed;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.destroy();
      }),
  );
  b.url = `h2://127.0.0.1:${(server.address() as { port: number }).port}`;
  return b;
}

/**
 * node:http2 with enableConnectProtocol carrying the `ws` package's server-side WebSocket on
 * each stream (ws takes any Duplex as its socket): both the h2 framing and the WebSocket codec
 * are third-party here.
 */
async function wsOnNodeH2Backend(): Promise<H2Backend> {
  const b: H2Backend = { url: '', seen: [], closes: [] };
  const server = http2.createServer({ settings: { enableConnectProtocol: true } });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => sessions.add(s));
  server.on('stream', (stream, headers) => {
    b.seen.push({
      path: String(headers[':path']),
      protocol: (headers[':protocol'] as string | undefined) ?? null,
      key: (headers['sec-websocket-key'] as string | undefined) ?? null,
      subprotocols: (headers['sec-websocket-protocol'] as string | undefined) ?? null,
    });
    stream.respond({ ':status': 200 });
    // A server-side ws socket (no address) on the stream, as WebSocketServer sets one up,
    // with WebSocketServer's closeTimeout: without it ws 8.23 arms its close timer with
    // `undefined` (about 1 ms) and resets the stream before the client's Close reply arrives.
    const ws = new WebSocket(null as unknown as string, undefined, {
      closeTimeout: 30_000,
    } as never) as WebSocket & {
      setSocket(socket: unknown, head: Buffer, options: { maxPayload: number }): void;
    };
    ws.setSocket(stream, Buffer.alloc(0), { maxPayload: 64 * 1024 * 1024 });
    ws.on('message', (data, isBinary) => {
      const close = isBinary ? null : /^close (\d+)$/.exec(String(data));
      if (close !== null) ws.close(Number(close[1]), 'asked to');
      else ws.send(data, { binary: isBinary });
    });
    ws.on('close', (code, reason) => b.closes.push({ code, reason: reason.toString() }));
    ws.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.destroy();
      }),
  );
  b.url = `h2://127.0.0.1:${(server.address() as { port: number }).port}`;
  return b;
}

function open(url: string, protocols?: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
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

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A `ws` client's upgrade that the proxy answers with a plain response (not 101). */
async function refusedUpgrade(url: string): Promise<import('node:http').IncomingMessage> {
  const ws = new WebSocket(url);
  // After an unexpected response `ws` leaves the request to us (terminate would throw).
  ws.on('error', () => {});
  const [, res] = (await once(ws, 'unexpected-response')) as [
    unknown,
    import('node:http').IncomingMessage,
  ];
  return res;
}

/** `proxy` served on @rws/http1, remembering the ProxyInfo of the last request. */
async function serveRecording(
  proxy: ReturnType<typeof reverseProxy>,
): Promise<{ url: string; info: () => ProxyInfo | undefined }> {
  let info: ProxyInfo | undefined;
  const url = await serveProxy({
    async handle(req, next) {
      try {
        return await proxy.handle(req, next);
      } finally {
        info = getProxyInfo(req);
      }
    },
    close: () => proxy.close(),
  });
  return { url, info: () => info };
}

/** An @rws/h2 (h2c, extended CONNECT on) server whose handler is `proxy`. */
async function h2Front(proxy: ReturnType<typeof reverseProxy>, onInfo?: (i: ProxyInfo) => void) {
  onTestFinished(() => proxy.close());
  const server = new Http2Server(
    async (req) => {
      try {
        return await proxy.handle(req, () => {
          throw new Error('the proxy never calls next');
        });
      } finally {
        const info = getProxyInfo(req);
        if (info !== undefined) onInfo?.(info);
      }
    },
    { enableConnectProtocol: true, onError: () => {} },
  );
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => server.close({ graceMs: 100 }));
  return `http://127.0.0.1:${port}`;
}

describe.each([
  ['our Http2Server', rwsH2Backend],
  ['node:http2', nodeH2Backend],
  ['the ws package on node:http2', wsOnNodeH2Backend],
])('reverseProxy: WebSocket to an h2 backend (%s)', (_name, makeBackend) => {
  it('relays a ws (HTTP/1.1 Upgrade) client: 101, echo, and the backend close code', async () => {
    const b = await makeBackend();
    const proxy = await serveProxy(reverseProxy({ upstream: b.url, stripPrefix: '/live' }));
    const ws = await open(`${proxy.replace('http', 'ws')}/live/feed?room=1`);
    // The backend got an extended CONNECT: no HTTP/1.1 key, the path rewritten.
    expect(b.seen).toEqual([
      { path: '/feed?room=1', protocol: 'websocket', key: null, subprotocols: null },
    ]);
    ws.send('hello h2');
    expect((await nextMessage(ws)).data.toString()).toBe('hello h2');
    const bytes = Buffer.alloc(200_000, 9);
    ws.send(bytes);
    const bin = await nextMessage(ws);
    expect(bin.isBinary).toBe(true);
    expect(bin.data.equals(bytes)).toBe(true);
    const end = closed(ws);
    ws.send('close 4003');
    expect(await end).toEqual({ code: 4003, reason: 'asked to' });
  }, 60_000);

  it('carries the client close code to the backend', async () => {
    const b = await makeBackend();
    const proxy = await serveProxy(reverseProxy({ upstream: b.url }));
    const ws = await open(`${proxy.replace('http', 'ws')}/`);
    ws.send('ping me');
    await nextMessage(ws);
    const end = closed(ws);
    ws.close(4100, 'client leaves');
    expect(await end).toMatchObject({ code: 4100 });
    await until(() => b.closes.length === 1);
    expect(b.closes).toEqual([{ code: 4100, reason: 'client leaves' }]);
  }, 60_000);

  it('relays an h2 client (extended CONNECT): 200, echo, and close codes', async () => {
    const b = await makeBackend();
    const front = await h2Front(reverseProxy({ upstream: b.url }));
    const client = new Http2Client();
    onTestFinished(() => client.close());
    const res = await client.request(`${front}/h2room`, {
      method: 'CONNECT',
      protocol: 'websocket',
      headers: { 'sec-websocket-version': '13' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('sec-websocket-accept')).toBeNull();
    const ws = new RwsWebSocket(res.tunnel!, { isServer: false });
    onTestFinished(() => ws.terminate());
    expect(b.seen.map((s) => [s.path, s.protocol])).toEqual([['/h2room', 'websocket']]);
    for (const message of ['a', 'b'.repeat(100_000)]) {
      await ws.send(message);
      for await (const echoed of ws) {
        expect(echoed).toBe(message);
        break;
      }
    }
    await ws.send('close 1001');
    expect(await ws.closed).toMatchObject({ code: 1001, reason: 'asked to', wasClean: true });
  }, 60_000);
});

/**
 * node:http2 backend that, as soon as the tunnel opens, sends a 50 KB binary message (several
 * DATA frames) and a Close frame, ends its side and resets the stream with NO_ERROR at once
 * (RFC 9113 §8.1): END_STREAM and RST_STREAM reach the proxy while frames are still queued.
 */
async function closeAtOnceBackend(payload: Buffer): Promise<string> {
  const server = http2.createServer({ settings: { enableConnectProtocol: true } });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => sessions.add(s));
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200 });
    const head = Buffer.from([0x82, 127, 0, 0, 0, 0, 0, 0, 0, 0]);
    head.writeUInt32BE(payload.length, 6);
    const close = Buffer.from([0x88, 5, 0x03, 0xe8, ...Buffer.from('bye')]);
    stream.end(Buffer.concat([head, payload, close]), () =>
      stream.close(http2.constants.NGHTTP2_NO_ERROR),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.destroy();
      }),
  );
  return `h2://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('reverseProxy: WebSocket to an h2 backend that ends and resets at once', () => {
  const payload = Buffer.alloc(50_000, 3);

  it('an h2 client gets every byte, the Close frame and a clean END_STREAM (50 times)', async () => {
    const front = await h2Front(reverseProxy({ upstream: await closeAtOnceBackend(payload) }));
    const client = new Http2Client();
    onTestFinished(() => client.close());
    for (let i = 0; i < 50; i++) {
      const res = await client.request(`${front}/`, { method: 'CONNECT', protocol: 'websocket' });
      const ws = new RwsWebSocket(res.tunnel!, { isServer: false });
      for await (const message of ws) {
        expect(Buffer.from(message as Uint8Array).equals(payload)).toBe(true);
        break;
      }
      expect(await ws.closed).toEqual({ code: 1000, reason: 'bye', wasClean: true });
    }
  }, 60_000);

  it('a ws (HTTP/1.1) client gets every byte and the Close frame (50 times)', async () => {
    const proxy = await serveProxy(reverseProxy({ upstream: await closeAtOnceBackend(payload) }));
    for (let i = 0; i < 50; i++) {
      const ws = new WebSocket(`${proxy.replace('http', 'ws')}/`);
      onTestFinished(() => ws.terminate());
      const messages: Buffer[] = [];
      ws.on('message', (data) => messages.push(data as Buffer));
      expect(await closed(ws)).toEqual({ code: 1000, reason: 'bye' });
      expect(messages.length).toBe(1);
      expect(messages[0]!.equals(payload)).toBe(true);
    }
  }, 60_000);
});

describe('reverseProxy: WebSocket to an h2 backend, handshake details', () => {
  it('negotiates the subprotocol through the proxy (ws client)', async () => {
    const b = await rwsH2Backend();
    const proxy = await serveProxy(reverseProxy({ upstream: b.url }));
    const ws = await open(`${proxy.replace('http', 'ws')}/`, ['chat.v1', 'chat.v2']);
    expect(ws.protocol).toBe('chat.v2');
    expect(b.seen[0]!.subprotocols).toBe('chat.v1,chat.v2');
    ws.close();
  }, 60_000);

  it('relays a backend refusal (403) to a ws client as an ordinary response', async () => {
    const b = await rwsH2Backend();
    const proxy = await serveRecording(reverseProxy({ upstream: b.url }));
    const res = await refusedUpgrade(`${proxy.url.replace('http', 'ws')}/forbidden`);
    expect(res.statusCode).toBe(403);
    expect(res.headers['x-reason']).toBe('room closed');
    let body = '';
    for await (const chunk of res) body += String(chunk);
    expect(body).toBe('no entry');
    expect(proxy.info()).toMatchObject({ error: null, attempts: 1 });
  }, 60_000);

  it('relays a backend refusal (403) to an h2 client', async () => {
    const b = await rwsH2Backend();
    const front = await h2Front(reverseProxy({ upstream: b.url }));
    const client = new Http2Client();
    onTestFinished(() => client.close());
    const res = await client.request(`${front}/forbidden`, {
      method: 'CONNECT',
      protocol: 'websocket',
    });
    expect(res.status).toBe(403);
    expect(res.tunnel).toBeNull();
    expect(await res.body.text()).toBe('no entry');
  }, 60_000);

  it('answers 504 when the h2 backend does not answer the extended CONNECT in time', async () => {
    const server = new Http2Server(() => new Promise<never>(() => {}), {
      enableConnectProtocol: true,
      onError: () => {},
    });
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    onTestFinished(() => server.close({ graceMs: 0 }));
    const proxy = await serveRecording(
      reverseProxy({ upstream: `h2://127.0.0.1:${port}`, timeouts: { responseHeadersMs: 300 } }),
    );
    const res = await refusedUpgrade(`${proxy.url.replace('http', 'ws')}/slow`);
    expect(res.statusCode).toBe(504);
    res.resume();
    expect(proxy.info()).toMatchObject({ error: 'RWS_PROXY_HEADERS_TIMEOUT' });
  }, 60_000);

  it('answers 502 to a ws client when the h2 backend has extended CONNECT off', async () => {
    const calls: string[] = [];
    const server = new Http2Server(
      () => {
        calls.push('x');
        return { status: 200, headers: new Headers(), body: 'x' };
      },
      { onError: () => {} },
    );
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    onTestFinished(() => server.close({ graceMs: 100 }));
    const proxy = await serveProxy(reverseProxy({ upstream: `h2://127.0.0.1:${port}` }));
    const res = await refusedUpgrade(`${proxy.replace('http', 'ws')}/`);
    expect(res.statusCode).toBe(502);
    res.resume();
    expect(calls).toEqual([]);
  }, 60_000);
});
