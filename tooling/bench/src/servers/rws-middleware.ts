/**
 * Subject: @rws/middleware on @rws/http1 on 127.0.0.1:$PORT — each path of
 * `MIDDLEWARE_PATHS` composes its middleware around a handler answering `Hello, World!`.
 */
import { compose, type Handler, type Middleware, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { compress } from '@rws/middleware/compress';
import { cors } from '@rws/middleware/cors';
import { rateLimit } from '@rws/middleware/rate-limit';
import { requestId } from '@rws/middleware/request-id';
import { RATE_LIMIT } from '../middleware-cases.js';
import { HELLO_BODY } from '../peers.js';

const port = Number(process.env['PORT'] ?? 3000);
const hello: Handler = () => text(HELLO_BODY);
const make = {
  requestId: (): Middleware => requestId(),
  cors: (): Middleware => cors({ allowOrigins: ['https://app.example'] }),
  rateLimit: (): Middleware => rateLimit({ limit: RATE_LIMIT.max, windowMs: RATE_LIMIT.windowMs }),
  compress: (): Middleware => compress(),
};
const routes = new Map<string, Handler>([
  ['/bare', hello],
  ['/request-id', compose([make.requestId()], hello)],
  ['/cors', compose([make.cors()], hello)],
  ['/rate-limit', compose([make.rateLimit()], hello)],
  ['/compress', compose([make.compress()], hello)],
  ['/all', compose([make.requestId(), make.cors(), make.rateLimit(), make.compress()], hello)],
]);
const notFound: Handler = () => text('Not Found', { status: 404 });
await createServer((req) => (routes.get(req.path) ?? notFound)(req)).listen({
  port,
  host: '127.0.0.1',
});
