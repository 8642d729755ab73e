import { html, type Request } from '@rws/core';
import { serve } from '@rws/server';
import { useChromiumOverTls, webSocketEchoPageScript, withHttpsPage } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import { reverseProxy } from '../src/index.js';
import { wsBackend } from './ws-backend.js';

const chromium = useChromiumOverTls(
  '@rws/proxy',
  'the h2 WebSocket pass-through test',
  'rws-proxy-ws-chromium-',
);
const { hasChromium } = chromium;

describe.skipIf(!hasChromium)('Chromium WebSocket over HTTP/2 through reverseProxy', () => {
  it('reaches an HTTP/1.1 ws backend: messages both ways, subprotocol, deflate, close code', async () => {
    const b = await wsBackend({ deflate: true, protocols: ['chat.v2'] });

    const proxy = reverseProxy({ upstream: b.origin, stripPrefix: '/live' });
    onTestFinished(() => proxy.close());
    const proxySaw: string[] = [];
    const front = (req: Request) => {
      if (req.path === '/') return html('<!doctype html><title>ws through the proxy</title>');
      if (!req.path.startsWith('/live/')) return html('not here', { status: 404 }); // favicon
      proxySaw.push(`${req.method} ${req.path} ${req.protocol} ${req.upgrade?.protocol}`);
      return proxy.handle(req, () => html('unreachable', { status: 500 }));
    };
    const server = await serve(front, {
      port: 0,
      onError: () => {},
      tlsCertFile: chromium.certs.server.certFile,
      tlsKeyFile: chromium.certs.server.keyFile,
      enableConnectProtocol: true,
    });
    onTestFinished(() => server.close({ graceMs: 100 }));

    // The page load opens the HTTP/2 connection the WebSocket then shares.
    const result = await withHttpsPage(chromium.browser, server.address.port, (page) =>
      page.evaluate(webSocketEchoPageScript('/live/echo', ['chat.v2'], 100_000)),
    );
    expect(result).toMatchObject({
      got: ['hello', 'long:100000', '1,2,3'],
      code: 4000,
      protocol: 'chat.v2',
    });
    // permessage-deflate was agreed between Chromium and the backend, through the proxy.
    expect((result as { extensions: string }).extensions).toMatch(/^permessage-deflate/);
    expect(proxySaw).toEqual(['CONNECT /live/echo h2 websocket']);
    // The backend got the RFC 6455 handshake over HTTP/1.1, and the page's close code.
    expect(b.seen.map((r) => `${r.method} ${r.url} ${r.httpVersion} ${r.headers.upgrade}`)).toEqual(
      ['GET /echo 1.1 websocket'],
    );
    await expect
      .poll(() => b.closes, { timeout: 10_000 })
      .toEqual([{ code: 4000, reason: 'page done' }]);
  }, 60_000);
});
