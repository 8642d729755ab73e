/**
 * db-migrations — the `rws db` commands on a project whose database is set in the `[database]`
 * table of its rws.config.toml ([db-project/](db-project/): the config and a migrations folder),
 * then a small API on the migrated database.
 *
 * In a project of your own you type the commands in the folder that holds rws.config.toml:
 *   cd examples/db-project
 *   npx rws db status              # pending 20261129120000_create_notes …
 *   npx rws db migrate             # applied …, in name order, each in a transaction
 *   npx rws db rollback            # reverted the last one, through its .down.sql
 *   npx rws db new add_tags        # creates migrations/<UTC timestamp>_add_tags.sql and .down.sql
 * (`--url` or RWS_DB_URL win over the file; `rws db --help` lists every option.)
 *
 * This program runs those commands (the command line's `main`, as the `rws` binary does) in a
 * copy of db-project/ in a temporary folder, so the repository stays clean, prints their
 * output, then serves the notes table:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/db-migrations.ts
 *   curl http://127.0.0.1:3000/migrations       # the status, as `rws db status` reports it
 *   curl -X POST -d '{"body":"hello","pinned":true}' http://127.0.0.1:3000/notes
 *   curl http://127.0.0.1:3000/notes
 * PORT sets the port (default 3000; 0 picks a free one).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '@rws/cli';
import { HttpError, json } from '@rws/core';
import { createServer } from '@rws/http1';
import { column, createDb, createMigrator, defineModel } from '@rws/orm';
import { createApp } from '@rws/router';

const here = fileURLToPath(new URL('.', import.meta.url));
const project = mkdtempSync(join(tmpdir(), 'rws-db-project-'));
cpSync(join(here, 'db-project'), project, { recursive: true });

/**
 * `rws <args>` in the project folder: the command line's `main`, which the `rws` binary runs
 * with the process's argv, environment and working directory. Its output is printed.
 */
async function rws(...args: string[]): Promise<void> {
  const env = { ...process.env };
  // The [database] table is the point here: settings from the environment would win over it.
  for (const k of Object.keys(env)) if (k.startsWith('RWS_DB_')) delete env[k];
  let out = '';
  let err = '';
  const code = await main(args, {
    stdout: (text) => void (out += text),
    stderr: (text) => void (err += text),
    env,
    cwd: project,
    startServer: () => Promise.reject(new Error('rws db starts no server')),
  });
  if (code !== 0) throw new Error(`rws ${args.join(' ')} exited ${code}: ${err}`);
  console.log(`$ rws ${args.join(' ')}\n${out.trimEnd()}`);
}

await rws('db', 'status');
await rws('db', 'migrate');
await rws('db', 'rollback');
await rws('db', 'status');
await rws('db', 'migrate');

// The same database as `url = "sqlite:data/notes.db"` in the copy's rws.config.toml.
const db = createDb({ dialect: 'sqlite', url: `sqlite:${join(project, 'data', 'notes.db')}` });
const migrator = createMigrator(db, { dir: join(project, 'migrations') });
const Note = defineModel('notes', {
  columns: { id: column.id(), body: column.text(), pinned: column.boolean().default() },
  timestamps: true,
});
const notes = db.repo(Note);

const app = createApp();
app.get('/migrations', async () =>
  json(
    (await migrator.status()).map((m) => ({
      name: m.name,
      state: m.isMissing ? 'missing' : m.isApplied ? 'applied' : 'pending',
    })),
  ),
);
app.get('/notes', async () => json(await notes.findMany({}, { orderBy: ['id'] })));
app.post('/notes', async (req) => {
  const body = (await req.body.json()) as { body?: unknown; pinned?: unknown };
  if (typeof body.body !== 'string' || body.body === '')
    throw new HttpError(400, 'body must be a non-empty string');
  return json(await notes.insert({ body: body.body, pinned: body.pinned === true }), {
    status: 201,
  });
});

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`db-migrations listening on http://127.0.0.1:${port}/`);

const stop = async () => {
  await server.close();
  await db.close();
  rmSync(project, { recursive: true, force: true });
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
