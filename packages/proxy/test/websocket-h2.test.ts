/**
 * A WebSocket from an HTTP/2 client (extended CONNECT, RFC 8441) through `reverseProxy` and
 * the gateway to an HTTP/1.1 `ws` backend (101), over real sockets: @rws/h2's Http2Server
 * (h2c, SETTINGS_ENABLE_CONNECT_PROTOCOL) in front, node:http2 as the client, and the WebSocket
 * frames encoded and parsed with @rws/http1's codec on the client side.
 */

import { once } from 'node:events';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { type Handler, Headers, type Middleware, type Request } from '@rws/core';
import { Http2Server } from '@rws/h2';
import { encodeFrame, type Frame, FrameParser, OPCODE } from '@rws/http1/websocket';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGateway, getProxyInfo, reverseProxy } from '../src/index.js';
import { wsBackend } from './ws-backend.js';

/** Serves `handler` over h2c with extended CONNECT enabled; resolves its port. */
async function serveH2(handler: Handler): Promise<number> {
  const server = new Http2Server(handler, { enableConnectProtocol: true, onError: () => {} });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => server.close({ graceMs: 100 }));
  return port;
}

/** `mw` as the terminal handler; `onDone` sees each request once the proxy answered it. */
function viaProxy(
  mw: Middleware & { close?(): Promise<void> },
  onDone?: (req: Request) => void,
): Handler {
  onTestFinished(() => mw.close?.());
  return async (req) => {
    try {
      return await mw.handle(req, () => {
        throw new Error('the proxy never calls next');
      });
    } finally {
      onDone?.(req);
    }
  };
}

interface H2WebSocket {
  status: number;
  headers: http2.IncomingHttpHeaders;
  /** Sends one masked frame. */
  send(opcode: number, payload: Uint8Array | string, rsv1?: boolean): void;
  next(): Promise<Frame>;
  /** Resolves when the stream has ended or was reset. */
  ended: Promise<void>;
  stream: http2.ClientHttp2Stream;
}

/** Opens an extended CONNECT stream for `websocket` on an h2c connection to `port`. */
async function openH2WebSocket(
  port: number,
  path: string,
  extra: http2.OutgoingHttpHeaders = {},
): Promise<H2WebSocket> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  onTestFinished(() => {
    session.destroy();
  });
  await once(session, 'remoteSettings');
  expect(session.remoteSettings.enableConnectProtocol).toBe(true);
  const stream = session.request(
    {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'http',
      ':path': path,
      'sec-websocket-version': '13',
      ...extra,
    },
    { endStream: false },
  );
  stream.on('error', () => {});
  const ended = new Promise<void>((resolve) => stream.once('close', resolve));
  const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
  const parser = new FrameParser({ expectMasked: false, maxFrameBytes: 1 << 20, allowRsv1: true });
  const frames: Frame[] = [];
  let wake = (): void => {};
  // A refusal's body is not WebSocket frames.
  if (Number(headers[':status']) !== 200) stream.resume();
  else
    stream.on('data', (chunk: Buffer) => {
      frames.push(...parser.push(chunk));
      wake();
    });
  return {
    status: Number(headers[':status']),
    headers,
    stream,
    ended,
    send: (opcode, payload, rsv1 = false) =>
      stream.write(
        encodeFrame(opcode, typeof payload === 'string' ? Buffer.from(payload) : payload, {
          mask: true,
          rsv1,
        }),
      ),
    next: async () => {
      const deadline = Date.now() + 20_000;
      while (frames.length === 0) {
        if (Date.now() > deadline) throw new Error('no frame in time');
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200);
        });
      }
      return frames.shift()!;
    },
  };
}

const text = (f: Frame): string => Buffer.from(f.payload).toString();

describe('reverseProxy: WebSocket from an h2 client (extended CONNECT) to an HTTP/1.1 backend', () => {
  it('answers 200 with the negotiated subprotocol and relays text, binary, ping and close', async () => {
    const b = await wsBackend({ protocols: ['chat.v2'] });
    let info: ReturnType<typeof getProxyInfo>;
    const proxy = reverseProxy({ upstream: b.origin, stripPrefix: '/live' });
    const port = await serveH2(viaProxy(proxy, (req) => (info = getProxyInfo(req))));
    const ws = await openH2WebSocket(port, '/live/feed?room=1', {
      'sec-websocket-protocol': 'chat.v1, chat.v2',
    });
    // RFC 8441 §5: a 200, no key exchange, no HTTP/1.1 upgrade fields.
    expect(ws.status).toBe(200);
    expect(ws.headers['sec-websocket-protocol']).toBe('chat.v2');
    expect(ws.headers['sec-websocket-accept']).toBeUndefined();
    expect(ws.headers.upgrade).toBeUndefined();
    expect(String(ws.headers.via)).toMatch(/1\.1 rws/);

    // The backend saw an RFC 6455 handshake: GET with Upgrade, a key of the proxy's own.
    expect(b.seen).toHaveLength(1);
    const seen = b.seen[0]!;
    expect(seen.method).toBe('GET');
    expect(seen.url).toBe('/feed?room=1');
    expect(seen.headers.upgrade).toBe('websocket');
    expect(seen.headers['sec-websocket-version']).toBe('13');
    expect(Buffer.from(String(seen.headers['sec-websocket-key']), 'base64')).toHaveLength(16);
    expect(seen.headers['sec-websocket-protocol']).toBe('chat.v1, chat.v2');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(info).toMatchObject({ backend: b.origin, error: null });

    ws.send(OPCODE.TEXT, 'over h2');
    const echo = await ws.next();
    expect([echo.opcode, text(echo)]).toEqual([OPCODE.TEXT, 'over h2']);
    // A message bigger than the h2 stream's initial window crosses with flow control.
    const big = Buffer.alloc(200_000, 7);
    ws.send(OPCODE.BINARY, big);
    const bigEcho = await ws.next();
    expect(bigEcho.opcode).toBe(OPCODE.BINARY);
    expect(Buffer.from(bigEcho.payload).equals(big)).toBe(true);
    ws.send(OPCODE.PING, 'are you there');
    const pong = await ws.next();
    expect([pong.opcode, text(pong)]).toEqual([OPCODE.PONG, 'are you there']);

    // The backend's close code reaches the h2 client; the client's answer reaches the backend.
    ws.send(OPCODE.TEXT, 'close 4001');
    const close = await ws.next();
    expect(close.opcode).toBe(OPCODE.CLOSE);
    expect(Buffer.from(close.payload).readUInt16BE(0)).toBe(4001);
    expect(Buffer.from(close.payload).subarray(2).toString()).toBe('server says bye');
    ws.send(OPCODE.CLOSE, close.payload.subarray(0, 2));
    // As a browser does once both Close frames crossed: END_STREAM (the backend sees FIN).
    ws.stream.end();
    await expect
      .poll(() => b.closes, { timeout: 10_000 })
      .toEqual([
        // `ws` reports the code and reason of the Close frame it received: the client's echo.
        { code: 4001, reason: '' },
      ]);
    // The backend closes its TCP connection; the proxy ends the h2 stream.
    await ws.ended;
  }, 60_000);

  it('passes the client close code to the backend', async () => {
    const b = await wsBackend();
    const port = await serveH2(viaProxy(reverseProxy({ upstream: b.origin })));
    const ws = await openH2WebSocket(port, '/');
    expect(ws.status).toBe(200);
    const payload = Buffer.concat([Buffer.from([0x0f, 0xa2]), Buffer.from('client leaves')]);
    ws.send(OPCODE.CLOSE, payload);
    const answer = await ws.next();
    expect(answer.opcode).toBe(OPCODE.CLOSE);
    expect(Buffer.from(answer.payload).readUInt16BE(0)).toBe(4002);
    ws.stream.end();
    await expect
      .poll(() => b.closes, { timeout: 10_000 })
      .toEqual([{ code: 4002, reason: 'client leaves' }]);
  }, 60_000);

  it('negotiates permessage-deflate end to end: compressed frames cross unchanged', async () => {
    const b = await wsBackend({ deflate: true });
    const port = await serveH2(viaProxy(reverseProxy({ upstream: b.origin })));
    const ws = await openH2WebSocket(port, '/', {
      'sec-websocket-extensions': 'permessage-deflate; client_no_context_takeover',
    });
    expect(ws.status).toBe(200);
    expect(String(ws.headers['sec-websocket-extensions'])).toMatch(/^permessage-deflate/);
    const message = 'compressible '.repeat(500);
    // RFC 7692 §7.2.1: deflate with a sync flush, without the trailing 00 00 ff ff.
    const deflated = deflateRawSync(message, { finishFlush: constants.Z_SYNC_FLUSH });
    ws.send(OPCODE.TEXT, deflated.subarray(0, deflated.length - 4), true);
    const echo = await ws.next();
    expect(echo.rsv1).toBe(true);
    const inflated = inflateRawSync(
      Buffer.concat([echo.payload, Buffer.from([0x00, 0x00, 0xff, 0xff])]),
      { finishFlush: constants.Z_SYNC_FLUSH },
    );
    expect(inflated.toString()).toBe(message);
  }, 60_000);

  it('relays a backend that refuses the handshake as an ordinary response', async () => {
    const b = await wsBackend({ verifyClient: (_info, cb) => cb(false, 403, 'not you') });
    const port = await serveH2(viaProxy(reverseProxy({ upstream: b.origin })));
    const ws = await openH2WebSocket(port, '/');
    expect(ws.status).toBe(403);
    expect(b.seen).toHaveLength(0);
  }, 60_000);

  it('answers 502 when the backend 101 does not accept the proxy key', async () => {
    // A backend that switches protocols with a made-up Sec-WebSocket-Accept.
    const liar = net.createServer((socket) => {
      socket.once('data', () =>
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n',
        ),
      );
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => liar.close(() => resolve())));
    const address = `127.0.0.1:${(liar.address() as net.AddressInfo).port}`;
    let info: ReturnType<typeof getProxyInfo>;
    const proxy = reverseProxy({ upstream: address });
    const port = await serveH2(viaProxy(proxy, (req) => (info = getProxyInfo(req))));
    const ws = await openH2WebSocket(port, '/');
    expect(ws.status).toBe(502);
    expect(info).toMatchObject({
      error: 'RWS_PROXY_INVALID_RESPONSE',
      errorDetail: 'the backend answered the WebSocket handshake with a wrong Sec-WebSocket-Accept',
    });
  }, 60_000);

  it('answers 502 when the picked h2 backend did not enable extended CONNECT (nothing reaches it)', async () => {
    // An h2c backend without SETTINGS_ENABLE_CONNECT_PROTOCOL: it must get no request at all.
    const seen: string[] = [];
    const backendServer = new Http2Server(
      () => {
        seen.push('request');
        return { status: 200, headers: new Headers(), body: 'h2 backend' };
      },
      { onError: () => {} },
    );
    const { port: h2Port } = await backendServer.listen({ port: 0, host: '127.0.0.1' });
    onTestFinished(() => backendServer.close({ graceMs: 100 }));
    let info: ReturnType<typeof getProxyInfo>;
    const proxy = reverseProxy({ upstream: `h2://127.0.0.1:${h2Port}` });
    const port = await serveH2(viaProxy(proxy, (req) => (info = getProxyInfo(req))));
    const ws = await openH2WebSocket(port, '/');
    expect(ws.status).toBe(502);
    expect(seen).toEqual([]);
    expect(info).toMatchObject({ error: 'RWS_PROXY_INVALID_RESPONSE' });
    expect(info!.errorDetail).toMatch(/did not enable extended CONNECT/);
  }, 60_000);

  it('still refuses a plain CONNECT and other extended CONNECT protocols (501)', async () => {
    const b = await wsBackend();
    const port = await serveH2(viaProxy(reverseProxy({ upstream: b.origin })));
    const ws = await openH2WebSocket(port, '/', { ':protocol': 'connect-udp' });
    expect(ws.status).toBe(501);
    expect(b.seen).toHaveLength(0);
  }, 60_000);
});

describe('gateway: WebSocket from an h2 client through a proxy route', () => {
  it('matches a GET route, runs its middleware, and relays to the HTTP/1.1 backend', async () => {
    const b = await wsBackend();
    const gateway = await createGateway(
      `[[upstream]]\nname = "live"\nbackends = ["127.0.0.1:${b.port}"]\n` +
        `[[route]]\n[route.match]\npath = "/live/*"\nmethod = "GET"\n` +
        `[route.action]\ntype = "proxy"\nupstream = "live"\nstrip_path_prefix = "/live"\n` +
        `[route.middleware]\nauth = { type = "bearer", token_env = "WS_TOKEN" }\n`,
      { env: { WS_TOKEN: 'sesame' } },
    );
    onTestFinished(() => gateway.close());
    const port = await serveH2(gateway.handler);
    // The route's bearer auth runs on the extended CONNECT as on an HTTP/1.1 handshake.
    expect((await openH2WebSocket(port, '/live/feed')).status).toBe(401);
    const ws = await openH2WebSocket(port, '/live/feed', { authorization: 'Bearer sesame' });
    expect(ws.status).toBe(200);
    ws.send(OPCODE.TEXT, 'through the gateway');
    expect(text(await ws.next())).toBe('through the gateway');
    expect(b.seen.map((r) => r.url)).toEqual(['/feed']);
    expect((await openH2WebSocket(port, '/elsewhere')).status).toBe(404);
  }, 60_000);
});
