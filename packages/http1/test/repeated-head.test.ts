/**
 * Requests that repeat or nearly repeat the last one (method, target, origin, fields, the same
 * `Headers` changed in between): what goes on the wire must be each request's own, so a
 * cache of prepared heads (tried for issue #10, not kept: it helped only identical traffic)
 * can never send a stale one. The raw bytes a server reads are checked after every change.
 */
import { Headers } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { createPool } from '../src/pool.js';
import { onRequestHeads, rawServer } from './client-helpers.js';

const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';

/** A server that answers every request and records the heads it read, per origin. */
async function recordingServer(): Promise<{ origin: string; port: number; heads: string[] }> {
  const heads: string[] = [];
  const { origin, port } = await rawServer((socket) => {
    onRequestHeads(socket, (head) => {
      heads.push(head);
      socket.write(OK);
    });
  });
  return { origin, port, heads };
}

describe('a repeated request is written from its own fields (issue #10)', () => {
  it('sends each request its own fields when the same Headers changes in between', async () => {
    const { origin, heads } = await recordingServer();
    const pool = createPool(origin, { maxSockets: 1 });
    const headers = new Headers({ 'x-a': '1' });
    const send = async (init: Parameters<typeof pool.request>[0]) =>
      (await pool.request(init)).body.text();
    await send({ path: '/p', headers });
    await send({ path: '/p', headers });
    headers.set('x-a', '2');
    await send({ path: '/p', headers });
    headers.append('x-b', '3');
    await send({ path: '/p', headers });
    await send({ path: '/q', headers });
    await send({ method: 'DELETE', path: '/q', headers });
    await send({ method: 'POST', path: '/q', headers });
    await send({ path: '/q', headers: new Headers({ 'x-a': '2', 'x-b': '3' }) });
    // Last: the recording server does not read bodies.
    await send({ method: 'POST', path: '/q', headers, body: 'hi' });
    expect(heads).toEqual(
      [
        'GET /p HTTP/1.1\r\nhost: 127.0.0.1:PORT\r\nx-a: 1',
        'GET /p HTTP/1.1\r\nhost: 127.0.0.1:PORT\r\nx-a: 1',
        'GET /p HTTP/1.1\r\nhost: 127.0.0.1:PORT\r\nx-a: 2',
        'GET /p HTTP/1.1\r\nhost: 127.0.0.1:PORT\r\nx-a: 2\r\nx-b: 3',
        'GET /q HTTP/1.1\r\nhost: 127.0.0.1:PORT\r\nx-a: 2\r\nx-b: 3',
        'DELETE /q HTTP/1.1\r\nhost: 127.0.0.1:PORT\r\nx-a: 2\r\nx-b: 3',
        'POST /q HTTP/1.1\r\nhost: 127.0.0.1:PORT\r\nx-a: 2\r\nx-b: 3\r\ncontent-length: 0',
        'GET /q HTTP/1.1\r\nhost: 127.0.0.1:PORT\r\nx-a: 2\r\nx-b: 3',
        'POST /q HTTP/1.1\r\nhost: 127.0.0.1:PORT\r\nx-a: 2\r\nx-b: 3\r\ncontent-length: 2',
      ].map((h) => h.replace('PORT', new URL(origin).port)),
    );
    await pool.close();
  });

  it('names each origin in Host when two pools send the same request', async () => {
    const a = await recordingServer();
    const b = await recordingServer();
    const poolA = createPool(a.origin);
    const poolB = createPool(b.origin);
    const headers = new Headers({ accept: '*/*' });
    for (const pool of [poolA, poolB, poolA, poolB]) {
      await (await pool.request({ path: '/', headers })).body.text();
    }
    expect(a.heads).toEqual(
      Array(2).fill(`GET / HTTP/1.1\r\nhost: 127.0.0.1:${a.port}\r\naccept: */*`),
    );
    expect(b.heads).toEqual(
      Array(2).fill(`GET / HTTP/1.1\r\nhost: 127.0.0.1:${b.port}\r\naccept: */*`),
    );
    await Promise.all([poolA.close(), poolB.close()]);
  });

  it('still refuses what a repeat would have refused', async () => {
    const { origin, heads } = await recordingServer();
    const pool = createPool(origin);
    const headers = new Headers({ 'x-a': '1' });
    await (await pool.request({ path: '/ok', headers })).body.text();
    await expect(pool.request({ path: '/o k', headers })).rejects.toMatchObject({
      code: 'RWS_HTTP1_INVALID_REQUEST_OPTIONS',
    });
    expect(heads).toHaveLength(1);
    await pool.close();
  });
});
