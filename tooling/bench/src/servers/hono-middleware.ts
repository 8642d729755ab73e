/**
 * Peer: hono on @hono/node-server on 127.0.0.1:$PORT with hono's own `requestId`, `cors` and
 * `compress` middleware, and `hono-rate-limiter` (hono ships none; its memory store).
 */
import { serve } from '@hono/node-server';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { compress } from 'hono/compress';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { rateLimiter } from 'hono-rate-limiter';
import { RATE_LIMIT } from '../middleware-cases.js';
import { HELLO_BODY } from '../peers.js';

const port = Number(process.env['PORT'] ?? 3000);
const app = new Hono();
const make = {
  requestId: (): MiddlewareHandler => requestId(),
  cors: (): MiddlewareHandler => cors({ origin: ['https://app.example'] }),
  rateLimit: (): MiddlewareHandler =>
    rateLimiter({
      windowMs: RATE_LIMIT.windowMs,
      limit: RATE_LIMIT.max,
      keyGenerator: (c: Context) => c.env?.incoming?.socket?.remoteAddress ?? 'unknown',
    }),
  compress: (): MiddlewareHandler => compress(),
};
const hello = (c: Context) => c.text(HELLO_BODY);
app.get('/bare', hello);
app.get('/request-id', make.requestId(), hello);
app.get('/cors', make.cors(), hello);
app.get('/rate-limit', make.rateLimit(), hello);
app.get('/compress', make.compress(), hello);
app.get('/all', make.requestId(), make.cors(), make.rateLimit(), make.compress(), hello);
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
