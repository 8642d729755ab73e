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

describe('upgrade (RFC 9110 §7.8)', () => {
  it('hands the socket and the bytes read past the head to onUpgrade', async () => {
    const { port } = await start(() => text('not upgraded'), {
      onUpgrade: (req, socket, head) => {
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.get('upgrade')}\r\nConnection: Upgrade\r\n\r\n`,
        );
        socket.write(`head=${head.toString()};`);
        socket.on('data', (d: Buffer) => socket.write(`echo=${d.toString()};`));
        socket.resume();
      },
    });
    const socket = await rawSocket(port);
    socket.write(
      'GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nEARLY',
    );
    expect(await readUntil(socket, (raw) => raw.includes('head=EARLY;'))).toMatch(
      /^HTTP\/1\.1 101/,
    );
    socket.write('later');
    expect(await readUntil(socket, (raw) => raw.includes('echo=later;'))).toContain('echo=later;');
  });

  it('ignores Upgrade without onUpgrade', async () => {
    const { port } = await start(() => text('plain'));
    const r = await exchange(
      port,
      'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n',
      {
        responses: 1,
      },
    );
    expect(r.responses[0]!.status).toBe(200);
    expect(r.responses[0]!.body).toBe('plain');
  });
});

describe('upgrade requests that are answered normally (RFC 9110 §7.8)', () => {
  function startWithUpgrade() {
    let upgraded = 0;
    const started = start(async (req) => text(`plain ${(await req.body.text()).length}`), {
      onUpgrade: (_req, socket) => {
        upgraded++;
        socket.destroy();
      },
    });
    return { started, upgraded: () => upgraded };
  }

  it('ignores Upgrade on a request with a body, and keeps the connection', async () => {
    const { started, upgraded } = startWithUpgrade();
    const { port } = await started;
    const r = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: upgrade\r\nContent-Length: 3\r\n\r\nabc' +
        GET,
      { responses: 2 },
    );
    expect(r.responses.map((x) => x.body)).toEqual(['plain 3', 'plain 0']);
    expect(upgraded()).toBe(0);
  });

  it('ignores Upgrade without Connection: upgrade, and on HTTP/1.0', async () => {
    const { started, upgraded } = startWithUpgrade();
    const { port } = await started;
    const r = await exchange(
      port,
      'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\n\r\nGET / HTTP/1.0\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\n',
    );
    expect(r.responses.map((x) => x.status)).toEqual([200, 200]);
    expect(upgraded()).toBe(0);
  });
});

describe('CONNECT (RFC 9110 §9.3.6)', () => {
  it('answers 501 and closes without onConnect', async () => {
    const { port } = await start(() => text('never'));
    const r = await exchange(
      port,
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    );
    expect(r.responses[0]!.status).toBe(501);
    expect(r.responses[0]!.headers['connection']).toBe('close');
    expect(r.closed).toBe(true);
  });

  it('hands the socket and the early tunnel bytes to onConnect', async () => {
    let handled = 0;
    let target = '';
    const { port, server } = await start(
      () => {
        handled++;
        return text('never');
      },
      {
        onConnect: (req, socket, head) => {
          target = req.target;
          socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
          socket.write(`head=${head.toString()};`);
          socket.on('data', (d: Buffer) => socket.write(`tunnel=${d.toString()};`));
          socket.resume();
        },
      },
    );
    const socket = await rawSocket(port);
    socket.write('CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n\r\nHELLO');
    expect(await readUntil(socket, (raw) => raw.includes('head=HELLO;'))).toMatch(
      /^HTTP\/1\.1 200/,
    );
    // Bytes that look like HTTP are tunnel data now, not a request.
    socket.write(GET);
    expect(await readUntil(socket, (raw) => raw.includes('tunnel='))).toContain(`tunnel=${GET};`);
    expect(target).toBe('db.internal:5432');
    expect(handled).toBe(0);
    // The tunnel is no longer an HTTP connection, but a graceful close still ends it.
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
