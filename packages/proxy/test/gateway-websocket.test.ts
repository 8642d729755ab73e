/**
 * WebSocket through the gateway's proxy routes: the route's reverseProxy passes upgrades
 * through, after the route middleware (auth, timeout) ran on the handshake.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createGateway } from '../src/index.js';
import { serveHandler, startBackend } from './gateway-helpers.js';

async function wsEchoBackend(): Promise<{ address: string; urls: string[] }> {
  const b = await startBackend('ws');
  const wss = new WebSocketServer({ server: b.server });
  onTestFinished(() => new Promise<void>((r) => wss.close(() => r())));
  const urls: string[] = [];
  wss.on('connection', (socket, req) => {
    urls.push(req.url ?? '');
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  return { address: b.address, urls };
}

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    onTestFinished(() => ws.terminate());
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.on('error', () => {});
  });
}

function echo(ws: WebSocket, message: string): Promise<string> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(String(data)));
    ws.send(message);
  });
}

describe('gateway proxy routes pass WebSocket upgrades through', () => {
  it('after route middleware, with the path rewritten; refused handshakes get the middleware answer', async () => {
    const backend = await wsEchoBackend();
    const gateway = await createGateway(
      `[[upstream]]\nname = "live"\nbackends = ["${backend.address}"]\n` +
        `[[route]]\n[route.match]\npath = "/live/*"\n` +
        `[route.action]\ntype = "proxy"\nupstream = "live"\nstrip_path_prefix = "/live"\n` +
        `[route.middleware]\ntimeout_ms = 200\nauth = { type = "bearer", token_env = "WS_TOKEN" }\n`,
      { env: { WS_TOKEN: 'sesame' } },
    );
    onTestFinished(() => gateway.close());
    const port = await serveHandler(gateway.handler);
    const url = `ws://127.0.0.1:${port}/live/feed`;
    await expect(connect(url)).rejects.toThrow('status 401');
    const ws = await connect(url, { authorization: 'Bearer sesame' });
    expect(await echo(ws, 'one')).toBe('one');
    // Longer than the route's timeout_ms: that deadline is for the handshake, not the tunnel.
    await new Promise((r) => setTimeout(r, 400));
    expect(await echo(ws, 'two')).toBe('two');
    expect(backend.urls).toEqual(['/feed']);
    await expect(connect(`ws://127.0.0.1:${port}/elsewhere`)).rejects.toThrow('status 404');
  });
});
