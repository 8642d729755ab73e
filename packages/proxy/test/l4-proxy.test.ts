/**
 * The TCP and UDP proxies against real node:net and node:dgram peers on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createTcpProxy, createUdpProxy } from '../src/index.js';
import { sleep } from './helpers.js';

/** A TCP backend: says its label, then echoes; on the client's FIN it answers `bye` and ends. */
async function tcpBackend(
  label: string,
): Promise<{ address: string; server: net.Server; ended: () => number }> {
  let ended = 0;
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.write(`${label}\n`);
    socket.on('data', (d) => socket.write(d));
    socket.on('end', () => {
      ended++;
      socket.end('bye');
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    server,
    ended: () => ended,
  };
}

function talk(port: number, send: Buffer | string, endAfter = true): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.write(send);
    if (endAfter) socket.end();
  });
}

describe('createTcpProxy', () => {
  it('relays both ways, round robin per connection, carrying half-close', async () => {
    const a = await tcpBackend('a');
    const b = await tcpBackend('b');
    const proxy = createTcpProxy({ backends: [a.address, b.address] });
    onTestFinished(() => proxy.close());
    const { port } = await proxy.listen();
    const one = (await talk(port, 'ping')).toString();
    const two = (await talk(port, 'pong')).toString();
    // The client's FIN reached the backend, which still answered "bye" on the open direction.
    expect(one).toBe('a\npingbye');
    expect(two).toBe('b\npongbye');
    expect(a.ended() + b.ended()).toBe(2);
    expect(proxy.backends.map((x) => x.connections)).toEqual([1, 1]);
  });

  it('streams 16 MiB through intact', async () => {
    const sink = net.createServer((socket) => {
      const hash = createHash('sha256');
      socket.on('data', (d) => hash.update(d));
      socket.on('end', () => socket.end(hash.digest('hex')));
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => sink.close(() => resolve())));
    const proxy = createTcpProxy({
      backends: [`127.0.0.1:${(sink.address() as net.AddressInfo).port}`],
    });
    onTestFinished(() => proxy.close());
    const { port } = await proxy.listen();
    const data = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4096) data[i] = (i / 4096) & 255;
    const digest = (await talk(port, data)).toString();
    expect(digest).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('skips a backend that refuses, and health checks take it out of rotation', async () => {
    const a = await tcpBackend('a');
    const dead = net.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadAddress = `127.0.0.1:${(dead.address() as net.AddressInfo).port}`;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const proxy = createTcpProxy({
      backends: [deadAddress, a.address],
      healthCheck: { intervalMs: 20, timeoutMs: 200, unhealthyThreshold: 1 },
    });
    onTestFinished(() => proxy.close());
    const { port } = await proxy.listen();
    // Before the first probe: the refused connect falls through to the live backend.
    expect((await talk(port, 'x')).toString()).toBe('a\nxbye');
    for (let i = 0; i < 300 && proxy.backends[0]!.healthy; i++) await sleep(10);
    expect(proxy.backends[0]!.healthy).toBe(false);
    const failuresBefore = proxy.backends[0]!.failures;
    for (let i = 0; i < 4; i++) expect((await talk(port, 'y')).toString()).toBe('a\nybye');
    // Out of rotation: no more connect attempts at it.
    expect(proxy.backends[0]!.failures).toBe(failuresBefore);
  });

  it('rejects bad backend addresses', () => {
    expect(() => createTcpProxy({ backends: ['127.0.0.1'] })).toThrow(/backends\[0\]/);
    expect(() => createTcpProxy({ backends: [] })).toThrow(/backends/);
  });
});

async function udpBackend(label: string): Promise<{ address: string; seen: string[] }> {
  const seen: string[] = [];
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    seen.push(`${rinfo.port}:${msg}`);
    socket.send(`${label}:${msg}`, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { address: `127.0.0.1:${socket.address().port}`, seen };
}

async function udpClient(): Promise<{ ask: (port: number, msg: string) => Promise<string> }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return {
    ask: (port, msg) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no UDP reply')), 2000);
        socket.once('message', (reply) => {
          clearTimeout(t);
          resolve(reply.toString());
        });
        socket.send(msg, port, '127.0.0.1');
      }),
  };
}

describe('createUdpProxy', () => {
  it('keeps one backend per client session, balances new clients, and ends idle sessions', async () => {
    const a = await udpBackend('a');
    const b = await udpBackend('b');
    const proxy = createUdpProxy({ backends: [a.address, b.address], idleTimeoutMs: 400 });
    onTestFinished(() => proxy.close());
    const { port } = await proxy.listen();
    const c1 = await udpClient();
    const c2 = await udpClient();
    expect(await c1.ask(port, '1')).toBe('a:1');
    expect(await c1.ask(port, '2')).toBe('a:2');
    expect(await c2.ask(port, '3')).toBe('b:3');
    expect(proxy.sessions).toBe(2);
    // The backend saw one stable source port per session.
    expect(new Set(a.seen.map((s) => s.split(':')[0])).size).toBe(1);
    await sleep(700);
    expect(proxy.sessions).toBe(0);
    // A new session for c1 after the idle timeout goes to the next backend in turn.
    expect(await c1.ask(port, '4')).toBe('a:4');
    expect(await c2.ask(port, '5')).toBe('b:5');
  });
});
