/**
 * The pooled client's Upgrade and CONNECT (issue #9): a 101 (or a 2xx to CONNECT) yields the
 * response plus a `Tunnel` over the socket, which leaves the pool. Peers: node:http's
 * 'upgrade' and 'connect' events.
 */
import * as net from 'node:net';
import type { Tunnel } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { createPool } from '../src/pool.js';
import { httpServer } from './client-helpers.js';

async function readText(tunnel: Tunnel, until: string): Promise<string> {
  const reader = tunnel.readable.getReader();
  let out = '';
  while (!out.includes(until)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += Buffer.from(value).toString();
  }
  reader.releaseLock();
  return out;
}

describe('client: Upgrade (RFC 9110 §7.8) against node:http', () => {
  it('yields the 101 and a tunnel that carries bytes both ways; the socket leaves the pool', async () => {
    const { server, origin } = await httpServer((_req, res) => res.end('plain'));
    let upgradeHeaders: Record<string, unknown> = {};
    server.on('upgrade', (req, socket, head) => {
      upgradeHeaders = req.headers;
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\nX-Hello: 1\r\n\r\nWELCOME;',
      );
      if (head.length > 0) socket.write(head);
      socket.on('data', (d: Buffer) => socket.write(`echo=${d.toString()};`));
      socket.on('end', () => socket.end('bye;'));
    });
    const pool = createPool(origin);
    const res = await pool.request({ path: '/ws', headers: { upgrade: 'echo' } });
    expect(res.status).toBe(101);
    expect(res.headers.get('x-hello')).toBe('1');
    expect(upgradeHeaders['connection']).toBe('upgrade');
    expect(upgradeHeaders['upgrade']).toBe('echo');
    const tunnel = res.tunnel!;
    expect(tunnel).not.toBeNull();
    // The bytes the server sent with its 101 come first.
    expect(await readText(tunnel, 'WELCOME;')).toBe('WELCOME;');
    expect(pool.stats).toMatchObject({ connected: 0, idle: 0, busy: 0 });
    const writer = tunnel.writable.getWriter();
    await writer.write(Buffer.from('ping'));
    expect(await readText(tunnel, 'echo=ping;')).toBe('echo=ping;');
    // Closing our side half-closes; the server answers and ends.
    await writer.close();
    expect(await readText(tunnel, 'bye;')).toBe('bye;');
    // A new request gets a fresh socket and plain HTTP.
    const plain = await pool.request({ path: '/' });
    expect(await plain.body.text()).toBe('plain');
    await pool.close();
  });

  it('applies backpressure: the socket pauses while the tunnel is not read', async () => {
    const { server, origin } = await httpServer((_req, res) => res.end('plain'));
    const total = 32 * 1024 * 1024;
    let serverSocket = null as net.Socket | null;
    server.on('upgrade', (_req, socket) => {
      serverSocket = socket as net.Socket;
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: flood\r\n\r\n',
      );
      const chunk = Buffer.alloc(1024 * 1024, 98);
      for (let sent = 0; sent < total; sent += chunk.length) socket.write(chunk);
    });
    const pool = createPool(origin);
    const res = await pool.request({ headers: { upgrade: 'flood' } });
    const tunnel = res.tunnel!;
    let last = -1;
    while (serverSocket === null || serverSocket.writableLength !== last) {
      last = serverSocket?.writableLength ?? -1;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Without backpressure the client would have read it all into memory.
    expect(serverSocket!.writableLength).toBeGreaterThan(total / 4);
    let read = 0;
    for await (const chunk of tunnel.readable) {
      read += chunk.byteLength;
      if (read >= total) break;
    }
    expect(read).toBe(total);
    serverSocket!.destroy();
    await pool.close();
  });

  it('a server that refuses the upgrade gives a normal response without a tunnel', async () => {
    const { origin } = await httpServer((_req, res) => {
      res.writeHead(426, { upgrade: 'echo' }).end('upgrade required');
    });
    const pool = createPool(origin);
    const res = await pool.request({ headers: { upgrade: 'other' } });
    expect(res.status).toBe(426);
    expect(res.tunnel).toBeNull();
    expect(await res.body.text()).toBe('upgrade required');
    await pool.close();
  });
});

describe('client: CONNECT (RFC 9110 §9.3.6) against node:http', () => {
  it('opens a tunnel through a forward proxy to a TCP echo server', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const echoPort = (echo.address() as net.AddressInfo).port;
    const { server, origin } = await httpServer((_req, res) => res.end('no'));
    let connectUrl = '';
    let connectHost = '';
    server.on('connect', (req, client, head) => {
      connectUrl = req.url ?? '';
      connectHost = req.headers.host ?? '';
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
    });
    const pool = createPool(origin);
    const res = await pool.request({ method: 'CONNECT', path: `127.0.0.1:${echoPort}` });
    expect(res.status).toBe(200);
    expect(connectUrl).toBe(`127.0.0.1:${echoPort}`);
    expect(connectHost).toBe(`127.0.0.1:${echoPort}`);
    const tunnel = res.tunnel!;
    const writer = tunnel.writable.getWriter();
    // Bytes that look like HTTP are tunnel data.
    await writer.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect(await readText(tunnel, '\r\n\r\n')).toBe('GET / HTTP/1.1\r\n\r\n');
    expect(pool.stats.connected).toBe(0);
    await writer.close();
    await tunnel.readable.cancel();
    await pool.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  it('a refused CONNECT (407) is a normal response and the socket is not reused', async () => {
    const { server, origin } = await httpServer((_req, res) => res.end('plain'));
    server.on('connect', (_req, client) => {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\nProxy-Authenticate: Basic\r\n\r\nauth',
      );
    });
    const pool = createPool(origin);
    const res = await pool.request({ method: 'CONNECT', path: 'example.com:443' });
    expect(res.status).toBe(407);
    expect(res.tunnel).toBeNull();
    expect(await res.body.text()).toBe('auth');
    await pool.close();
  });
});
