/**
 * hello-http1 — the smallest rws server: a raw core `Handler` on `@rws/http1`'s `createServer`,
 * no router, no middleware. Shows the plain `Response` object shape and reading a JSON body.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/hello-http1.ts
 * then:
 *   curl http://127.0.0.1:3000/
 *   curl -d '{"name":"rws"}' http://127.0.0.1:3000/echo
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { type Handler, Headers, json } from '@rws/core';
import { createServer } from '@rws/http1';

const handler: Handler = async (req) => {
  if (req.method === 'POST' && req.path === '/echo') {
    // A JSON body, read with a 64 KiB cap: a larger body fails with 413.
    const input = await req.body.json({ limit: 64 * 1024 });
    return json({ received: input });
  }
  // A response is a plain object; the helpers (`text`, `json`, …) only fill it in.
  return {
    status: 200,
    headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
    body: `hello from rws over ${req.protocol} (${req.method} ${req.target})\n`,
  };
};

const server = createServer(handler, { serverHeader: 'rws-example' });
const { port } = await server.listen({
  port: Number(process.env['PORT'] ?? 3000),
  host: '127.0.0.1',
});
console.log(`hello-http1 listening on http://127.0.0.1:${port}/`);

// Drain in-flight requests before exiting on Ctrl-C / SIGTERM.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close({ graceMs: 2000 }).then(() => process.exit(0));
  });
}
