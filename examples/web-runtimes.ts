/**
 * web-runtimes — one App for Node, Bun, Deno and Cloudflare's workerd. The module's default
 * export is `{ fetch }`, the shape those runtimes serve; `app.fetch(request)` takes and returns
 * Web `Request`/`Response` objects, so the routes and the middleware that need no sockets
 * (request id, security headers, CORS, sessions) run unchanged everywhere.
 *
 * On Node, from the repository root (served by @rws/http1):
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/web-runtimes.ts
 *   curl http://127.0.0.1:3000/hello/ada     # {"message":"hello ada","runtime":"Node.js/24"}
 *
 * Elsewhere, bundle it once (node:* modules stay imports; workerd needs `nodejs_compat`):
 *   npx pnpm@10.34.8 --filter @rws/identity exec esbuild ../../examples/web-runtimes.ts \
 *     --bundle --format=esm --platform=neutral --conditions=@rws/source \
 *     --external:'node:*' --external:@rws/http1 --outfile=/tmp/app.mjs
 *   deno serve --allow-net /tmp/app.mjs        # Deno
 *   bun /tmp/app.mjs                            # Bun serves a default { fetch } export
 * and for workerd, a config naming the bundle (see docs/identity.md). PORT sets the Node port
 * (default 3000; 0 picks a free one).
 */
import { json } from '@rws/core';
import { cors } from '@rws/middleware/cors';
import { requestId } from '@rws/middleware/request-id';
import { securityHeaders } from '@rws/middleware/security-headers';
import { getSession, session } from '@rws/middleware/session';
import { createApp } from '@rws/router';

const app = createApp();
app.use(
  requestId(),
  securityHeaders(),
  cors({ origin: ['https://app.example'] }),
  session({ keys: ['demo-secret-change-me-demo-secret-0001'] }),
);
app.get('/hello/:name', (req) =>
  json({ message: `hello ${req.params['name']}`, runtime: navigator.userAgent }),
);
app.get('/visits', (req) => {
  const s = getSession(req);
  const visits = (s.get<number>('visits') ?? 0) + 1;
  s.set('visits', visits);
  return json({ visits });
});

export default { fetch: (request: Request): Promise<Response> => app.fetch(request) };

// Only Node needs a server of ours; the other runtimes serve the default export themselves.
if (import.meta.main && navigator.userAgent.startsWith('Node.js/')) {
  const { createServer } = await import('@rws/http1');
  const server = createServer(app.handler);
  const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
  console.log(`web-runtimes listening on http://127.0.0.1:${port}/`);
}
