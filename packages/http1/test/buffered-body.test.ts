/**
 * `ClientResponse.takeBufferedBody()` over real sockets: a body that arrived whole with its
 * head comes out as bytes (and the socket is reused), one still on the wire gives null and
 * stays readable as a stream.
 */
import { describe, expect, it } from 'vitest';
import { createPool } from '../src/pool.js';
import { onRequestHeads, rawServer, sleep } from './client-helpers.js';

describe('ClientResponse.takeBufferedBody (issue #10)', () => {
  it('returns a body that came with its head, uses the body up, and frees the socket', async () => {
    const { origin, connections } = await rawServer((socket) => {
      onRequestHeads(socket, (_head, index) => {
        const body = `answer ${index}`;
        socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      });
    });
    const pool = createPool(origin);
    for (const expected of ['answer 0', 'answer 1']) {
      const res = await pool.request({ path: '/' });
      const bytes = res.takeBufferedBody();
      expect(bytes === null ? null : Buffer.from(bytes).toString()).toBe(expected);
      expect(res.body.isUsed).toBe(true);
      // Taken once: a second call has nothing to give.
      expect(res.takeBufferedBody()).toBe(null);
    }
    expect(connections()).toBe(1);
    expect(pool.stats).toMatchObject({ idle: 1, busy: 0 });
    await pool.close();
  });

  it('returns the trailers of a complete chunked body with it', async () => {
    const { origin } = await rawServer((socket) => {
      onRequestHeads(socket, () => {
        socket.write(
          'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nx-sum: 5\r\n\r\n',
        );
      });
    });
    const pool = createPool(origin);
    const res = await pool.request({ path: '/' });
    const bytes = res.takeBufferedBody();
    expect(bytes === null ? null : Buffer.from(bytes).toString()).toBe('abcde');
    expect(res.trailers?.get('x-sum')).toBe('5');
    await pool.close();
  });

  it('gives null while the body is still arriving; the body then streams as usual', async () => {
    const { origin } = await rawServer((socket) => {
      onRequestHeads(socket, () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nfirst');
        setTimeout(() => socket.write('-last'), 200);
      });
    });
    const pool = createPool(origin);
    const res = await pool.request({ path: '/' });
    expect(res.takeBufferedBody()).toBe(null);
    expect(res.body.isUsed).toBe(false);
    await sleep(10);
    expect(await res.body.text()).toBe('first-last');
    await pool.close();
  });
});
