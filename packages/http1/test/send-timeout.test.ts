/**
 * `sendTimeoutMs`: a client that stops reading our response (its receive window full, our
 * socket's write queue not shrinking) loses its connection, and the response producer is
 * stopped; a slow client that keeps reading is never cut off, however long the transfer.
 */
import { Headers } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { pause, rawSocket, start } from './helpers.js';

const GET = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
const CHUNK = Buffer.alloc(64 * 1024, 120);

async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('condition not reached');
    await pause(10);
  }
}

describe('sendTimeoutMs', () => {
  it('destroys a stalled connection and returns the body iterator', async () => {
    let finalized = false;
    let reason: unknown = null;
    const { port, server } = await start(
      (req) => {
        req.signal.addEventListener('abort', () => {
          reason = req.signal.reason;
        });
        return {
          status: 200,
          headers: new Headers(),
          body: (async function* () {
            try {
              for (;;) yield CHUNK;
            } finally {
              finalized = true;
            }
          })(),
        };
      },
      { sendTimeoutMs: 150 },
    );
    const socket = await rawSocket(port);
    socket.pause();
    socket.write(GET);
    await waitFor(() => finalized);
    expect((reason as { code?: string }).code).toBe('RWS_HTTP1_CLIENT_ABORTED');
    expect((reason as Error).message).toContain('sendTimeoutMs');
    await waitFor(() => server.connectionCount === 0);
  });

  it('cancels a ReadableStream body of a stalled connection', async () => {
    let cancelled = false;
    const { port, server } = await start(
      () => ({
        status: 200,
        headers: new Headers(),
        body: new ReadableStream<Uint8Array>({
          pull(c) {
            c.enqueue(new Uint8Array(CHUNK));
          },
          cancel() {
            cancelled = true;
          },
        }),
      }),
      { sendTimeoutMs: 150 },
    );
    const socket = await rawSocket(port);
    socket.pause();
    socket.write(GET);
    await waitFor(() => cancelled);
    await waitFor(() => server.connectionCount === 0);
  });

  it('destroys a connection that does not read a large in-memory body', async () => {
    const big = Buffer.alloc(32 * 1024 * 1024, 97);
    let served = false;
    const { port, server } = await start(
      () => {
        served = true;
        return { status: 200, headers: new Headers(), body: big };
      },
      { sendTimeoutMs: 150, keepAliveTimeoutMs: 60_000 },
    );
    const socket = await rawSocket(port);
    socket.pause();
    socket.write(GET);
    await waitFor(() => served);
    const started = Date.now();
    await waitFor(() => server.connectionCount === 0);
    // Not the keep-alive timeout: the send watch ended it.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('keeps a slow reader that makes progress, past both sendTimeoutMs and the idle timeout', async () => {
    const size = 4 * 1024 * 1024;
    const big = Buffer.alloc(size, 98);
    const sendTimeoutMs = 1000;
    const { port } = await start(() => ({ status: 200, headers: new Headers(), body: big }), {
      sendTimeoutMs,
      keepAliveTimeoutMs: 100,
    });
    const socket = await rawSocket(port);
    socket.pause();
    let received = 0;
    // One read (libuv reads at most 64 KiB at a time) per resume: a trickle of about 64 KiB
    // every 20 ms, so the transfer takes over a second, with progress far more often than
    // sendTimeoutMs (a loaded machine stretching a gap 50-fold still counts as progress).
    socket.on('data', (d: Buffer) => {
      received += d.length;
      socket.pause();
    });
    socket.write(GET);
    const started = Date.now();
    while (received < size + 40 && Date.now() - started < 18_000 && !socket.destroyed) {
      await pause(20);
      socket.resume();
    }
    // The whole body arrived although the transfer took longer than both timeouts (the
    // connection may close after it: the keep-alive timeout runs once the response is sent).
    expect(received).toBeGreaterThan(size);
    expect(Date.now() - started).toBeGreaterThan(sendTimeoutMs);
  });
});
