/**
 * sse-clock — server-sent events with core's `sse()` helper: an async generator yields one
 * `tick` event per second until the client goes away (`req.signal`), and the page at / shows
 * them with `EventSource`.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/sse-clock.ts
 * then open http://127.0.0.1:3000/ or:
 *   curl -N http://127.0.0.1:3000/events
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { html, type SseEvent, sse } from '@rws/core';
import { createServer } from '@rws/http1';
import { createApp } from '@rws/router';

/** One event per second; stops (and lets the response end) when `signal` aborts. */
async function* clock(signal: AbortSignal): AsyncGenerator<SseEvent> {
  yield { retry: 2000, comment: 'connected' };
  let n = 0;
  while (!signal.aborted) {
    yield { event: 'tick', id: String(++n), data: { now: new Date().toISOString() } };
    await sleep(1000, undefined, { signal }).catch(() => undefined);
  }
}

const app = createApp();

app.get('/', () =>
  html(`<!doctype html>
<title>sse clock</title>
<pre id="out">waiting…</pre>
<script>
  const out = document.getElementById('out');
  new EventSource('/events').addEventListener('tick', (e) => {
    out.textContent = JSON.parse(e.data).now + '\\n' + out.textContent;
  });
</script>`),
);

// `keepAliveMs` sends a comment on silence so proxies keep the stream open (default 15 s).
app.get('/events', (req) => sse(clock(req.signal), { keepAliveMs: 10_000 }));

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`sse-clock listening on http://127.0.0.1:${port}/`);
