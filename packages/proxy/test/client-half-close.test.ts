/**
 * A client that half-closes (FIN after a complete request) while the backend is still working
 * (issue #10: "a client abort cancels the upstream request"). With `clientHalfClose: 'abort'`
 * the backend request is cancelled; with `'finish'` (the default) the client still gets the
 * whole response after its FIN (RFC 9112 §9.6).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGateway, type ReverseProxyOptions, reverseProxy } from '../src/index.js';
import { serveHandler } from './gateway-helpers.js';
import { backend, serveProxy } from './helpers.js';

/** Resolves with `value` or rejects after `ms` naming what did not happen. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * A backend that holds each request: `arrived` resolves when one is in, `closed` when the
 * proxy closes that request's connection; `answer(body)` responds.
 */
async function slowBackend() {
  let onArrived!: (res: ServerResponse) => void;
  let onClosed!: () => void;
  const arrived = new Promise<ServerResponse>((r) => {
    onArrived = r;
  });
  const closed = new Promise<void>((r) => {
    onClosed = r;
  });
  const b = await backend((req: IncomingMessage, res: ServerResponse) => {
    req.socket.once('close', onClosed);
    req.resume();
    onArrived(res);
  });
  return { origin: b.origin, port: b.port, arrived, closed };
}

/** Sends one request on a raw socket; resolves with everything received once the peer closes. */
function rawClient(port: number): { socket: Socket; received: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  onTestFinished(() => {
    socket.destroy();
  });
  const received = new Promise<string>((resolve) => {
    let raw = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      raw += chunk;
    });
    socket.on('close', () => resolve(raw));
    socket.on('error', () => {});
  });
  socket.write('GET /slow HTTP/1.1\r\nHost: client.test\r\n\r\n');
  return { socket, received };
}

async function proxied(options: Omit<ReverseProxyOptions, 'upstream'>) {
  const b = await slowBackend();
  const origin = await serveProxy(reverseProxy({ upstream: b.origin, ...options }));
  return { b, port: Number(new URL(origin).port) };
}

describe('client half-close through the proxy (issue #10)', () => {
  it("clientHalfClose: 'abort' closes the backend request on the client's FIN", async () => {
    const { b, port } = await proxied({ clientHalfClose: 'abort' });
    const client = rawClient(port);
    const res = await within(b.arrived, 10_000, 'request reached the backend');
    client.socket.end();
    await within(b.closed, 10_000, 'backend connection closed after the client FIN');
    // The backend never answered: whatever the client got is not a 200 from it.
    expect(res.headersSent).toBe(false);
    const raw = await within(client.received, 10_000, 'client connection closed');
    expect(raw).not.toMatch(/^HTTP\/1\.1 200/);
  });

  it("clientHalfClose: 'finish' (the default) still answers a half-closed client", async () => {
    for (const options of [{}, { clientHalfClose: 'finish' } as const]) {
      const { b, port } = await proxied(options);
      const client = rawClient(port);
      const res = await within(b.arrived, 10_000, 'request reached the backend');
      client.socket.end();
      // Answer well after the FIN reached the proxy, streaming the body in two parts.
      await new Promise((r) => setTimeout(r, 300));
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first half, ');
      await new Promise((r) => setTimeout(r, 50));
      res.end('second half');
      const raw = await within(client.received, 10_000, 'client got the response');
      expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(raw).toContain('first half, ');
      expect(raw.endsWith('second half') || raw.endsWith('second half\r\n0\r\n\r\n')).toBe(true);
    }
  });

  it('rejects an unknown clientHalfClose with RWS_PROXY_INVALID_OPTIONS', () => {
    expect(() =>
      reverseProxy({
        upstream: 'http://127.0.0.1:1',
        clientHalfClose: 'close' as unknown as 'abort',
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'RWS_PROXY_INVALID_OPTIONS',
        message: expect.stringContaining('clientHalfClose'),
      }),
    );
  });

  it('client_half_close = "abort" on a gateway proxy route', async () => {
    const b = await slowBackend();
    const gateway = await createGateway(
      `[[route]]\n[route.action]\ntype = "proxy"\nupstream = "127.0.0.1:${b.port}"\nclient_half_close = "abort"\n`,
    );
    onTestFinished(() => gateway.close());
    const port = await serveHandler(gateway.handler);
    const client = rawClient(port);
    await within(b.arrived, 10_000, 'request reached the backend');
    client.socket.end();
    await within(b.closed, 10_000, 'backend connection closed after the client FIN');
  });
});
