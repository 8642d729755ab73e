/**
 * A client half-close (FIN after a complete request) is not an abort (issue #9): the handler's
 * `req.signal` stays quiet and the response is written, then the connection closes.
 */
import { Headers } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { pause, rawSocket, readUntil, start, text } from './helpers.js';

describe('half-close after a complete request (issue #9)', () => {
  it('still writes the response and does not abort req.signal', async () => {
    let isAborted: boolean | null = null;
    const { port } = await start(async (req) => {
      // Answer only after the client's FIN has certainly arrived.
      await pause(80);
      isAborted = req.signal.aborted;
      return text('after fin');
    });
    const socket = await rawSocket(port);
    socket.end('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const raw = await readUntil(socket, () => false, 3000);
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw.endsWith('\r\n\r\nafter fin')).toBe(true);
    expect(isAborted).toBe(false);
    // The server closed its side after the response: no further requests were possible.
    expect(socket.readableEnded).toBe(true);
  });

  it('streams a whole response to a half-closed client', async () => {
    let isAborted: boolean | null = null;
    const { port } = await start((req) => ({
      status: 200,
      headers: new Headers(),
      body: (async function* () {
        for (let i = 0; i < 5; i++) {
          await pause(20);
          yield Buffer.from(`part${i};`);
        }
        isAborted = req.signal.aborted;
      })(),
    }));
    const socket = await rawSocket(port);
    socket.end('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const raw = await readUntil(socket, () => false, 3000);
    expect(raw).toContain('part0;');
    expect(raw).toContain('part4;');
    expect(raw.endsWith('0\r\n\r\n')).toBe(true);
    expect(isAborted).toBe(false);
  });
});
