/**
 * `req.drain` (issue #9): the HTTP/1.1 stand-in for GOAWAY. It aborts when the server starts
 * a graceful shutdown, so long-lived streams end themselves and `close()` finishes fast.
 */
import { type Request, sse } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { rawSocket, readUntil, start, text } from './helpers.js';

/** An event stream that ends (with a last event) when the server drains. */
function drainingEvents(req: Request) {
  return sse(
    (async function* () {
      yield { event: 'hello', data: 'first' };
      await new Promise((resolve) => req.drain.addEventListener('abort', resolve, { once: true }));
      yield { event: 'bye', data: 'server draining' };
    })(),
    { keepAliveMs: 0 },
  );
}

describe('req.drain (issue #9)', () => {
  it('an SSE stream that ends on drain lets close() finish long before its grace period', async () => {
    let isDrainedBefore: boolean | null = null;
    const { port, server } = await start((req) => {
      isDrainedBefore = req.drain.aborted;
      return drainingEvents(req);
    });
    const socket = await rawSocket(port);
    socket.write('GET /events HTTP/1.1\r\nHost: a\r\n\r\n');
    await readUntil(socket, (raw) => raw.includes('data: first'));
    const rest = readUntil(socket, () => false, 3000);
    const started = Date.now();
    // Half the grace period: waiting it out fails this by seconds, load delays do not.
    await server.close({ graceMs: 15_000 });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(7500);
    const tail = await rest;
    expect(tail).toContain('event: bye\ndata: server draining\n\n');
    // The stream ended properly: the last chunk was written before the connection closed.
    expect(tail.endsWith('0\r\n\r\n')).toBe(true);
    expect(isDrainedBefore).toBe(false);
  });

  it('is aborted by drain() without closing, with RWS_HTTP1_SERVER_CLOSED as the reason', async () => {
    let drain: AbortSignal | null = null;
    const { port, server } = await start((req) => {
      drain = req.drain;
      return text('ok');
    });
    const socket = await rawSocket(port);
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await readUntil(socket, (raw) => raw.includes('ok'));
    expect(drain!.aborted).toBe(false);
    server.drain();
    expect(drain!.aborted).toBe(true);
    expect((drain!.reason as { code?: string }).code).toBe('RWS_HTTP1_SERVER_CLOSED');
    // Still serving: drain is a signal, not a close.
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(await readUntil(socket, (raw) => raw.includes('ok'))).toContain('200 OK');
    expect(server.isClosing).toBe(false);
    socket.destroy();
  });
});
