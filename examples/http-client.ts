/**
 * http-client — `@rws/http1`'s client: one-off `request()` calls over the global agent and a
 * keep-alive `Pool` for one origin, against a local server started by this same program.
 * `/relay` shows the pool used inside a handler (what `@rws/proxy` does at scale).
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/http-client.ts
 * It prints what the client calls returned, then keeps the server up:
 *   curl http://127.0.0.1:3000/relay
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { json } from '@rws/core';
import { createPool, createServer, getGlobalAgent, request } from '@rws/http1';
import { createApp } from '@rws/router';

const app = createApp();
let hits = 0;
app.get('/data', () => json({ hits: ++hits, at: Date.now() }));
app.post('/count', async (req) => {
  // Counts a streamed request body without holding it in memory.
  let bytes = 0;
  for await (const chunk of req.body) bytes += chunk.byteLength;
  return json({ bytes });
});

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
const origin = `http://127.0.0.1:${port}`;

// One pool per upstream origin: at most 4 sockets, kept alive between requests.
const pool = createPool(origin, { maxSockets: 4, headersTimeoutMs: 5000 });

app.get('/relay', async (req) => {
  const upstream = await pool.request({ path: '/data', signal: req.signal });
  return json({ via: 'pool', upstream: await upstream.body.json(), stats: pool.stats });
});

console.log(`http-client listening on ${origin}/`);

// 1. A single request through the process-wide agent. Always read (or cancel) the body:
//    the socket returns to the pool only when the response is complete.
const first = await request({ url: `${origin}/data` });
console.log('request()', first.status, first.headers.get('content-type'), await first.body.json());

// 2. Ten concurrent requests share the pool's four keep-alive sockets.
const results = await Promise.all(
  Array.from({ length: 10 }, async () => {
    const res = await pool.request({ path: '/data' });
    return ((await res.body.json()) as { hits: number }).hits;
  }),
);
console.log('pool.request() x10 ->', results.join(','), pool.stats);

// 3. A streamed upload: an async iterable of unknown length is sent chunked.
async function* chunks(): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < 8; i++) yield new Uint8Array(16 * 1024).fill(i);
}
const upload = await pool.request({
  method: 'POST',
  path: '/count',
  headers: { 'content-type': 'application/octet-stream' },
  body: chunks(),
  signal: AbortSignal.timeout(5000),
});
console.log('streamed POST ->', await upload.body.json());

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Pools and the global agent keep sockets open; close them so the process can exit.
    void Promise.all([
      pool.close(),
      getGlobalAgent().close(),
      server.close({ graceMs: 1000 }),
    ]).then(() => process.exit(0));
  });
}
