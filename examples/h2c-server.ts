/**
 * h2c-server — one plain port that speaks HTTP/1.1 and cleartext HTTP/2 (h2c) to the same
 * app: `serve(app, { h2c: true })` sends connections that start with the HTTP/2 preface
 * (prior knowledge) to @rws/h2, and switches HTTP/1.1 requests that ask for `Upgrade: h2c`
 * (RFC 7540 §3.2) to HTTP/2: the client gets 101, the same request is answered as stream 1,
 * and the connection goes on as HTTP/2. Everything else stays HTTP/1.1.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/h2c-server.ts
 * then:
 *   curl -v --http2 http://127.0.0.1:3000/                 # Upgrade: h2c → 101 → HTTP/2
 *   curl --http2-prior-knowledge http://127.0.0.1:3000/    # h2c from the first byte
 *   curl http://127.0.0.1:3000/                            # HTTP/1.1
 *   nghttp -vu http://127.0.0.1:3000/                      # nghttp2's upgrade
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { json } from '@rws/core';
import { createApp } from '@rws/router';
import { serve } from '@rws/server';

const app = createApp();
// The handler does not know or care which protocol carried the request.
app.get('/', (req) =>
  json({
    protocol: req.protocol,
    authority: req.authority,
    userAgent: req.headers.get('user-agent'),
  }),
);

const server = await serve(app, {
  port: Number(process.env['PORT'] ?? 3000),
  h2c: true,
  handleSignals: true,
});
console.log(`h2c-server listening on ${server.url}/ (HTTP/1.1, h2c prior knowledge, Upgrade: h2c)`);
