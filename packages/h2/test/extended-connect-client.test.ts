/**
 * Issue #14: Http2Client sends extended CONNECT (RFC 8441) and hands out the stream as a
 * tunnel, over real sockets, against two servers: our own Http2Server with
 * `enableConnectProtocol` and `upgradeWebSocket`, and node:http2 (nghttp2) with
 * `enableConnectProtocol`, an independent h2 peer whose stream carries @rws/http1's WebSocket
 * codec. The client side is @rws/http1's `WebSocket` on the client's tunnel (masked frames).
 */
import { once } from 'node:events';
import * as http2 from 'node:http2';
import { Duplex } from 'node:stream';
import { Headers, isRwsError } from '@rws/core';
import { upgradeWebSocket, WebSocket } from '@rws/http1/websocket';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type ClientResponse, Http2Client } from '../src/index.js';
import { startH2c } from './helpers.js';

function client(): Http2Client {
  const c = new Http2Client();
  onTestFinished(() => c.close());
  return c;
}

/** Opens an extended CONNECT for `websocket` and wraps the tunnel in a client WebSocket. */
async function openWebSocket(
  c: Http2Client,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ res: ClientResponse; ws: WebSocket }> {
  const res = await c.request(url, {
    method: 'CONNECT',
    protocol: 'websocket',
    headers: { 'sec-websocket-version': '13', ...headers },
  });
  expect(res.status).toBe(200);
  expect(res.tunnel).not.toBeNull();
  const ws = new WebSocket(res.tunnel!, {
    isServer: false,
    protocol: res.headers.get('sec-websocket-protocol') ?? '',
  });
  onTestFinished(() => ws.terminate());
  return { res, ws };
}

async function nextMessage(ws: WebSocket): Promise<unknown> {
  for await (const message of ws) return message;
  return undefined;
}

describe('Http2Client extended CONNECT to our Http2Server', () => {
  it('echoes text and binary, negotiates a subprotocol and closes with the server code', async () => {
    const seen: { method: string; protocol: string | null; path: string; authority: string }[] = [];
    const { port } = await startH2c(
      (req) => {
        seen.push({
          method: req.method,
          protocol: req.upgrade?.protocol ?? null,
          path: req.target,
          authority: req.headers.get('host') ?? req.authority ?? '',
        });
        return upgradeWebSocket(req, {
          protocols: ['chat'],
          onMessage: (message, ws) => {
            if (message === 'bye') return ws.close(4001, 'done');
            return ws.send(message);
          },
        });
      },
      { enableConnectProtocol: true },
    );
    const c = client();
    const { res, ws } = await openWebSocket(c, `http://127.0.0.1:${port}/echo?room=1`, {
      'sec-websocket-protocol': 'chat, other',
    });
    expect(res.headers.get('sec-websocket-protocol')).toBe('chat');
    expect(seen).toEqual([
      {
        method: 'CONNECT',
        protocol: 'websocket',
        path: '/echo?room=1',
        authority: `127.0.0.1:${port}`,
      },
    ]);
    await ws.send('hello over h2');
    expect(await nextMessage(ws)).toBe('hello over h2');
    const big = new Uint8Array(300_000).map((_, i) => i & 0xff);
    await ws.send(big);
    const echoed = (await nextMessage(ws)) as Uint8Array;
    expect(Buffer.from(echoed).equals(Buffer.from(big))).toBe(true);
    await ws.send('bye');
    const info = await ws.closed;
    expect(info).toMatchObject({ code: 4001, reason: 'done', wasClean: true });
  });

  it('closes with our code: the server sees 1000 and the stream ends on both sides', async () => {
    let serverClose: { code: number; reason: string } | null = null;
    let onClosed = (): void => {};
    const closed = new Promise<void>((resolve) => {
      onClosed = resolve;
    });
    const { port } = await startH2c(
      (req) =>
        upgradeWebSocket(req, {
          onClose: (info) => {
            serverClose = { code: info.code, reason: info.reason };
            onClosed();
          },
        }),
      { enableConnectProtocol: true },
    );
    const c = client();
    const { ws } = await openWebSocket(c, `http://127.0.0.1:${port}/`);
    const info = await ws.close(1000, 'client done');
    expect(info).toMatchObject({ code: 1000, wasClean: true });
    await closed;
    expect(serverClose).toEqual({ code: 1000, reason: 'client done' });
    // The stream is finished: the session holds no open stream and takes the next request.
    const again = await openWebSocket(c, `http://127.0.0.1:${port}/`);
    expect(c.sessionCount(`http://127.0.0.1:${port}`)).toBe(1);
    await again.ws.close();
  });

  it('relays a refusal as an ordinary response with its body and no tunnel', async () => {
    const { port } = await startH2c(
      () => ({ status: 403, headers: new Headers({ 'x-why': 'nope' }), body: 'forbidden room' }),
      { enableConnectProtocol: true },
    );
    const c = client();
    const res = await c.request(`http://127.0.0.1:${port}/x`, {
      method: 'CONNECT',
      protocol: 'websocket',
    });
    expect(res.status).toBe(403);
    expect(res.tunnel).toBeNull();
    expect(res.headers.get('x-why')).toBe('nope');
    expect(await res.body.text()).toBe('forbidden room');
    // The refused stream ended on our side too: an ordinary request follows on the session.
    const next = await c.request(`http://127.0.0.1:${port}/y`);
    expect(next.status).toBe(403);
    expect(next.tunnel).toBeNull();
    await next.body.text();
  });

  it('fails with RWS_H2_CONNECT_PROTOCOL_UNSUPPORTED when the server did not enable it', async () => {
    let calls = 0;
    const { port } = await startH2c(() => {
      calls++;
      return { status: 200, headers: new Headers(), body: 'plain' };
    });
    const c = client();
    const err = await c
      .request(`http://127.0.0.1:${port}/`, { method: 'CONNECT', protocol: 'websocket' })
      .catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_H2_CONNECT_PROTOCOL_UNSUPPORTED')).toBe(true);
    expect(calls).toBe(0);
    // The session stays usable for ordinary requests.
    const res = await c.request(`http://127.0.0.1:${port}/`);
    expect(await res.body.text()).toBe('plain');
  });

  it('rejects a body or another method with an extended CONNECT', async () => {
    const c = client();
    for (const init of [
      { method: 'GET', protocol: 'websocket' },
      { method: 'CONNECT', protocol: 'websocket', body: 'x' },
    ]) {
      const err = await c.request('http://127.0.0.1:1/', init).catch((e: unknown) => e);
      expect(isRwsError(err, 'RWS_H2_INVALID_OPTIONS')).toBe(true);
    }
  });
});

describe('Http2Client extended CONNECT to node:http2 (enableConnectProtocol)', () => {
  async function nodeServer(
    onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void,
  ): Promise<number> {
    const server = http2.createServer({ settings: { enableConnectProtocol: true } });
    server.on('stream', onStream);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Open sessions would hold close() forever.
          for (const s of sessions) s.destroy();
        }),
    );
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on('session', (s) => sessions.add(s));
    return (server.address() as { port: number }).port;
  }

  it('echoes over a node:http2 stream, and the server code of its close arrives', async () => {
    const got: http2.IncomingHttpHeaders[] = [];
    const port = await nodeServer((stream, headers) => {
      got.push(headers);
      stream.respond({ ':status': 200 });
      // Our codec on node's stream, server side: nghttp2 does the h2 framing.
      const ws = new WebSocket(Duplex.toWeb(stream) as never, {
        isServer: true,
        onMessage: (message, socket) =>
          message === 'close please' ? socket.close(1001, 'going') : socket.send(message),
      });
      void ws.closed;
    });
    const c = client();
    const { ws } = await openWebSocket(c, `http://127.0.0.1:${port}/chat`);
    expect(got[0]).toMatchObject({
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'http',
      ':path': '/chat',
      ':authority': `127.0.0.1:${port}`,
    });
    for (const text of ['one', 'two', 'x'.repeat(70_000)]) {
      await ws.send(text);
      expect(await nextMessage(ws)).toBe(text);
    }
    await ws.send('close please');
    expect(await ws.closed).toMatchObject({ code: 1001, reason: 'going', wasClean: true });
  });

  it('keeps the bytes and END_STREAM a RST_STREAM NO_ERROR follows (RFC 9113 §8.1)', async () => {
    const sent = Buffer.alloc(50_000, 7);
    const port = await nodeServer((stream, headers) => {
      stream.respond({ ':status': 200 });
      if (headers[':method'] !== 'CONNECT') return void stream.end('pong');
      // The server's side is complete; it asks us to stop sending without error.
      stream.end(sent, () => stream.close(http2.constants.NGHTTP2_NO_ERROR));
    });
    const c = client();
    const res = await c.request(`http://127.0.0.1:${port}/`, {
      method: 'CONNECT',
      protocol: 'websocket',
    });
    // A later exchange on the same connection: its answer comes after the RST_STREAM, so the
    // reset has been processed before the tunnel is read.
    expect(await (await c.request(`http://127.0.0.1:${port}/later`)).body.text()).toBe('pong');
    const got: Uint8Array[] = [];
    for await (const chunk of res.tunnel!.readable) got.push(chunk);
    expect(Buffer.concat(got).equals(sent)).toBe(true);
  });

  it('returns a node:http2 refusal (404) with no tunnel', async () => {
    const port = await nodeServer((stream) => {
      stream.respond({ ':status': 404 });
      stream.end('no such room');
    });
    const c = client();
    const res = await c.request(`http://127.0.0.1:${port}/none`, {
      method: 'CONNECT',
      protocol: 'websocket',
    });
    expect(res.status).toBe(404);
    expect(res.tunnel).toBeNull();
    expect(await res.body.text()).toBe('no such room');
  });

  it('fails before sending when node:http2 has extended CONNECT off', async () => {
    const server = http2.createServer();
    let streams = 0;
    server.on('stream', (s) => {
      streams++;
      s.respond({ ':status': 200 });
      s.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on('session', (s) => sessions.add(s));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const s of sessions) s.destroy();
        }),
    );
    const port = (server.address() as { port: number }).port;
    const c = client();
    const err = await c
      .request(`http://127.0.0.1:${port}/`, { method: 'CONNECT', protocol: 'websocket' })
      .catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_H2_CONNECT_PROTOCOL_UNSUPPORTED')).toBe(true);
    expect(streams).toBe(0);
  });
});
