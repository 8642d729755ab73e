/**
 * Issue #14: a WebSocket opened over HTTP/3 (RFC 9220 extended CONNECT) through `reverseProxy`
 * behind `serve({ http3: true, enableConnectProtocol: true })`, over real UDP and TCP sockets:
 * to an HTTP/2 backend (extended CONNECT of the proxy's own, our Http2Server) and to an
 * HTTP/1.1 `ws` backend (the RFC 6455 handshake). The client is @rws/h3's Http3Client with
 * @rws/http1's WebSocket codec on its tunnel.
 */
import { Headers } from '@rws/core';
import { Http2Server } from '@rws/h2';
import { Http3Client } from '@rws/h3';
import { upgradeWebSocket, WebSocket } from '@rws/http1/websocket';
import { serve } from '@rws/server';
import { createTestCertificates, type TestCertificates } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { reverseProxy } from '../src/index.js';
import { wsBackend } from './ws-backend.js';

let certs: TestCertificates;
beforeAll(() => {
  certs = createTestCertificates({ prefix: 'rws-proxy-h3-ws-' });
}, 60_000);
afterAll(() => certs?.cleanup());

/** The proxy behind serve() with HTTP/3 and extended CONNECT; an Http3Client connected to it. */
async function h3Front(upstream: string): Promise<Http3Client> {
  const proxy = reverseProxy({ upstream });
  const server = await serve(
    (req) =>
      proxy.handle(req, () => {
        throw new Error('the proxy never calls next');
      }),
    {
      port: 0,
      host: '127.0.0.1',
      tlsCertFile: certs.server.certFile,
      tlsKeyFile: certs.server.keyFile,
      http3: true,
      enableConnectProtocol: true,
      onError: () => {},
    },
  );
  onTestFinished(async () => {
    await server.close({ graceMs: 100 });
    await proxy.close();
  });
  const client = await Http3Client.connect({
    host: '127.0.0.1',
    port: server.address.port,
    serverName: 'localhost',
    ca: [certs.ca.cert],
  });
  onTestFinished(() => client.close());
  return client;
}

async function openOverH3(client: Http3Client, path: string): Promise<WebSocket> {
  const res = await client.request({
    path,
    protocol: 'websocket',
    headers: [['sec-websocket-version', '13']],
  });
  expect(res.status).toBe(200);
  const ws = new WebSocket(res.tunnel!, { isServer: false });
  onTestFinished(() => ws.terminate());
  return ws;
}

async function echo(ws: WebSocket, message: string): Promise<unknown> {
  await ws.send(message);
  for await (const m of ws) return m;
  return undefined;
}

describe('reverseProxy: WebSocket from an HTTP/3 client', () => {
  it('reaches an h2 backend as extended CONNECT: echo and the backend close code', async () => {
    const seen: string[] = [];
    const backend = new Http2Server(
      (req) => {
        seen.push(`${req.method} ${req.target} ${req.protocol} ${req.upgrade?.protocol}`);
        if (req.path === '/no') return { status: 403, headers: new Headers(), body: 'no' };
        return upgradeWebSocket(req, {
          onMessage: (message, ws) =>
            message === 'bye' ? ws.close(4002, 'bye to you') : ws.send(`h2 backend: ${message}`),
        });
      },
      { enableConnectProtocol: true, onError: () => {} },
    );
    const { port } = await backend.listen({ port: 0, host: '127.0.0.1' });
    onTestFinished(() => backend.close({ graceMs: 100 }));
    const client = await h3Front(`h2://127.0.0.1:${port}`);
    const ws = await openOverH3(client, '/room');
    expect(await echo(ws, 'hello')).toBe('h2 backend: hello');
    expect(seen).toEqual(['CONNECT /room h2 websocket']);
    await ws.send('bye');
    expect(await ws.closed).toMatchObject({ code: 4002, reason: 'bye to you', wasClean: true });
    // A refusal comes back as a response on the h3 stream.
    const refused = await client.request({
      path: '/no',
      protocol: 'websocket',
      headers: [['sec-websocket-version', '13']],
    });
    expect(refused.status).toBe(403);
    expect(refused.tunnel).toBeNull();
  }, 60_000);

  it('reaches an HTTP/1.1 ws backend as the RFC 6455 handshake, close code carried', async () => {
    const b = await wsBackend();
    const client = await h3Front(b.origin);
    const ws = await openOverH3(client, '/feed');
    expect(await echo(ws, 'over h3')).toBe('over h3');
    expect(b.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /feed']);
    const info = await ws.close(4100, 'h3 client leaves');
    expect(info.code).toBe(4100);
    await expect.poll(() => b.closes).toEqual([{ code: 4100, reason: 'h3 client leaves' }]);
  }, 60_000);
});
