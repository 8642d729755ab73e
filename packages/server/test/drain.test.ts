/**
 * `serve()`'s close starts by draining (issue #9): every request's `req.drain` aborts at once,
 * before the shutdown delay, so SSE streams end while /readyz already says 503.
 */
import { connect } from 'node:net';
import { sse } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { start } from './helpers.js';

describe('graceful shutdown drains long-lived responses (issue #9)', () => {
  it('aborts req.drain when close() starts, so an SSE stream ends before the delay is over', async () => {
    const server = await start(
      (req) =>
        sse(
          (async function* () {
            yield { data: 'first' };
            await new Promise((r) => req.drain.addEventListener('abort', r, { once: true }));
            yield { event: 'bye', data: 'draining' };
          })(),
          { keepAliveMs: 0 },
        ),
      { shutdownDelayMs: 400 },
    );
    const socket = connect(server.address.port, '127.0.0.1');
    let raw = '';
    const seen = (text: string) =>
      new Promise<number>((resolve, reject) => {
        const check = () => {
          if (raw.includes(text)) resolve(Date.now());
        };
        socket.on('data', (d: Buffer) => {
          raw += d.toString('latin1');
          check();
        });
        socket.once('close', () =>
          raw.includes(text) ? resolve(Date.now()) : reject(new Error(raw)),
        );
        check();
      });
    socket.write('GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await seen('data: first');
    const started = Date.now();
    // A grace period far beyond the bounds: waiting it out (the bug) fails them by seconds,
    // while a loaded CI machine's scheduling delays stay well inside them.
    const closing = server.close({ graceMs: 15_000 });
    const byeAt = await seen('event: bye');
    expect(byeAt - started).toBeLessThan(5000);
    await closing;
    expect(Date.now() - started).toBeLessThan(7500);
    socket.destroy();
  });
});
