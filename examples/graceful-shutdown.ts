/**
 * graceful-shutdown — `serve()` with `handleSignals`: on SIGTERM or Ctrl-C the server turns
 * `/readyz` to 503, stops accepting, lets in-flight requests finish (up to `graceMs`), runs
 * `onShutdown`, and exits 0. A second signal exits at once (130 / 143).
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/graceful-shutdown.ts
 * then, in another terminal:
 *   curl 'http://127.0.0.1:3000/slow?ms=5000' &  sleep 1; kill -TERM <pid printed on start>
 * The slow request still gets its answer; the process exits once it is sent.
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { text } from '@rws/core';
import { createApp } from '@rws/router';
import { serve } from '@rws/server';

const app = createApp();
app.get('/', () => text('ok\n'));
app.get('/slow', async (req) => {
  const ms = Math.min(Number(req.query.get('ms') ?? 2000) || 0, 30_000);
  await sleep(ms, undefined, { signal: req.signal }); // req.signal aborts if the client leaves
  return text(`done after ${ms} ms\n`);
});

const server = await serve(app, {
  port: Number(process.env['PORT'] ?? 3000),
  handleSignals: true,
  graceMs: 10_000, // longest time in-flight requests get after a signal
  shutdownDelayMs: 0, // raise it behind a load balancer that polls /readyz
  onShutdown: () => {
    // Close pools, flush logs, … — runs after the drain, before exit.
    console.log('graceful-shutdown: drained, bye');
  },
});
console.log(`graceful-shutdown listening on ${server.url}/ (pid ${process.pid})`);
