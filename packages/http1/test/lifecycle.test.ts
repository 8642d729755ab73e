import { Headers } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { exchange, pause, rawSocket, readUntil, start, text } from './helpers.js';

const GET = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';

describe('timeouts', () => {
  it('answers 408 and closes when the head is too slow (slowloris)', async () => {
    const { port } = await start(() => text('x'), { headersTimeoutMs: 80 });
    const started = Date.now();
    const r = await exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n');
    expect(r.responses[0]!.status).toBe(408);
    expect(r.closed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
  });

  it('answers 408 to a fresh connection that sends nothing', async () => {
    const { port } = await start(() => text('x'), { headersTimeoutMs: 60 });
    const r = await exchange(port, '');
    expect(r.responses[0]!.status).toBe(408);
    expect(r.closed).toBe(true);
  });

  it('closes idle keep-alive connections silently after keepAliveTimeoutMs', async () => {
    const { port } = await start(() => text('x'), { keepAliveTimeoutMs: 60 });
    const socket = await rawSocket(port);
    socket.write(GET);
    const raw = await readUntil(socket, () => false, 2000);
    expect(raw.endsWith('\r\n\r\nx')).toBe(true);
    expect(socket.readableEnded || socket.destroyed).toBe(true);
  });

  it('aborts a slow handler with 503 after requestTimeoutMs', async () => {
    let reason: unknown;
    const { port } = await start(
      (req) =>
        new Promise((resolve) => {
          req.signal.addEventListener('abort', () => {
            reason = req.signal.reason;
            setTimeout(() => resolve(text('late')), 10);
          });
        }),
      { requestTimeoutMs: 80 },
    );
    const r = await exchange(port, GET);
    expect(r.responses[0]!.status).toBe(503);
    expect(r.closed).toBe(true);
    expect(r.raw).not.toContain('late');
    expect((reason as { code?: string }).code).toBe('RWS_HTTP1_REQUEST_TIMEOUT');
  });

  it('answers 408 when the body does not arrive within requestTimeoutMs', async () => {
    const { port } = await start(async (req) => text(await req.body.text()), {
      requestTimeoutMs: 80,
    });
    const r = await exchange(port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc');
    expect(r.responses[0]!.status).toBe(408);
    expect(r.closed).toBe(true);
  });
});

describe('graceful close', () => {
  it('finishes in-flight requests, closes idle connections and refuses new ones', async () => {
    const { port, server } = await start(async (req) => {
      if (req.path === '/slow') await pause(150);
      return text(req.path);
    });
    const idle = await rawSocket(port);
    idle.write(GET);
    await readUntil(idle, (raw) => raw.endsWith('/'));
    const busy = await rawSocket(port);
    busy.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n');
    await pause(20);
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    const closing = server.close({ graceMs: 2000 });
    await idleClosed;
    const raw = await readUntil(busy, () => false);
    expect(raw).toContain('connection: close');
    expect(raw.endsWith('/slow')).toBe(true);
    await closing;
    expect(server.connectionCount).toBe(0);
    const refused = await exchange(port, GET);
    expect(refused.responses).toHaveLength(0);
    expect(refused.closed).toBe(true);
  });

  it('destroys connections still busy after graceMs', async () => {
    const { port, server } = await start(() => new Promise(() => {}));
    const socket = await rawSocket(port);
    socket.write(GET);
    await pause(20);
    const started = Date.now();
    await server.close({ graceMs: 80 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    expect(server.connectionCount).toBe(0);
  });
});

describe('handleConnection', () => {
  it('serves sockets accepted by another net server', async () => {
    const { createServer: createNetServer } = await import('node:net');
    const { createServer } = await import('../src/index.js');
    const http = createServer(() => ({ status: 200, headers: new Headers(), body: 'attached' }));
    const net = createNetServer((socket) => http.handleConnection(socket));
    await new Promise<void>((resolve) => net.listen(0, '127.0.0.1', resolve));
    const port = (net.address() as { port: number }).port;
    const r = await exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(r.responses[0]!.body).toBe('attached');
    await http.close({ graceMs: 10 });
    await new Promise((resolve) => net.close(resolve));
  });
});
