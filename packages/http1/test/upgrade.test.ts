/**
 * Upgrade and CONNECT inside the handler chain (issue #9): `req.upgrade.accept()` gives the
 * handler a core `Tunnel`; middleware runs first and may answer instead. Raw sockets as peers.
 */
import { createServer as createNetServer, type Socket } from 'node:net';
import { compose, type Handler, Headers, type Middleware, type Tunnel } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { exchange, pause, rawSocket, readUntil, start, text } from './helpers.js';

const GET = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';

/** Echoes the tunnel's bytes back, prefixed, until the peer ends; then ends our side. */
async function echo(tunnel: Tunnel, prefix = ''): Promise<void> {
  const writer = tunnel.writable.getWriter();
  for await (const chunk of tunnel.readable) {
    await writer.write(prefix === '' ? chunk : Buffer.from(prefix + Buffer.from(chunk).toString()));
  }
  await writer.close();
}

const echoUpgrade: Handler = async (req) => {
  if (req.upgrade?.protocol !== 'echo') return text('upgrade required', 426, { upgrade: 'echo' });
  const tunnel = await req.upgrade.accept({ 'x-accepted': 'yes' });
  void echo(tunnel, 'echo=');
  return { status: 101, headers: new Headers(), body: null };
};

describe('Upgrade (RFC 9110 §7.8) through req.upgrade', () => {
  it('answers 101, then carries bytes both ways, early bytes first', async () => {
    let kind = '';
    const { port, server } = await start(async (req) => {
      kind = req.upgrade?.kind ?? '';
      return echoUpgrade(req);
    });
    const socket = await rawSocket(port);
    socket.write(
      'GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: Echo\r\nConnection: Upgrade\r\n\r\nEARLY',
    );
    const first = await readUntil(socket, (raw) => raw.includes('echo=EARLY'));
    expect(first).toMatch(
      /^HTTP\/1\.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: echo\r\nx-accepted: yes\r\n/,
    );
    expect(first).not.toContain('content-length');
    expect(kind).toBe('upgrade');
    // Bytes that look like HTTP are the new protocol's now.
    socket.write(GET);
    expect(await readUntil(socket, (raw) => raw.includes(`echo=${GET}`))).toContain(`echo=${GET}`);
    // The upgraded socket is no longer an HTTP connection.
    expect(server.connectionCount).toBe(0);
    // Half-close from the client ends the echo, which ends its side.
    socket.end();
    await new Promise((resolve) => socket.once('close', resolve));
  });

  it('aborts req.signal once the upgraded connection is gone (reset)', async () => {
    let reason: unknown = null;
    const closed = new Promise<void>((resolve) => {
      void start(async (req) => {
        await req.upgrade!.accept();
        req.signal.addEventListener('abort', () => {
          reason = req.signal.reason;
          resolve();
        });
        return text('', 101);
      }).then(async ({ port }) => {
        const socket = await rawSocket(port);
        socket.write('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\n');
        await readUntil(socket, (raw) => raw.includes('\r\n\r\n'));
        expect(reason).toBeNull();
        // A reset: after a FIN the server's side stays open (half-close) until the handler
        // closes the tunnel's writable.
        socket.resetAndDestroy();
      });
    });
    await closed;
    expect((reason as { code?: string }).code).toBe('RWS_HTTP1_CLIENT_ABORTED');
  });

  it('applies backpressure: a tunnel that does not read pauses the socket', async () => {
    let tunnel: Tunnel | null = null;
    const { port } = await start(async (req) => {
      tunnel = await req.upgrade!.accept();
      return text('', 101);
    });
    const socket = await rawSocket(port);
    socket.write('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\n');
    await readUntil(socket, (raw) => raw.includes('\r\n\r\n'));
    // Queue far more than the tunnel's 64 KiB and the kernel's loopback buffers can hold.
    const total = 32 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 97);
    for (let sent = 0; sent < total; sent += chunk.length) socket.write(chunk);
    // Wait until the transfer stalls: the server stopped reading for the tunnel.
    let last = -1;
    while (socket.writableLength !== last) {
      last = socket.writableLength;
      await pause(100);
    }
    // Without backpressure the server would have read everything into memory.
    expect(socket.writableLength).toBeGreaterThan(total / 4);
    // Reading the tunnel lets the rest through: every byte arrives.
    const reader = tunnel!.readable.getReader();
    let read = 0;
    while (read < total) {
      const { value, done } = await reader.read();
      if (done) break;
      read += value.byteLength;
    }
    expect(read).toBe(total);
    socket.destroy();
  });

  it('runs middleware first: one that rejects answers 401 and the connection stays HTTP', async () => {
    let accepted = 0;
    const auth: Middleware = {
      handle: (req, next) =>
        req.headers.get('authorization') === 'Bearer ok' ? next(req) : text('no', 401),
    };
    const { port } = await start(
      compose([auth], async (req) => {
        accepted++;
        return echoUpgrade(req);
      }),
    );
    const r = await exchange(
      port,
      'GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\n' +
        'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
      { responses: 2 },
    );
    expect(r.responses.map((x) => x.status)).toEqual([401, 401]);
    expect(accepted).toBe(0);
  });

  it('a handler that does not accept answers normally (426), keep-alive intact', async () => {
    const { port } = await start(echoUpgrade);
    const r = await exchange(
      port,
      'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n' +
        'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
      { responses: 2 },
    );
    expect(r.responses.map((x) => x.status)).toEqual([426, 426]);
  });

  it('offers no upgrade on a request with a body, without Connection: upgrade, or on HTTP/1.0', async () => {
    const seen: boolean[] = [];
    const { port } = await start(async (req) => {
      seen.push(req.upgrade !== undefined);
      return text(`plain ${(await req.body.text()).length}`);
    });
    const r = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: upgrade\r\nContent-Length: 3\r\n\r\nabc' +
        'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\n\r\n' +
        'GET / HTTP/1.0\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\n',
    );
    expect(r.responses.map((x) => x.body)).toEqual(['plain 3', 'plain 0', 'plain 0']);
    expect(seen).toEqual([false, false, false]);
  });

  it('rejects accept() twice or after the response', async () => {
    const errors: string[] = [];
    let late: (() => Promise<Tunnel>) | null = null;
    const { port } = await start(async (req) => {
      const offer = req.upgrade!;
      late = () => offer.accept();
      if (req.path === '/twice') {
        const tunnel = await offer.accept();
        await offer.accept().catch((e: { code: string }) => errors.push(e.code));
        await tunnel.writable.close();
        return text('', 101);
      }
      return text('no thanks', 400);
    });
    const r = await exchange(
      port,
      'GET /later HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\n',
      { responses: 1 },
    );
    expect(r.responses[0]!.status).toBe(400);
    await late!().catch((e: { code: string }) => errors.push(e.code));
    const socket = await rawSocket(port);
    socket.write('GET /twice HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\n');
    await readUntil(socket, (raw) => raw.includes('101'));
    expect(errors).toEqual(['RWS_HTTP1_UPGRADE_UNAVAILABLE', 'RWS_HTTP1_UPGRADE_UNAVAILABLE']);
    socket.destroy();
  });
});

describe('CONNECT (RFC 9110 §9.3.6) through req.upgrade', () => {
  async function tcpEcho(): Promise<number> {
    const sockets = new Set<Socket>();
    const echoServer = createNetServer((s) => {
      sockets.add(s);
      s.pipe(s);
    });
    await new Promise<void>((resolve) => echoServer.listen(0, '127.0.0.1', resolve));
    onTestFinished(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => echoServer.close(resolve));
    });
    return (echoServer.address() as { port: number }).port;
  }

  it('tunnels to a local TCP echo server', async () => {
    const echoPort = await tcpEcho();
    const { Duplex } = await import('node:stream');
    const { connect } = await import('node:net');
    const { port } = await start(async (req) => {
      if (req.upgrade?.kind !== 'connect' || req.authority === null) return text('no', 400);
      const [host, p] = req.authority.split(':');
      const upstream = connect(Number(p), host);
      await new Promise((resolve) => upstream.once('connect', resolve));
      const tunnel = await req.upgrade.accept();
      const up = Duplex.toWeb(upstream);
      void tunnel.readable.pipeTo(up.writable).catch(() => {});
      void up.readable.pipeTo(tunnel.writable).catch(() => {});
      return text('', 200);
    });
    const socket = await rawSocket(port);
    socket.write(
      `CONNECT 127.0.0.1:${echoPort} HTTP/1.1\r\nHost: 127.0.0.1:${echoPort}\r\n\r\nHELLO `,
    );
    const first = await readUntil(socket, (raw) => raw.includes('HELLO'));
    expect(first).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(first).not.toMatch(/content-length|transfer-encoding/i);
    socket.write(GET);
    expect(await readUntil(socket, (raw) => raw.includes(GET))).toContain(GET);
    socket.destroy();
  });

  it('answers a CONNECT the handler does not accept with its response, then closes', async () => {
    const { port } = await start((req) =>
      req.upgrade?.kind === 'connect' ? text('forbidden', 403) : text('?'),
    );
    const r = await exchange(
      port,
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    );
    expect(r.responses[0]!.status).toBe(403);
    expect(r.responses[0]!.headers['connection']).toBe('close');
    expect(r.closed).toBe(true);
  });

  it('turns a 2xx without accept() into 501: no tunnel was opened', async () => {
    const { port } = await start(() => text('never'));
    const r = await exchange(
      port,
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    );
    expect(r.responses[0]!.status).toBe(501);
    expect(r.responses[0]!.headers['connection']).toBe('close');
    expect(r.raw).not.toContain('never');
    expect(r.closed).toBe(true);
  });

  it('a graceful close ends an accepted tunnel after the grace period', async () => {
    const { port, server } = await start(async (req) => {
      await req.upgrade!.accept();
      return text('', 200);
    });
    const socket = await rawSocket(port);
    socket.write('CONNECT x:1 HTTP/1.1\r\nHost: x:1\r\n\r\n');
    await readUntil(socket, (raw) => raw.includes('\r\n\r\n'));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await server.close({ graceMs: 50 });
    await closed;
  });
});

describe('Upgrade between our own client and server (issue #9)', () => {
  it('the pooled client and req.upgrade.accept() relay bytes both ways', async () => {
    const { createPool } = await import('../src/pool.js');
    const { port } = await start(echoUpgrade);
    const pool = createPool(`http://127.0.0.1:${port}`);
    onTestFinished(() => pool.destroy());
    const res = await pool.request({ path: '/ws', headers: { upgrade: 'echo' } });
    expect(res.status).toBe(101);
    expect(res.headers.get('x-accepted')).toBe('yes');
    const writer = res.tunnel!.writable.getWriter();
    await writer.write(Buffer.from('ping'));
    await writer.close();
    let received = '';
    for await (const chunk of res.tunnel!.readable) received += Buffer.from(chunk).toString();
    // The server echoed, then ended its side when ours ended.
    expect(received).toBe('echo=ping');
  });
});
