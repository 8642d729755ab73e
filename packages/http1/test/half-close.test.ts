/**
 * A client half-close (FIN after a complete request) is not an abort (issue #9): the handler's
 * `req.signal` stays quiet and the response is written, then the connection closes.
 */
import { Headers, type Request } from '@rws/core';
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

  it('aborts req.halfClose on the FIN, before the response, without aborting req.signal', async () => {
    let isSignalAborted: boolean | null = null;
    let reason: unknown = null;
    const { port } = await start(async (req) => {
      const fin = req.halfClose;
      if (fin === undefined) return text('no halfClose');
      // Wait for the FIN itself, with a bound so a missing abort fails instead of hanging.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        fin.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      isSignalAborted = req.signal.aborted;
      reason = fin.reason;
      return text(fin.aborted ? 'saw fin' : 'no fin');
    });
    const socket = await rawSocket(port);
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await pause(50);
    socket.end();
    const raw = await readUntil(socket, () => false, 8000);
    expect(raw.endsWith('\r\n\r\nsaw fin')).toBe(true);
    expect(isSignalAborted).toBe(false);
    expect(reason).toMatchObject({ code: 'RWS_HTTP1_CLIENT_ABORTED' });
  });

  it('reports a FIN that came before req.halfClose was first read as already aborted', async () => {
    let isAborted: boolean | null = null;
    const { port } = await start(async (req) => {
      await pause(80);
      isAborted = req.halfClose?.aborted ?? null;
      return text('late look');
    });
    const socket = await rawSocket(port);
    socket.end('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const raw = await readUntil(socket, () => false, 3000);
    expect(raw.endsWith('late look')).toBe(true);
    expect(isAborted).toBe(true);
  });

  it('leaves req.halfClose quiet when the FIN comes after the response', async () => {
    const seen: Request[] = [];
    const { port } = await start((req) => {
      seen.push(req);
      void req.halfClose;
      return text('done');
    });
    const socket = await rawSocket(port);
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await readUntil(socket, (raw) => raw.endsWith('done'), 3000);
    socket.end();
    await readUntil(socket, () => false, 3000);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.halfClose?.aborted).toBe(false);
  });

  it('marks a pipelined request that starts after the FIN as half-closed too', async () => {
    const seen: (boolean | null)[] = [];
    const { port } = await start(async (req) => {
      await pause(60);
      seen.push(req.halfClose?.aborted ?? null);
      return text(`r${seen.length}`);
    });
    const socket = await rawSocket(port);
    socket.end('GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n');
    const raw = await readUntil(socket, () => false, 3000);
    // Both are still answered (finish is the server's rule); both saw the FIN.
    expect(raw).toContain('r1');
    expect(raw.endsWith('r2')).toBe(true);
    expect(seen).toEqual([true, true]);
  });
});
