/**
 * Subject: an @rws/router App on @rws/http1 on 127.0.0.1:$PORT — `GET /users/:id` answers
 * `{"id":"<id>"}` as JSON, and one global middleware adds `x-powered-by` to every response
 * (written as the router README shows it: an async function around `next`).
 */
import { json } from '@rws/core';
import { createServer } from '@rws/http1';
// Relative import: @rws/router is not (yet) a devDependency of @rws/bench; tsx maps .js to .ts.
import { createApp } from '../../../../packages/router/src/index.js';

const port = Number(process.env['PORT'] ?? 3000);
const app = createApp();
app.use(async (req, next) => {
  const res = await next(req);
  res.headers.set('x-powered-by', 'rws');
  return res;
});
app.get('/users/:id', (req) => json({ id: req.params.id }));
await createServer(app.handler).listen({ port, host: '127.0.0.1' });
