/**
 * The keep-alive pool over real sockets: limits and queueing, aborts in every phase, timeouts,
 * stale-socket retry, close and destroy.
 */
import { isRwsError } from '@rws/core';
import { describe, expect, it, vi } from 'vitest';
import { createAgent } from '../src/agent.js';
import { createPool } from '../src/pool.js';
import { httpServer, onRequestHeads, rawServer, rejection, sleep } from './client-helpers.js';

function expectCode(err: unknown, code: string): void {
  expect(
    isRwsError(err, code),
    `${(err as Error).message} (${(err as { code?: string }).code})`,
  ).toBe(true);
}

describe('pool limits and queue', () => {
  it('never opens more than maxSockets and queues the rest', async () => {
    let active = 0;
    let maxActive = 0;
    const { origin, connections } = await httpServer((_req, res) => {
      active++;
      maxActive = Math.max(maxActive, active);
      setTimeout(() => {
        active--;
        res.end('ok');
      }, 20);
    });
    const pool = createPool(origin, { maxSockets: 2 });
    const results = await Promise.all(
      Array.from({ length: 8 }, async () => (await pool.request({ path: '/' })).body.text()),
    );
    expect(results).toEqual(Array(8).fill('ok'));
    expect(maxActive).toBe(2);
    expect(connections()).toBe(2);
    expect(pool.stats).toMatchObject({ connected: 2, idle: 2, queued: 0 });
    await pool.close();
  });

  it('rejects with POOL_QUEUE_FULL past maxQueue', async () => {
    const { origin } = await httpServer((_req, res) => setTimeout(() => res.end('ok'), 50));
    const pool = createPool(origin, { maxSockets: 1, maxQueue: 1 });
    const a = pool.request({});
    const b = pool.request({});
    const err = await rejection(pool.request({}));
    expectCode(err, 'RWS_HTTP1_POOL_QUEUE_FULL');
    expect(await (await a).body.text()).toBe('ok');
    expect(await (await b).body.text()).toBe('ok');
    await pool.close();
  });

  it('maxIdle closes sockets beyond the idle limit; idleTimeoutMs closes idle sockets', async () => {
    const { origin, sockets } = await httpServer((_req, res) =>
      setTimeout(() => res.end('ok'), 20),
    );
    const pool = createPool(origin, { maxSockets: 3, maxIdle: 1, idleTimeoutMs: 1000 });
    await Promise.all(Array.from({ length: 3 }, async () => (await pool.request({})).body.text()));
    await vi.waitFor(() => expect(pool.stats.connected).toBe(1));
    expect(pool.stats.idle).toBe(1);
    await vi.waitFor(() => expect(pool.stats.connected).toBe(0), { timeout: 10_000 });
    await vi.waitFor(() => expect(sockets.size).toBe(0));
    await pool.close();
  });

  it('close() lets running and queued requests finish, then refuses new ones', async () => {
    const { origin } = await httpServer((_req, res) => setTimeout(() => res.end('done'), 30));
    const pool = createPool(origin, { maxSockets: 1 });
    const a = pool.request({});
    const b = pool.request({});
    const closed = pool.close();
    expectCode(await rejection(pool.request({})), 'RWS_HTTP1_POOL_CLOSED');
    expect(await (await a).body.text()).toBe('done');
    expect(await (await b).body.text()).toBe('done');
    await closed;
    expect(pool.stats.connected).toBe(0);
  });

  it('destroy() fails running and queued requests with POOL_CLOSED', async () => {
    const { origin } = await httpServer(() => {});
    const pool = createPool(origin, { maxSockets: 1 });
    const a = rejection(pool.request({}));
    const b = rejection(pool.request({}));
    await sleep(30);
    await pool.destroy();
    expectCode(await a, 'RWS_HTTP1_POOL_CLOSED');
    expectCode(await b, 'RWS_HTTP1_POOL_CLOSED');
    expect(pool.stats.connected).toBe(0);
  });
});

describe('abort in every phase (the socket is destroyed, never reused)', () => {
  it('while queued', async () => {
    const { origin } = await httpServer((_req, res) => setTimeout(() => res.end('ok'), 80));
    const pool = createPool(origin, { maxSockets: 1 });
    const first = pool.request({});
    const ac = new AbortController();
    const queued = rejection(pool.request({ signal: ac.signal }));
    await vi.waitFor(() => expect(pool.stats.busy).toBe(1));
    expect(pool.stats.queued).toBe(1);
    ac.abort();
    expectCode(await queued, 'RWS_HTTP1_ABORTED');
    expect(pool.stats.queued).toBe(0);
    expect(await (await first).body.text()).toBe('ok');
    await pool.close();
  });

  it('while connecting (TLS handshake never completes)', async () => {
    const { port } = await rawServer(() => {});
    const pool = createPool(`https://127.0.0.1:${port}`, { connectTimeoutMs: 5000 });
    const ac = new AbortController();
    const p = rejection(pool.request({ signal: ac.signal }));
    await sleep(50);
    expect(pool.stats.connecting).toBe(1);
    ac.abort();
    expectCode(await p, 'RWS_HTTP1_ABORTED');
    await vi.waitFor(() => expect(pool.stats).toMatchObject({ connecting: 0, connected: 0 }));
    await pool.close();
  });

  it('while waiting for the response head', async () => {
    let serverSawClose = false;
    const { origin } = await rawServer((socket) => {
      socket.resume();
      socket.on('close', () => (serverSawClose = true));
    });
    const pool = createPool(origin);
    const ac = new AbortController();
    const p = rejection(pool.request({ signal: ac.signal }));
    await vi.waitFor(() => expect(pool.stats.busy).toBe(1));
    await sleep(20);
    ac.abort(new Error('user gave up'));
    const err = await p;
    expectCode(err, 'RWS_HTTP1_ABORTED');
    expect((err.cause as Error).message).toBe('user gave up');
    await vi.waitFor(() => expect(serverSawClose).toBe(true));
    await vi.waitFor(() => expect(pool.stats.connected).toBe(0));
    await pool.close();
  });

  it('while streaming the body', async () => {
    let serverSawClose = false;
    const { origin } = await rawServer((socket) => {
      socket.on('close', () => (serverSawClose = true));
      onRequestHeads(socket, () =>
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nhalf'),
      );
    });
    const pool = createPool(origin);
    const ac = new AbortController();
    const res = await pool.request({ signal: ac.signal });
    const reader = res.body[Symbol.asyncIterator]();
    expect(Buffer.from((await reader.next()).value as Uint8Array).toString()).toBe('half');
    const next = reader.next();
    ac.abort();
    expectCode(await rejection(next), 'RWS_HTTP1_ABORTED');
    await vi.waitFor(() => expect(serverSawClose).toBe(true));
    await vi.waitFor(() => expect(pool.stats.connected).toBe(0));
    await pool.close();
  });

  it('an already aborted signal rejects at once', async () => {
    const pool = createPool('http://127.0.0.1:1');
    expectCode(await rejection(pool.request({ signal: AbortSignal.abort() })), 'RWS_HTTP1_ABORTED');
    await pool.close();
  });

  it('cancelling the body drops the socket', async () => {
    const { origin, connections } = await rawServer((socket) => {
      onRequestHeads(socket, () =>
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345'),
      );
    });
    const pool = createPool(origin);
    const res = await pool.request({});
    res.body.cancel();
    await vi.waitFor(() => expect(pool.stats.connected).toBe(0));
    const again = await pool.request({});
    again.body.cancel();
    expect(connections()).toBe(2);
    await pool.close();
  });
});

describe('timeouts', () => {
  it('connectTimeoutMs', async () => {
    const { port } = await rawServer(() => {});
    const pool = createPool(`https://127.0.0.1:${port}`, { connectTimeoutMs: 50 });
    const started = Date.now();
    expectCode(await rejection(pool.request({})), 'RWS_HTTP1_CONNECT_TIMEOUT');
    // The server never completes TLS: only the connect timeout ends this before the test's.
    expect(Date.now() - started).toBeLessThan(10_000);
    await pool.close();
  });

  it('connection refused is CONNECT_FAILED', async () => {
    const { port } = await rawServer(() => {});
    const pool = createPool(`http://127.0.0.1:${port}`);
    await pool.close();
    const dead = createPool('http://127.0.0.1:1');
    expectCode(await rejection(dead.request({})), 'RWS_HTTP1_CONNECT_FAILED');
    await dead.close();
  });

  it('an unreachable origin fails every queued request at once, not one timeout each', async () => {
    const { port } = await rawServer(() => {});
    // One timeout per queued request would take 4 s; all at once takes 1 s plus any load delay.
    const pool = createPool(`https://127.0.0.1:${port}`, { maxSockets: 1, connectTimeoutMs: 1000 });
    const started = Date.now();
    const errors = await Promise.all(Array.from({ length: 4 }, () => rejection(pool.request({}))));
    for (const err of errors) expectCode(err, 'RWS_HTTP1_CONNECT_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(3500);
    const refused = createPool('http://127.0.0.1:1', { maxSockets: 2 });
    const all = await Promise.all(Array.from({ length: 5 }, () => rejection(refused.request({}))));
    for (const err of all) expectCode(err, 'RWS_HTTP1_CONNECT_FAILED');
    await pool.close();
    await refused.close();
  });

  it('headersTimeoutMs (per request override)', async () => {
    const { origin } = await rawServer(() => {});
    const pool = createPool(origin, { headersTimeoutMs: 60_000 });
    const err = await rejection(pool.request({ timeouts: { headersTimeoutMs: 50 } }));
    expectCode(err, 'RWS_HTTP1_HEADERS_TIMEOUT');
    await vi.waitFor(() => expect(pool.stats.connected).toBe(0));
    await pool.close();
  });

  it('bodyTimeoutMs fires when the server goes silent mid-body', async () => {
    const { origin } = await rawServer((socket) => {
      onRequestHeads(socket, () => {
        socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n');
      });
    });
    const pool = createPool(origin, { bodyTimeoutMs: 80 });
    const res = await pool.request({});
    const err = await rejection(res.body.text());
    expectCode(err, 'RWS_HTTP1_BODY_TIMEOUT');
    await pool.close();
  });

  it('bodyTimeoutMs does not fire while the consumer is the one not reading', async () => {
    const total = 8 * 1024 * 1024;
    const { origin } = await httpServer((_req, res) => {
      res.setHeader('content-length', String(total));
      res.end(Buffer.alloc(total, 1));
    });
    // The timeout is short next to the pause but long enough that a loaded machine's server
    // does not go silent for it while we read.
    const pool = createPool(origin, { bodyTimeoutMs: 300 });
    const res = await pool.request({});
    await sleep(1000);
    const bytes = await res.body.bytes({ limit: total });
    expect(bytes.byteLength).toBe(total);
    await pool.close();
  });
});

describe('stale keep-alive socket retry', () => {
  /** The server answers the first request, then drops the socket when the next one arrives. */
  async function flakyServer(): Promise<{ origin: string; connections: () => number }> {
    return rawServer((socket) => {
      onRequestHeads(socket, (_head, index) => {
        if (index === 0) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nfirst');
        else socket.destroy();
      });
    });
  }

  it('retries an idempotent request once on a fresh socket', async () => {
    const { origin, connections } = await flakyServer();
    const pool = createPool(origin);
    expect(await (await pool.request({})).body.text()).toBe('first');
    const res = await pool.request({ method: 'GET', path: '/again' });
    expect(await res.body.text()).toBe('first');
    expect(connections()).toBe(2);
    await pool.close();
  });

  it('does not retry a POST', async () => {
    const { origin, connections } = await flakyServer();
    const pool = createPool(origin);
    await (await pool.request({})).body.text();
    const err = await rejection(pool.request({ method: 'POST', body: 'x' }));
    expectCode(err, 'RWS_HTTP1_SOCKET_CLOSED');
    expect(connections()).toBe(1);
    await pool.close();
  });

  it('does not retry once the server answered anything (even a 1xx)', async () => {
    const { origin, connections } = await rawServer((socket) => {
      onRequestHeads(socket, (_head, index) => {
        if (index === 0) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
        else socket.end('HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n');
      });
    });
    const pool = createPool(origin);
    await (await pool.request({})).body.text();
    const err = await rejection(pool.request({}));
    expectCode(err, 'RWS_HTTP1_SOCKET_CLOSED');
    expect(err.message).toContain('interim response');
    expect(connections()).toBe(1);
    await pool.close();
  });

  it('does not retry on a fresh socket', async () => {
    const { origin } = await rawServer((socket) => onRequestHeads(socket, () => socket.destroy()));
    const pool = createPool(origin);
    expectCode(await rejection(pool.request({})), 'RWS_HTTP1_SOCKET_CLOSED');
    await pool.close();
  });

  it('an idle socket closed by the server is dropped before reuse', async () => {
    const { origin, connections } = await rawServer((socket) => {
      onRequestHeads(socket, () => {
        socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      });
    });
    const pool = createPool(origin);
    await (await pool.request({})).body.text();
    await vi.waitFor(() => expect(pool.stats.connected).toBe(0));
    expect(await (await pool.request({})).body.text()).toBe('ok');
    expect(connections()).toBe(2);
    await pool.close();
  });
});

describe('options', () => {
  it('maxResponseHeaderBytes applies to the status line plus header section', async () => {
    const { origin } = await httpServer((_req, res) => {
      res.setHeader('x-pad', 'p'.repeat(600));
      res.end('ok');
    });
    const small = createPool(origin, { maxResponseHeaderBytes: 512 });
    expectCode(await rejection(small.request({})), 'RWS_HTTP1_RESPONSE_TOO_LARGE');
    await small.close();
    const large = createPool(origin, { maxResponseHeaderBytes: 2048 });
    expect(await (await large.request({})).body.text()).toBe('ok');
    await large.close();
  });

  it('Agent applies per-origin overrides', async () => {
    const { origin } = await httpServer((_req, res) => {
      res.setHeader('x-pad', 'p'.repeat(600));
      res.end('ok');
    });
    const agent = createAgent({ origins: { [origin]: { maxResponseHeaderBytes: 512 } } });
    expectCode(
      await rejection(agent.request({ url: `${origin}/` })),
      'RWS_HTTP1_RESPONSE_TOO_LARGE',
    );
    await agent.close();
  });

  it('Agent drops a pool once its last socket is gone (issue #9)', async () => {
    const servers = await Promise.all(
      Array.from({ length: 6 }, () => httpServer((_req, res) => res.end('ok'))),
    );
    // Concurrent requests and an idle timeout well above their duration: on a loaded machine
    // no pool may go idle and be dropped before all six are counted.
    const agent = createAgent({ idleTimeoutMs: 500 });
    const bodies = await Promise.all(
      servers.map(async ({ origin }) => (await agent.request({ url: `${origin}/` })).body.text()),
    );
    expect(bodies).toEqual(Array(6).fill('ok'));
    expect(agent.origins).toHaveLength(6);
    for (let i = 0; i < 200 && agent.origins.length > 0; i++) await sleep(25);
    expect(agent.origins).toEqual([]);
    // An evicted origin gets a fresh pool on its next request.
    expect(await (await agent.request({ url: `${servers[0]!.origin}/` })).body.text()).toBe('ok');
    expect(agent.origins).toEqual([servers[0]!.origin]);
    await agent.close();
  });

  it('Agent keeps no pool for an origin that refused or dropped the connection (issue #9)', async () => {
    const { origin, port } = await rawServer((socket) => socket.destroy());
    const agent = createAgent();
    await rejection(agent.request({ url: `http://127.0.0.1:1/` }));
    await rejection(agent.request({ url: `${origin}/` }));
    expect(port).toBeGreaterThan(0);
    for (let i = 0; i < 50 && agent.origins.length > 0; i++) await sleep(10);
    expect(agent.origins).toEqual([]);
    await agent.close();
  });

  it('rejects invalid pool options and origins', () => {
    expect(() => createPool('ftp://x')).toThrow(/unsupported protocol/);
    expect(() => createPool('http://u:p@x')).toThrow(/credentials/);
    expect(() => createPool('http://x', { maxSockets: 0 })).toThrow(/maxSockets/);
  });
});
