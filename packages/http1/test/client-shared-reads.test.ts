/**
 * Issue #10: client connections on plain TCP read into the buffer every socket shares
 * (src/internal/lent-reads.ts), which the next read of any socket overwrites. These tests keep
 * bytes of one response waiting (a head cut in two, body bytes, a chunk cut in its size line)
 * while another connection's reads overwrite the buffer, and check every response is exact.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../src/pool.js';
import { onRequestHeads, rawServer, sleep } from './client-helpers.js';

/** A server whose answers the test writes itself, piece by piece. */
async function heldServer(): Promise<{ origin: string; next: () => Promise<Socket> }> {
  const waiting: Array<(socket: Socket) => void> = [];
  const ready: Socket[] = [];
  const { origin } = await rawServer((socket) => {
    onRequestHeads(socket, () => {
      const take = waiting.shift();
      if (take !== undefined) take(socket);
      else ready.push(socket);
    });
  });
  const next = (): Promise<Socket> => {
    const socket = ready.shift();
    if (socket !== undefined) return Promise.resolve(socket);
    return new Promise((resolve) => waiting.push(resolve));
  };
  return { origin, next };
}

/** Reads into the shared buffer: a response of 600 `o` on another connection, read whole. */
async function overwrite(pool: Pool): Promise<void> {
  const res = await pool.request({ path: '/other' });
  expect(await res.body.text()).toBe('o'.repeat(600));
}

async function otherPool(): Promise<Pool> {
  const { origin } = await rawServer((socket) => {
    onRequestHeads(socket, () => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 600\r\n\r\n${'o'.repeat(600)}`);
    });
  });
  return createPool(origin);
}

describe('client reads into the shared buffer (issue #10)', () => {
  it('a head cut in two and a body in pieces survive other reads in between', async () => {
    const held = await heldServer();
    const pool = createPool(held.origin);
    const other = await otherPool();
    const pending = pool.request({ path: '/' });
    const socket = await held.next();
    socket.write('HTTP/1.1 200 OK\r\nx-first: aaaa');
    await sleep(30);
    await overwrite(other);
    socket.write('aaaa\r\ncontent-length: 209\r\n\r\nbody');
    const res = await pending;
    expect(res.headers.get('x-first')).toBe('aaaaaaaa');
    await overwrite(other);
    // Over 64 bytes: copied natively, not byte by byte.
    socket.write(`-${'p'.repeat(200)}`);
    await sleep(30);
    await overwrite(other);
    socket.write('-end');
    await sleep(30);
    await overwrite(other);
    // Read only now: every piece was queued while the buffer was overwritten.
    expect(await res.body.text()).toBe(`body-${'p'.repeat(200)}-end`);
    await pool.close();
    await other.close();
  });

  it('a chunked body cut inside a size line and its trailers survive other reads', async () => {
    const held = await heldServer();
    const pool = createPool(held.origin);
    const other = await otherPool();
    const pending = pool.request({ path: '/' });
    const socket = await held.next();
    socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0');
    const res = await pending;
    await sleep(30);
    await overwrite(other);
    socket.write('9\r\n, world!!\r\n0\r\nx-su');
    await sleep(30);
    await overwrite(other);
    socket.write('m: 14\r\n\r\n');
    await sleep(30);
    await overwrite(other);
    expect(await res.body.text()).toBe('hello, world!!');
    expect(res.trailers?.get('x-sum')).toBe('14');
    await pool.close();
    await other.close();
  });

  it('a body that came whole with its head is still exact after other reads', async () => {
    const held = await heldServer();
    const pool = createPool(held.origin);
    const other = await otherPool();
    const first = pool.request({ path: '/' });
    (await held.next()).write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nfirst');
    const res = await first;
    await overwrite(other);
    // The socket went back to the pool: the next response is read into the same buffer.
    const second = pool.request({ path: '/' });
    (await held.next()).write('HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nsecond');
    const res2 = await second;
    await overwrite(other);
    expect(Buffer.from(res.takeBufferedBody() ?? []).toString()).toBe('first');
    expect(await res2.body.text()).toBe('second');
    await pool.close();
    await other.close();
  });
});
