/**
 * app-routing — an `App` from `@rws/router`: typed path params, typed state, route groups with
 * their own middleware, a plain-function middleware, HttpError mapping and a custom 404.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/app-routing.ts
 * then:
 *   curl http://127.0.0.1:3000/users/1
 *   curl http://127.0.0.1:3000/users/99              # 404 from an HttpError, JSON body
 *   curl -X DELETE http://127.0.0.1:3000/users/1     # 405 with Allow
 *   curl http://127.0.0.1:3000/admin/stats           # 401 without a token
 *   curl -H 'authorization: Bearer secret' http://127.0.0.1:3000/admin/stats
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { HttpError, json, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { createApp } from '@rws/router';

interface User {
  id: string;
  name: string;
}

const app = createApp({
  state: { users: new Map<string, User>([['1', { id: '1', name: 'Ada' }]]) },
});

// Global middleware as a plain function: runs around every route and the 404/405 answers.
app.use(async (req, next) => {
  const started = performance.now();
  const res = await next(req);
  res.headers.set('server-timing', `app;dur=${(performance.now() - started).toFixed(1)}`);
  return res;
});

app.get('/', () => text('try /users/1, /files/a/b.txt or /admin/stats\n'));

// `req.params` is typed from the path: { id: string }.
app.get('/users/:id', (req) => {
  const user = req.state.users.get(req.params.id);
  if (!user) throw new HttpError(404, `no user ${req.params.id}`);
  return json(user);
});

// A wildcard captures the rest of the path (possibly empty).
app.get('/files/*path', (req) => json({ path: req.params.path }));

// A group: prefix + middleware that applies only to the routes inside it.
app.group('/admin', (g) => {
  g.use((req, next) =>
    req.headers.get('authorization') === 'Bearer secret'
      ? next(req)
      : text('unauthorized\n', { status: 401, headers: { 'www-authenticate': 'Bearer' } }),
  );
  g.get('/stats', (req) => json({ users: req.state.users.size }));
});

// Errors that are not HttpError/RwsError become a 500 without details; the log keeps them.
app.get('/boom', () => {
  throw new Error('this message is logged, never sent');
});

app.notFound((req) => json({ error: 'not here', path: req.path }, { status: 404 }));

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`app-routing listening on http://127.0.0.1:${port}/`);
