/**
 * upgradeWebSocket and the server-side WebSocket (issue #14): handshake validation as
 * ordinary HTTP responses, middleware before the upgrade, send/backpressure, the closing
 * handshake and its timeout, keepalive, shutdown with 1001, async iteration and Topic.
 * Peers: raw node:net sockets and the `ws` client.
 */
import { once } from 'node:events';
import { compose, type Middleware, text } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import WsClient from 'ws';
import { createServer } from '../../src/index.js';
import { createTopic, upgradeWebSocket, WebSocket } from '../../src/websocket/index.js';
import {
  ACCEPT,
  KEY,
  rawConnect,
  rawHttp,
  startEcho,
  startHandler,
  startWs,
} from './ws-helpers.js';

async function open(url: string, options: WsClient.ClientOptions = {}): Promise<WsClient> {
  const client = new WsClient(url, options);
  onTestFinished(() => client.terminate());
  await once(client, 'open');
  return client;
}

const base = `Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\n`;

describe('handshake validation (RFC 6455 §4.2.1): a refusal is an ordinary response', () => {
  const rows: { name: string; request: string; status: number; header?: [string, string] }[] = [
    {
      name: 'a plain GET without Upgrade',
      request: 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      status: 426,
      header: ['upgrade', 'websocket'],
    },
    {
      name: 'another upgrade token (h2c)',
      request: 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n',
      status: 426,
    },
    {
      name: 'version 8',
      request: `GET / HTTP/1.1\r\n${base}Sec-WebSocket-Version: 8\r\n\r\n`,
      status: 426,
      header: ['sec-websocket-version', '13'],
    },
    {
      name: 'no version',
      request: `GET / HTTP/1.1\r\n${base}\r\n`,
      status: 426,
      header: ['sec-websocket-version', '13'],
    },
    {
      name: 'POST',
      request: `POST / HTTP/1.1\r\n${base}Sec-WebSocket-Version: 13\r\n\r\n`,
      status: 405,
      header: ['allow', 'GET'],
    },
    {
      name: 'Connection without the upgrade token',
      request: `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      status: 400,
    },
    {
      name: 'a key that is not 16 bytes',
      request: `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      status: 400,
    },
    {
      name: 'no key',
      request: `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      status: 400,
    },
    {
      name: 'a key with a non-base64 character',
      request: `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25j*Q==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      status: 400,
    },
    {
      name: 'a cross-origin request when same-origin is required',
      request: `GET / HTTP/1.1\r\n${base}Sec-WebSocket-Version: 13\r\nOrigin: http://evil.example\r\n\r\n`,
      status: 403,
    },
  ];

  it.each(rows)('$name → $status', async (row) => {
    let opened = 0;
    const { port } = await startWs({ origin: true, onOpen: () => opened++ });
    const res = await rawHttp(port, row.request);
    expect(res.status).toBe(row.status);
    expect(res.body.length).toBeGreaterThan(0);
    if (row.header !== undefined) {
      expect(res.head.toLowerCase()).toContain(
        `\r\n${row.header[0]}: ${row.header[1]}`.toLowerCase(),
      );
    }
    expect(opened).toBe(0);
  });

  it('accepts a valid handshake with the RFC sample key; same-origin and listed origins pass', async () => {
    const { port } = await startWs({ origin: true });
    // The raw handshake sends `Host: 127.0.0.1`: the same origin is http://127.0.0.1.
    const client = await rawConnect(port, 'Origin: http://127.0.0.1\r\n');
    expect(
      (
        await rawHttp(
          port,
          `GET / HTTP/1.1\r\n${base}Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:${port}\r\n\r\n`,
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await rawHttp(
          port,
          `GET / HTTP/1.1\r\n${base}Sec-WebSocket-Version: 13\r\nOrigin: https://127.0.0.1\r\n\r\n`,
        )
      ).status,
    ).toBe(403);
    expect(client.head).toContain(`sec-websocket-accept: ${ACCEPT}`);
    expect(client.head.toLowerCase()).toContain('upgrade: websocket');
    expect(client.head).not.toContain('sec-websocket-protocol');
    const listed = await startWs({ origin: ['https://app.example'] });
    await rawConnect(listed.port, 'Origin: https://app.example\r\n');
    expect(
      (
        await rawHttp(
          listed.port,
          `GET / HTTP/1.1\r\n${base}Sec-WebSocket-Version: 13\r\nOrigin: https://other.example\r\n\r\n`,
        )
      ).status,
    ).toBe(403);
    // A client without Origin (not a browser) is not subject to the check.
    await rawConnect(listed.port);
  });

  it('negotiates the subprotocol: server preference wins; no match sends no header', async () => {
    const { port } = await startWs({ protocols: ['b', 'a'] });
    const both = await rawConnect(port, 'Sec-WebSocket-Protocol: a, b\r\n');
    expect(both.head).toContain('sec-websocket-protocol: b');
    const none = await rawConnect(port, 'Sec-WebSocket-Protocol: c\r\n');
    expect(none.head).not.toContain('sec-websocket-protocol');
  });

  it('runs middleware before the upgrade: a refusing middleware answers 401 and nothing opens', async () => {
    let opened = 0;
    const seen: string[] = [];
    const auth: Middleware = {
      handle: (req, next) => {
        seen.push(req.path);
        return req.headers.get('authorization') === 'Bearer ok'
          ? next(req)
          : Promise.resolve(text('no', { status: 401 }));
      },
    };
    const { port } = await startHandler(
      compose([auth], (req) => upgradeWebSocket(req, { onOpen: () => opened++ })),
    );
    expect(
      (await rawHttp(port, `GET /chat HTTP/1.1\r\n${base}Sec-WebSocket-Version: 13\r\n\r\n`))
        .status,
    ).toBe(401);
    expect(opened).toBe(0);
    await rawConnect(port, 'Authorization: Bearer ok\r\n', '/chat');
    await expect.poll(() => opened).toBe(1);
    expect(seen).toEqual(['/chat', '/chat']);
  });
});

describe('the server-side WebSocket', () => {
  it('exposes readyState, protocol, extensions; async iteration yields messages in order', async () => {
    const got: unknown[] = [];
    let socket: WebSocket | null = null;
    const { url } = await startWs({
      protocols: ['p1'],
      deflate: true,
      onOpen: async (ws) => {
        socket = ws;
        for await (const m of ws) got.push(typeof m === 'string' ? m : [...m]);
        got.push('end');
      },
    });
    const client = new WsClient(url, ['p1'], { perMessageDeflate: true });
    onTestFinished(() => client.terminate());
    await once(client, 'open');
    await expect.poll(() => socket).not.toBeNull();
    const ws = socket as unknown as WebSocket;
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(ws.protocol).toBe('p1');
    expect(ws.extensions).toBe('permessage-deflate');
    client.send('one');
    client.send(Buffer.from([1, 2]));
    client.send('three');
    await expect.poll(() => got.length).toBe(3);
    client.close(1000);
    await expect.poll(() => got).toEqual(['one', [1, 2], 'three', 'end']);
    await expect.poll(() => ws.readyState).toBe(WebSocket.CLOSED);
  });

  it('iteration applies backpressure; close() after leaving the loop still completes the handshake', async () => {
    let socket: WebSocket | null = null;
    let seen = 0;
    const { port } = await startWs({
      onOpen: async (ws) => {
        socket = ws;
        for await (const _m of ws) if (++seen === 2) break;
      },
      closeTimeoutMs: 2000,
    });
    const client = await rawConnect(port);
    // Far more than the 16-message queue: the server stops reading once it is full.
    for (let i = 0; i < 200; i++) client.send(1, `m${i}`);
    await expect.poll(() => seen).toBe(2);
    const closing = (socket as unknown as WebSocket).close(4100, 'enough');
    expect(await client.closeCode()).toBe(4100);
    // Our Close comes after the 198 messages the server has not read yet: it must read past
    // them (dropping them) to see it, rather than stay paused for the abandoned loop.
    const payload = Buffer.from([0x10, 0x04]);
    client.send(8, payload);
    client.socket.end();
    expect(await closing).toEqual({ code: 4100, reason: '', wasClean: true });
  });

  it('send() waits for the socket when the peer does not read, and bufferedAmount shows the backlog', async () => {
    let socket: WebSocket | null = null;
    const { port } = await startWs({ onOpen: (ws) => (socket = ws) });
    const client = await rawConnect(port);
    client.socket.pause();
    await expect.poll(() => socket).not.toBeNull();
    const ws = socket as unknown as WebSocket;
    const chunk = new Uint8Array(256 * 1024);
    let resolved = 0;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 128; i++) sends.push(ws.send(chunk).then(() => void resolved++));
    await new Promise((r) => setTimeout(r, 200));
    // 32 MiB cannot all fit in the socket buffers while nobody reads.
    expect(resolved).toBeLessThan(128);
    expect(ws.bufferedAmount).toBeGreaterThan(0);
    client.socket.resume();
    await Promise.all(sends);
    expect(ws.bufferedAmount).toBe(0);
    await client.waitFor((f) => f.length === 128, 15_000);
    expect(client.frames.every((f) => f.payload.length === chunk.length)).toBe(true);
  });

  it('close(code, reason) runs the closing handshake; onClose sees a clean close', async () => {
    const closes: unknown[] = [];
    const { url } = await startWs({
      onMessage: (_m, ws) => ws.close(4000, 'done'),
      onClose: (info) => closes.push(info),
    });
    const client = await open(url);
    const done = new Promise((resolve) =>
      client.once('close', (code, reason) => resolve([code, String(reason)])),
    );
    client.send('x');
    expect(await done).toEqual([4000, 'done']);
    await expect.poll(() => closes).toEqual([{ code: 4000, reason: 'done', wasClean: true }]);
  });

  it('drops the connection when the peer never answers the Close (closeTimeoutMs)', async () => {
    const closes: { code: number; wasClean: boolean }[] = [];
    let socket: WebSocket | null = null;
    const { port } = await startWs({
      closeTimeoutMs: 150,
      onOpen: (ws) => (socket = ws),
      onClose: (info) => closes.push(info),
    });
    const client = await rawConnect(port);
    await expect.poll(() => socket).not.toBeNull();
    const started = Date.now();
    const info = await (socket as unknown as WebSocket).close(1000, 'bye');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(info).toEqual({ code: 1006, reason: '', wasClean: false });
    expect(await client.closeCode()).toBe(1000);
    await client.ended();
  });

  it('rejects send() after close and invalid close arguments', async () => {
    let socket: WebSocket | null = null;
    const { port } = await startWs({ onOpen: (ws) => (socket = ws), closeTimeoutMs: 100 });
    await rawConnect(port);
    await expect.poll(() => socket).not.toBeNull();
    const ws = socket as unknown as WebSocket;
    expect(() => ws.close(1005)).toThrow(/invalid close code 1005/);
    expect(() => ws.close(1000, 'x'.repeat(124))).toThrow(/at most 123 bytes/);
    await expect(ws.ping(new Uint8Array(126))).rejects.toMatchObject({
      code: 'RWS_HTTP1_WS_INVALID_ARGUMENT',
    });
    void ws.close();
    await expect(ws.send('late')).rejects.toMatchObject({ code: 'RWS_HTTP1_WS_NOT_OPEN' });
  });

  it('pings on pingIntervalMs; a peer that answers stays, one that does not is dropped', async () => {
    const closes: number[] = [];
    const { port, url } = await startWs({
      pingIntervalMs: 50,
      // Generous: the ws client must answer in time even on a loaded machine.
      pongTimeoutMs: 400,
      onClose: (info) => closes.push(info.code),
    });
    // `ws` answers pings automatically.
    const alive = await open(url);
    let pings = 0;
    alive.on('ping', () => pings++);
    // The raw client reads frames but never answers.
    const silent = await rawConnect(port);
    await silent.ended(4000);
    expect(silent.frames.some((f) => f.opcode === 9)).toBe(true);
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(alive.readyState).toBe(WsClient.OPEN);
    expect(closes).toEqual([1006]);
  });

  it('closes with 1001 when the server shuts down (req.drain), and close() does not wait out its grace', async () => {
    const { url, server } = await startEcho();
    const client = await open(url);
    const done = new Promise((resolve) =>
      client.once('close', (code, reason) => resolve([code, String(reason)])),
    );
    const started = Date.now();
    // Half the grace period: waiting it out fails this by seconds, load delays do not.
    await server.close({ graceMs: 15_000 });
    expect(Date.now() - started).toBeLessThan(7500);
    expect(await done).toEqual([1001, 'server shutting down']);
  });

  it('a handler that throws closes with 1011 and reports to onError', async () => {
    const errors: unknown[] = [];
    const { url } = await startWs({
      onMessage: () => {
        throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    });
    const client = await open(url);
    const done = new Promise((resolve) => client.once('close', (code) => resolve(code)));
    client.send('x');
    expect(await done).toBe(1011);
    expect(String(errors[0])).toContain('boom');
  });

  it('a handler returning send() echoes; a handler promise that rejects still closes with 1011', async () => {
    const errors: unknown[] = [];
    const { url } = await startWs({
      // `send()` resolves at once here (the shared resolved promise the socket skips).
      onMessage: (m, ws) => (m === 'fail' ? Promise.reject(new Error('late boom')) : ws.send(m)),
      onError: (e) => errors.push(e),
    });
    const client = await open(url);
    const echoes: string[] = [];
    client.on('message', (d: Buffer) => echoes.push(d.toString()));
    for (let i = 0; i < 50; i++) client.send(`m${i}`);
    await expect.poll(() => echoes.length).toBe(50);
    expect(echoes).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(errors).toEqual([]);
    const done = new Promise((resolve) => client.once('close', (code) => resolve(code)));
    client.send('fail');
    expect(await done).toBe(1011);
    expect(String(errors[0])).toContain('late boom');
  });
});

describe('the upgraded connection leaves HTTP timeouts behind', () => {
  it('an idle WebSocket outlives requestTimeoutMs, keepAliveTimeoutMs and headersTimeoutMs', async () => {
    const server = createServer(
      (req) => upgradeWebSocket(req, { onMessage: (m, ws) => ws.send(m) }),
      {
        headersTimeoutMs: 100,
        keepAliveTimeoutMs: 100,
        requestTimeoutMs: 150,
        onError: () => {},
      },
    );
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    onTestFinished(() => server.close({ graceMs: 50 }));
    const client = await open(`ws://127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const echoed = new Promise((resolve) => client.once('message', (d) => resolve(String(d))));
    client.send('still here');
    expect(await echoed).toBe('still here');
  });
});

describe('Topic: broadcast encodes once and reaches every member', () => {
  it('publishes to all open members except the sender, and forgets closed ones', async () => {
    const topic = createTopic();
    const { url } = await startWs({
      deflate: true,
      onOpen: (ws) => topic.subscribe(ws),
      onMessage: (m, ws) => topic.publish(m, ws),
    });
    const clients = await Promise.all([
      open(url),
      open(url, { perMessageDeflate: true }),
      open(url),
    ]);
    await expect.poll(() => topic.size).toBe(3);
    const received = clients.map(() => [] as string[]);
    for (const [i, c] of clients.entries()) {
      c.on('message', (d: Buffer) => received[i]!.push(d.toString()));
    }
    clients[0]!.send('hello all');
    await expect.poll(() => received).toEqual([[], ['hello all'], ['hello all']]);
    clients[2]!.close();
    await expect.poll(() => topic.size).toBe(2);
    expect(await topic.publish('direct')).toBe(2);
    await expect.poll(() => received[1]).toEqual(['hello all', 'direct']);
  });

  it('publish() waits for a member that does not read (backpressure), then counts it', async () => {
    const topic = createTopic();
    let member: WebSocket | null = null;
    const { port } = await startWs({
      onOpen: (ws) => {
        member = ws;
        topic.subscribe(ws);
      },
    });
    const client = await rawConnect(port);
    client.socket.pause();
    await expect.poll(() => topic.size).toBe(1);
    const chunk = new Uint8Array(256 * 1024);
    let resolved = 0;
    const publishes: Promise<number>[] = [];
    for (let i = 0; i < 128; i++) {
      publishes.push(
        topic.publish(chunk).then((n) => {
          resolved++;
          return n;
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    // 32 MiB cannot all be handed to a socket whose peer does not read.
    expect(resolved).toBeLessThan(128);
    expect((member as unknown as WebSocket).bufferedAmount).toBeGreaterThan(0);
    client.socket.resume();
    expect(await Promise.all(publishes)).toEqual(Array.from({ length: 128 }, () => 1));
    await client.waitFor((f) => f.length === 128, 15_000);
    expect(client.frames.every((f) => f.payload.length === chunk.length)).toBe(true);
  });
});
