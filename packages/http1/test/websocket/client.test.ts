/**
 * connectWebSocket (issue #14) against the `ws` server, over ws:// and wss://: echo, close
 * codes both ways, subprotocols, permessage-deflate, and handshakes the client must refuse.
 */
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTestCertificates, type TestCertificates } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { WebSocketServer } from 'ws';
import { createServer } from '../../src/index.js';
import {
  connectWebSocket,
  encodeFrame,
  upgradeWebSocket,
  type WebSocketMessage,
} from '../../src/websocket/index.js';

let certs: TestCertificates | undefined;
beforeAll(() => {
  certs = createTestCertificates({ selfSigned: true, prefix: 'rws-http1-wss-' });
});
afterAll(() => certs?.cleanup());

async function wsServer(
  options: ConstructorParameters<typeof WebSocketServer>[0] = {},
  tls = false,
): Promise<{ wss: WebSocketServer; url: string; http: Server }> {
  const http = tls
    ? createHttpsServer({ key: certs!.server.key, cert: certs!.server.cert })
    : createHttpServer();
  const wss = new WebSocketServer({ server: http, ...options });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
  const { port } = http.address() as AddressInfo;
  return { wss, http, url: `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}` };
}

function echo(wss: WebSocketServer): void {
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
}

async function first(iterable: AsyncIterable<WebSocketMessage>): Promise<WebSocketMessage> {
  for await (const m of iterable) return m;
  throw new Error('ended without a message');
}

describe('connectWebSocket against the ws server', () => {
  for (const tls of [false, true]) {
    it(`echoes text and binary over ${tls ? 'wss' : 'ws'}://, then closes cleanly`, async () => {
      const { wss, url } = await wsServer({}, tls);
      echo(wss);
      const serverClose = new Promise((resolve) =>
        wss.on('connection', (s) =>
          s.on('close', (code, reason) => resolve([code, String(reason)])),
        ),
      );
      const ws = await connectWebSocket(`${url}/path?q=1`, {
        tls: { ca: certs!.server.cert, servername: 'localhost' },
      });
      await ws.send('héllo');
      expect(await first(ws)).toBe('héllo');
      await ws.send(new Uint8Array([9, 8, 7]));
      expect([...((await first(ws)) as Uint8Array)]).toEqual([9, 8, 7]);
      const big = Buffer.alloc(3 * 1024 * 1024, 7);
      await ws.send(big);
      expect(Buffer.from((await first(ws)) as Uint8Array).equals(big)).toBe(true);
      expect(await ws.close(4002, 'client done')).toEqual({
        code: 4002,
        reason: 'client done',
        wasClean: true,
      });
      expect(await serverClose).toEqual([4002, 'client done']);
    });
  }

  it('sends the path and query, headers, and offers subprotocols; reports the chosen one', async () => {
    const { wss, url } = await wsServer({ handleProtocols: (set) => (set.has('b') ? 'b' : false) });
    let seen: { url?: string | undefined; auth?: string | undefined } = {};
    wss.on('connection', (_s, req) => {
      seen = { url: req.url, auth: req.headers.authorization };
    });
    const ws = await connectWebSocket(`${url}/chat?room=1`, {
      protocols: ['a', 'b'],
      headers: { authorization: 'Bearer t' },
    });
    expect(ws.protocol).toBe('b');
    expect(seen).toEqual({ url: '/chat?room=1', auth: 'Bearer t' });
    await ws.close();
  });

  it('sees the server close code and reason', async () => {
    const { wss, url } = await wsServer();
    wss.on('connection', (s) => s.on('message', () => s.close(1013, 'try again later')));
    const closes: unknown[] = [];
    const ws = await connectWebSocket(url, { onClose: (info) => closes.push(info) });
    await ws.send('x');
    expect(await ws.closed).toEqual({ code: 1013, reason: 'try again later', wasClean: true });
    expect(closes.length).toBe(1);
  });

  it('negotiates permessage-deflate with ws and round-trips compressed messages', async () => {
    const { wss, url } = await wsServer({ perMessageDeflate: { threshold: 0 } });
    echo(wss);
    const ws = await connectWebSocket(url, { deflate: { clientNoContextTakeover: true } });
    expect(ws.extensions).toContain('permessage-deflate');
    expect(ws.extensions).toContain('client_no_context_takeover');
    for (let i = 0; i < 5; i++) {
      const m = `${i}:${'abc'.repeat(5000)}`;
      await ws.send(m);
      expect(await first(ws)).toBe(m);
    }
    await ws.close();
  });

  it('fails with 1009 when the server sends more than maxMessageBytes', async () => {
    const { wss, url } = await wsServer();
    const serverSaw = new Promise((resolve) =>
      wss.on('connection', (s) => {
        s.on('close', (code) => resolve(code));
        s.send(Buffer.alloc(5000));
      }),
    );
    const ws = await connectWebSocket(url, { maxMessageBytes: 4096 });
    expect((await ws.closed).code).toBe(1009);
    expect(await serverSaw).toBe(1009);
  });

  it('answers the server ping (ws keepalive)', async () => {
    const { wss, url } = await wsServer();
    const pong = new Promise((resolve) =>
      wss.on('connection', (s) => {
        s.on('pong', (d) => resolve(String(d)));
        s.ping('are you there');
      }),
    );
    const ws = await connectWebSocket(url);
    expect(await pong).toBe('are you there');
    await ws.close();
  });
});

describe('connectWebSocket refuses a bad handshake', () => {
  async function fakeServer(answer: (key: string) => string): Promise<string> {
    const http = createHttpServer((_req, res) => res.writeHead(403).end('no'));
    http.on('upgrade', (req, socket) => {
      socket.end(answer(String(req.headers['sec-websocket-key'])));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => {
      http.closeAllConnections();
      http.close();
    });
    return `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  }
  const accept = (key: string): string =>
    createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');

  it.each([
    [
      'a wrong Sec-WebSocket-Accept',
      () =>
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n',
      /Sec-WebSocket-Accept/,
    ],
    [
      'a protocol that was not offered',
      (k: string) =>
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(k)}\r\nSec-WebSocket-Protocol: zz\r\n\r\n`,
      /subprotocol/,
    ],
    [
      'an extension that was not offered',
      (k: string) =>
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(k)}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`,
      /extension/,
    ],
    [
      'a 200 instead of 101',
      () => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi',
      /answered 200/,
    ],
  ] as const)('%s', async (_name, answer, message) => {
    const url = await fakeServer(answer);
    await expect(connectWebSocket(url)).rejects.toMatchObject({
      code: 'RWS_HTTP1_WS_HANDSHAKE_FAILED',
      message,
    });
  });

  it('fails with 1002 when the server sends a masked frame (RFC 6455 §5.1)', async () => {
    let fromClient = Buffer.alloc(0);
    const url = await (async () => {
      const http = createHttpServer();
      http.on('upgrade', (req, socket) => {
        socket.on('data', (d: Buffer) => {
          fromClient = Buffer.concat([fromClient, d]);
        });
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(String(req.headers['sec-websocket-key']))}\r\n\r\n`,
        );
        socket.write(encodeFrame(1, Buffer.from('masked'), { mask: true }));
      });
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      onTestFinished(() => {
        http.closeAllConnections();
        http.close();
      });
      return `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
    })();
    const errors: unknown[] = [];
    const ws = await connectWebSocket(url, { onError: (e) => errors.push(e) });
    expect((await ws.closed).code).toBe(1002);
    expect(String(errors[0])).toContain('must not be masked');
    // The client's Close frame is masked and carries 1002.
    await expect.poll(() => fromClient.length).toBeGreaterThanOrEqual(8);
    expect(fromClient[0]).toBe(0x88);
    expect(fromClient[1]! & 0x80).toBe(0x80);
    const code = ((fromClient[6]! ^ fromClient[2]!) << 8) | (fromClient[7]! ^ fromClient[3]!);
    expect(code).toBe(1002);
  });

  it('rejects a URL that is not ws:// or wss://', async () => {
    await expect(connectWebSocket('http://127.0.0.1:1/')).rejects.toMatchObject({
      code: 'RWS_HTTP1_WS_INVALID_ARGUMENT',
    });
    await expect(connectWebSocket('not a url')).rejects.toMatchObject({
      code: 'RWS_HTTP1_WS_INVALID_ARGUMENT',
    });
  });

  it('reports a refused connection with the client error code', async () => {
    const http = createHttpServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    await new Promise((resolve) => http.close(resolve));
    await expect(connectWebSocket(`ws://127.0.0.1:${port}`)).rejects.toMatchObject({
      code: 'RWS_HTTP1_CONNECT_FAILED',
    });
  });
});

describe('connectWebSocket against upgradeWebSocket (rws on both ends)', () => {
  it('negotiates deflate with a capped client window and echoes in both directions', async () => {
    const server = createServer((req) =>
      upgradeWebSocket(req, {
        deflate: { clientMaxWindowBits: 10, thresholdBytes: 0 },
        protocols: ['rws'],
        onMessage: (m, ws) => ws.send(m),
      }),
    );
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    onTestFinished(() => server.close({ graceMs: 50 }));
    const ws = await connectWebSocket(`ws://127.0.0.1:${port}/`, {
      deflate: { thresholdBytes: 0 },
      protocols: ['rws'],
    });
    expect(ws.protocol).toBe('rws');
    expect(ws.extensions).toBe('permessage-deflate; client_max_window_bits=10');
    for (const m of ['short', 'y'.repeat(200_000), new Uint8Array([0, 255, 0, 255])]) {
      await ws.send(m);
      const got = await first(ws);
      expect(typeof got === 'string' ? got : [...got]).toEqual(typeof m === 'string' ? m : [...m]);
    }
    expect(await ws.close()).toEqual({ code: 1000, reason: '', wasClean: true });
  });
});
