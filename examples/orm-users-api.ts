/**
 * orm-users-api — a JSON API on `@rws/orm`: a model, a migration, a repository, keyset
 * pagination with an RFC 8288 Link header, a transaction, and constraint errors that become
 * HTTP answers by themselves (unique violation → 409, findOrFail → 404).
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/orm-users-api.ts
 * then:
 *   curl -X POST -d '{"email":"ada@example.com","name":"Ada"}' http://127.0.0.1:3000/users
 *   curl -X POST -d '{"email":"ada@example.com"}' http://127.0.0.1:3000/users   # 409
 *   curl -i 'http://127.0.0.1:3000/users?limit=2'                              # Link: rel="next"
 *   curl http://127.0.0.1:3000/users/1
 *
 * The database is in-memory SQLite unless RWS_DB_URL (or RWS_DB_BACKEND and friends) names
 * another one. PORT sets the port (default 3000; 0 picks a free one).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpError, json } from '@rws/core';
import { createServer } from '@rws/http1';
import { column, createDb, createMigrator, dbConfigFromEnv, defineModel } from '@rws/orm';
import { createApp } from '@rws/router';

const User = defineModel('example_users', {
  columns: { id: column.id(), email: column.text(), name: column.text().nullable() },
  timestamps: true,
});

// Libraries never read the environment: the program passes it in.
const config = dbConfigFromEnv(process.env);
const db = config === undefined ? createDb.memory() : createDb(config);

// Migrations normally live in a folder of the project; this one is written on the spot.
const migrations = mkdtempSync(join(tmpdir(), 'rws-example-migrations-'));
writeFileSync(
  join(migrations, '001_users.sql'),
  `create table example_users (
     id integer primary key ${db.dialect === 'postgres' ? 'generated always as identity' : db.dialect === 'mysql' ? 'auto_increment' : 'autoincrement'},
     email varchar(255) not null,
     name text,
     created_at ${db.dialect === 'sqlite' ? 'text' : db.dialect === 'mysql' ? 'datetime(3)' : 'timestamptz'} not null,
     updated_at ${db.dialect === 'sqlite' ? 'text' : db.dialect === 'mysql' ? 'datetime(3)' : 'timestamptz'} not null
   );
   create unique index example_users_email_unique on example_users (email);`,
);
await createMigrator(db, { dir: migrations }).migrate();
rmSync(migrations, { recursive: true, force: true });

const users = db.repo(User);
const app = createApp();

app.post('/users', async (req) => {
  const body = (await req.body.json()) as { email?: unknown; name?: unknown };
  if (typeof body.email !== 'string') throw new HttpError(400, 'email must be a string');
  const name = typeof body.name === 'string' ? body.name : null;
  // A duplicate email is an OrmError RWS_ORM_UNIQUE_VIOLATION with status 409.
  const user = await db.transaction((tx) =>
    tx.repo(User).insert({ email: body.email as string, name }),
  );
  return json(user, { status: 201 });
});

app.get('/users', async (req) => {
  const page = await users.paginate({
    after: req.query.get('after'),
    limit: Number(req.query.get('limit') ?? 20),
    orderBy: ['email'],
  });
  const headers: Record<string, string> = {};
  const link = page.linkHeader(`http://${req.headers.get('host') ?? '127.0.0.1'}${req.target}`);
  if (link !== '') headers['link'] = link;
  return json({ items: page.items, next: page.nextCursor }, { headers });
});

app.get('/users/:id', async (req) => json(await users.findOrFail(Number(req.params.id))));

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`orm-users-api (${db.dialect}) listening on http://127.0.0.1:${port}/`);

const stop = async () => {
  await server.close();
  await db.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
