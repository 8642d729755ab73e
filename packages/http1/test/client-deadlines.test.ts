/**
 * Issue #10: a client socket's response-head timeout and a pooled socket's idle timeout are
 * deadlines moved per request without a timer operation (src/internal/deadline-timer.ts): the
 * timer armed for an earlier request fires early and re-arms for the rest. These tests check
 * that a timeout still counts from the request (or the return to the pool) it belongs to,
 * over a socket whose timer was armed by earlier exchanges.
 */
import { describe, expect, it } from 'vitest';
import { createPool } from '../src/pool.js';
import { onRequestHeads, rawServer, rejection, sleep } from './client-helpers.js';

const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';

/** A server answering the first `answered` requests on each connection, then silent. */
async function answering(answered: number) {
  let closed = 0;
  const server = await rawServer((socket) => {
    socket.on('close', () => closed++);
    onRequestHeads(socket, (_head, index) => {
      if (index < answered) socket.write(OK);
    });
  });
  return { ...server, closed: () => closed };
}

describe('client deadlines moved per request (issue #10)', () => {
  it('a head timeout counts from its own request on a reused socket', async () => {
    const { origin, connections } = await answering(1);
    const pool = createPool(origin, { headersTimeoutMs: 400 });
    const first = await pool.request();
    expect(await first.body.text()).toBe('ok');
    // The timer armed by the first request fires ~400 ms after it, while the second waits.
    await sleep(250);
    const startedAt = Date.now();
    const err = await rejection(pool.request());
    const elapsed = Date.now() - startedAt;
    expect(err.code).toBe('RWS_HTTP1_HEADERS_TIMEOUT');
    expect(connections()).toBe(1);
    // Not at the first request's deadline (~150 ms from now), at this one's.
    expect(elapsed).toBeGreaterThanOrEqual(390);
    // Only that it fires at all: the lower bound above tells the two deadlines apart.
    expect(elapsed).toBeLessThan(10_000);
    await pool.close();
  });

  it('a shorter per-request head timeout than the armed one fires on time', async () => {
    const { origin } = await answering(1);
    const pool = createPool(origin, { headersTimeoutMs: 60_000 });
    await (await pool.request()).body.text();
    const startedAt = Date.now();
    const err = await rejection(pool.request({ timeouts: { headersTimeoutMs: 100 } }));
    const elapsed = Date.now() - startedAt;
    expect(err.code).toBe('RWS_HTTP1_HEADERS_TIMEOUT');
    expect(elapsed).toBeGreaterThanOrEqual(95);
    // The armed timeout is 60 s: anything well below it is the per-request one.
    expect(elapsed).toBeLessThan(10_000);
    await pool.close();
  });

  it('a head that arrives in time is not timed out by an earlier request timer', async () => {
    let n = 0;
    const { origin } = await rawServer((socket) => {
      onRequestHeads(socket, () => {
        // The second answer comes after the first request's deadline, before its own.
        if (n++ === 0) socket.write(OK);
        else setTimeout(() => socket.write(OK), 250);
      });
    });
    const pool = createPool(origin, { headersTimeoutMs: 400 });
    await (await pool.request()).body.text();
    await sleep(250);
    const res = await pool.request();
    expect(await res.body.text()).toBe('ok');
    await pool.close();
  });

  it('an idle socket closes idleTimeoutMs after its last return to the pool', async () => {
    const { origin, connections, closed } = await answering(100);
    const pool = createPool(origin, { idleTimeoutMs: 400 });
    await (await pool.request()).body.text();
    await sleep(250);
    // Used again: idle from now on, past the first return's deadline (~150 ms from now).
    await (await pool.request()).body.text();
    await sleep(300);
    expect(pool.stats.idle).toBe(1);
    expect(closed()).toBe(0);
    await sleep(400);
    expect(pool.stats.connected).toBe(0);
    expect(connections()).toBe(1);
    await pool.close();
  });
});
