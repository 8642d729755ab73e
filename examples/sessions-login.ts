/**
 * sessions-login — server-side sessions kept in a database (`@rws/middleware/session-sql` on
 * `@rws/orm`), and an admin area behind HTTP Basic auth whose users come from an htpasswd
 * file with bcrypt entries (as `htpasswd -B` writes them).
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/sessions-login.ts
 * then:
 *   curl -c jar -b jar http://127.0.0.1:3000/visits      # {"visits":1}, then 2, 3…
 *   curl -i http://127.0.0.1:3000/admin                  # 401 with a Basic challenge
 *   curl -u 'admin:correct horse' http://127.0.0.1:3000/admin
 *
 * The sessions live in in-memory SQLite unless RWS_DB_URL (or RWS_DB_BACKEND and friends)
 * names another database: then they survive restarts and are shared by every instance.
 * SESSION_SECRET signs the cookie (a fixed demo value otherwise). PORT sets the port (default
 * 3000; 0 picks a free one).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { basicAuth } from '@rws/middleware/auth';
import { getSession, session } from '@rws/middleware/session';
import { createSqlSessionStore } from '@rws/middleware/session-sql';
import { createDb, dbConfigFromEnv } from '@rws/orm';
import { createApp } from '@rws/router';

// Libraries never read the environment: the program passes it in.
const config = dbConfigFromEnv(process.env);
const db = config === undefined ? createDb.memory() : createDb(config);

// An htpasswd file normally lives outside the project; this one is written on the spot.
// `htpasswd -nbB -C 10 admin 'correct horse'` printed this line.
const htpasswd = join(mkdtempSync(join(tmpdir(), 'rws-example-htpasswd-')), 'htpasswd');
writeFileSync(htpasswd, 'admin:$2y$10$Tab6YUow3tRWotUAOctO4OkSHKQx3RNvl08WyqX.rmpz9xMNFRy3y\n');

const app = createApp();
app.use(
  session({
    keys: [process.env['SESSION_SECRET'] ?? 'demo-secret-change-me-demo-secret-0001'],
    store: createSqlSessionStore({ db }),
  }),
);

app.get('/visits', (req) => {
  const s = getSession(req);
  const visits = (s.get<number>('visits') ?? 0) + 1;
  s.set('visits', visits);
  return json({ visits });
});

// A group whose routes need a bcrypt-checked Basic login (a wrong password is 401).
app.group('/admin', (g) => {
  g.use(basicAuth({ htpasswdFile: htpasswd, realm: 'admin' }));
  g.get('', () => text('Welcome, admin.\n'));
});

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`sessions-login (${db.dialect}) listening on http://127.0.0.1:${port}/`);
