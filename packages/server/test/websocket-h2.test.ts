/**
 * WebSocket over serve()'s HTTP/2 (issue #14). node:http2 as the peer checks what
 * `enableConnectProtocol` changes on the wire: SETTINGS_ENABLE_CONNECT_PROTOCOL, and an
 * extended CONNECT stream carrying WebSocket frames to an `upgradeWebSocket` route.
 *
 * Headless Chromium opens a WebSocket to serve()'s TLS port: over HTTP/2 as an
 * extended CONNECT stream (RFC 8441) when `enableConnectProtocol` is on, and over HTTP/1.1
 * (101) as the baseline. The route is the same `app.get()` + `upgradeWebSocket` in every case
 * (the router takes an extended CONNECT to the GET route); the server side records
 * `req.protocol` of the request that opened the socket. An EventSource on the same page
 * streams over the same protocol as the page.
 */
import { once } from 'node:events';
import { type ClientHttp2Session, connect, type IncomingHttpHeaders } from 'node:http2';
import { html, type Request, sse } from '@rws/core';
import {
  encodeFrame,
  type Frame,
  FrameParser,
  OPCODE,
  upgradeWebSocket,
} from '@rws/http1/websocket';
import { createApp } from '@rws/router';
import { useChromiumOverTls, webSocketEchoPageScript, withHttpsPage } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ServeOptions } from '../src/index.js';
import { start } from './helpers.js';

const chromium = useChromiumOverTls(
  '@rws/server',
  'the WebSocket browser test',
  'rws-server-ws-chromium-',
);

// Page-side code as strings: this package is typed without the DOM library.
const EVENTS_SCRIPT = `new Promise((resolve, reject) => {
  const es = new EventSource('/events');
  const got = [];
  es.onmessage = (e) => {
    got.push(e.lastEventId + '=' + e.data);
    if (got.length === 3) { es.close(); resolve(got); }
  };
  setTimeout(() => reject(new Error('no events: ' + got.join('|'))), 10000);
})`;

/**
 * Serves a page, an echo WebSocket route and an event stream from an App (`app.get` routes, as
 * an application writes them); returns what the page saw and the server saw.
 */
async function roundTrip(options: ServeOptions): Promise<{ page: unknown; server: string[] }> {
  const serverSaw: string[] = [];
  const app = createApp();
  app.get('/ws', (req) => {
    const via = req.protocol;
    return upgradeWebSocket(req, {
      origin: true,
      protocols: ['echo.v1'],
      deflate: true,
      onOpen: (ws) => serverSaw.push(`open ${via} ${ws.protocol}`),
      onMessage: (m, ws) =>
        ws.send(typeof m === 'string' ? `echo:${m}` : new Uint8Array([...m].reverse())),
      onClose: (info) => serverSaw.push(`close ${info.code}`),
    });
  });
  app.get('/events', (req) => {
    serverSaw.push(`events ${req.protocol}`);
    return sse(
      (async function* () {
        for (let i = 1; i <= 3; i++) yield { id: String(i), data: `tick ${i}` };
      })(),
      { keepAliveMs: 0 },
    );
  });
  app.get('/', () => html('<!doctype html><title>ws</title>'));
  const server = await start(app, {
    tlsCertFile: chromium.certs.server.certFile,
    tlsKeyFile: chromium.certs.server.keyFile,
    ...options,
  });
  // The page load opens the connection the WebSocket may then share.
  return withHttpsPage(chromium.browser, server.address.port, async (page) => {
    const result = await page.evaluate(webSocketEchoPageScript('/ws', ['echo.v1'], 70_000));
    await expect.poll(() => serverSaw.length, { timeout: 10_000 }).toBe(2);
    expect(await page.evaluate(EVENTS_SCRIPT)).toEqual(['1=tick 1', '2=tick 2', '3=tick 3']);
    return { page: result, server: serverSaw };
  });
}

/** An h2c session to `port` that has received the server's SETTINGS. */
async function h2cSession(port: number): Promise<ClientHttp2Session> {
  const session = connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  onTestFinished(() => {
    session.destroy();
  });
  await once(session, 'remoteSettings');
  return session;
}

const echoRoute = (req: Request) =>
  upgradeWebSocket(req, {
    onMessage: (m, ws) => ws.send(typeof m === 'string' ? `echo:${m}` : m),
  });

describe('extended CONNECT on serve() (node:http2 peer)', () => {
  it('with enableConnectProtocol, advertises it, carries a WebSocket on a stream, closes it 1001 on shutdown', async () => {
    const seen: string[] = [];
    const server = await start(
      (req) => {
        seen.push(`${req.method} ${req.protocol} ${req.upgrade?.kind}:${req.upgrade?.protocol}`);
        return upgradeWebSocket(req, {
          onMessage: (m, ws) => ws.send(`echo:${String(m)}`),
          onClose: (info) => seen.push(`close ${info.code} ${info.wasClean}`),
        });
      },
      { h2c: true, enableConnectProtocol: true },
    );
    const session = await h2cSession(server.address.port);
    expect(session.remoteSettings.enableConnectProtocol).toBe(true);
    const stream = session.request(
      {
        ':method': 'CONNECT',
        ':protocol': 'websocket',
        ':scheme': 'http',
        ':path': '/ws',
        'sec-websocket-version': '13',
      },
      { endStream: false },
    );
    const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders];
    // RFC 8441 §5: 200, and no Sec-WebSocket-Accept (there is no key to answer).
    expect(headers[':status']).toBe(200);
    expect(headers['sec-websocket-accept']).toBeUndefined();
    const parser = new FrameParser({ expectMasked: false, maxFrameBytes: 1024, allowRsv1: false });
    const frames: Frame[] = [];
    let wake = (): void => {};
    // DATA may split a frame anywhere: the parser keeps the rest until a frame is whole.
    stream.on('data', (chunk: Buffer) => {
      frames.push(...parser.push(chunk));
      wake();
    });
    const nextFrame = async (): Promise<Frame> => {
      while (frames.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return frames.shift()!;
    };
    stream.write(encodeFrame(OPCODE.TEXT, Buffer.from('over h2'), { mask: true }));
    const echo = await nextFrame();
    expect([echo.opcode, Buffer.from(echo.payload).toString()]).toEqual([
      OPCODE.TEXT,
      'echo:over h2',
    ]);
    // Shutdown closes the WebSocket on the h2 stream with 1001 instead of waiting out graceMs.
    const closing = server.close({ graceMs: 60_000 });
    const close = await nextFrame();
    expect(close.opcode).toBe(OPCODE.CLOSE);
    expect(Buffer.from(close.payload).readUInt16BE(0)).toBe(1001);
    stream.end(encodeFrame(OPCODE.CLOSE, close.payload.subarray(0, 2), { mask: true }));
    await closing;
    expect(seen).toEqual(['CONNECT h2 connect:websocket', 'close 1001 true']);
  });

  it('without it, sends no such setting and refuses :protocol with a stream error', async () => {
    let calls = 0;
    const server = await start(
      (req) => {
        calls++;
        return echoRoute(req);
      },
      { h2c: true },
    );
    const session = await h2cSession(server.address.port);
    expect(session.remoteSettings.enableConnectProtocol).toBeFalsy();
    const stream = session.request(
      { ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': '/ws' },
      { endStream: false },
    );
    stream.on('error', () => {});
    await new Promise((resolve) => stream.once('close', resolve));
    // RFC 8441 §3 and RFC 9113 §8.1.1: an unknown pseudo-header is a malformed request, reset
    // with PROTOCOL_ERROR before any handler runs.
    expect(stream.rstCode).toBe(1);
    expect(calls).toBe(0);
  });
});

const ECHOED = {
  got: ['echo:hello', 'long:70005', '3,2,1'],
  code: 4000,
  protocol: 'echo.v1',
  extensions: 'permessage-deflate',
};

describe.skipIf(!chromium.hasChromium)('Chromium WebSocket against serve() over TLS', () => {
  it('opens the WebSocket over HTTP/2 with extended CONNECT when enableConnectProtocol is on', async () => {
    const { page, server } = await roundTrip({ enableConnectProtocol: true });
    expect(page).toEqual(ECHOED);
    expect(server).toEqual(['open h2 echo.v1', 'close 4000', 'events h2']);
  }, 60_000);

  it('opens it over HTTP/1.1 (101) on a server without HTTP/2', async () => {
    const { page, server } = await roundTrip({ http2: false });
    expect(page).toEqual(ECHOED);
    expect(server).toEqual(['open http/1.1 echo.v1', 'close 4000', 'events http/1.1']);
  }, 60_000);

  it('falls back to HTTP/1.1 when HTTP/2 does not advertise extended CONNECT', async () => {
    const { page, server } = await roundTrip({});
    expect(page).toEqual(ECHOED);
    // The page and its event stream stay on HTTP/2; only the WebSocket takes HTTP/1.1.
    expect(server).toEqual(['open http/1.1 echo.v1', 'close 4000', 'events h2']);
  }, 60_000);
});
