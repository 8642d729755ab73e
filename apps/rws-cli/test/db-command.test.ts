import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, sql } from '@rws/orm';
import { requireCapability } from '@rws/test-helpers';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { main, parseToml } from '../src/index.js';
import { captureIo } from './helpers.js';

const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rws-cli-db-'));
  dirs.push(d);
  return d;
}

describe('rws db (issue #15)', () => {
  it('new, migrate, status, rollback against a SQLite file named by RWS_DB_* env', async () => {
    const root = tempDir();
    const dir = join(root, 'migrations');
    const env = { RWS_DB_BACKEND: 'sqlite', RWS_DB_NAME: join(root, 'app.db') };
    const run = async (...argv: string[]) => {
      const io = Object.assign(captureIo(env), { cwd: root });
      const code = await main(['db', ...argv], io);
      return { code, out: io.out, err: io.err };
    };

    const created = await run('new', 'create_notes');
    expect(created.code).toBe(0);
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^\d{14}_create_notes\.down\.sql$/);
    expect(created.out).toContain(`created migrations/${files[1]}`);
    const base = (files[1] as string).slice(0, -4);
    writeFileSync(
      join(dir, `${base}.sql`),
      'create table notes (id integer primary key, body text);',
    );
    writeFileSync(join(dir, `${base}.down.sql`), 'drop table notes;');

    expect(await run('status')).toMatchObject({ code: 0, out: `pending  ${base}\n` });
    expect(await run('migrate')).toMatchObject({ code: 0, out: `applied ${base}\n` });
    expect(await run('migrate')).toMatchObject({ code: 0, out: 'nothing to migrate\n' });
    expect((await run('status')).out).toMatch(new RegExp(`^applied  ${base}  \\d{4}-`));
    expect(await run('rollback')).toMatchObject({ code: 0, out: `reverted ${base}\n` });
    expect(await run('rollback', '1')).toMatchObject({ code: 0, out: 'nothing to roll back\n' });
  });

  it('--url wins over env; a failing migration exits 1 naming it and its code', async () => {
    const root = tempDir();
    writeFileSync(join(root, '001_bad.sql'), 'create table x (;');
    const io = Object.assign(captureIo({ RWS_DB_BACKEND: 'oracle' }), { cwd: root });
    expect(
      await main(['db', 'migrate', '--url', `sqlite:${join(root, 'x.db')}`, '--dir', '.'], io),
    ).toBe(1);
    expect(io.err).toContain('rws db migrate: migration 001_bad failed');
    expect(io.err).toContain('[RWS_ORM_MIGRATION_FAILED]');
  });

  it('the database from [database] url of rws.config.toml (SQLite, relative to the file); env and --url win', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'conf'));
    writeFileSync(
      join(root, 'conf', 'rws.config.toml'),
      'port = 8080\n[database]\nurl = "sqlite:app.db"\n',
    );
    writeFileSync(join(root, '001_notes.sql'), 'create table notes (id integer primary key);');
    writeFileSync(join(root, '001_notes.down.sql'), 'drop table notes;');
    const run = async (env: Record<string, string>, ...argv: string[]) => {
      const io = Object.assign(captureIo(env), { cwd: root, readFile: undefined });
      const code = await main(
        ['db', ...argv, '--dir', '.', '--config', 'conf/rws.config.toml'],
        io,
      );
      return { code, out: io.out, err: io.err };
    };
    expect(await run({}, 'migrate')).toMatchObject({ code: 0, out: 'applied 001_notes\n' });
    expect(existsSync(join(root, 'conf', 'app.db'))).toBe(true);
    expect((await run({}, 'status')).out).toMatch(/^applied {2}001_notes {2}\d{4}-/);
    // RWS_DB_URL comes before the file: a fresh database with nothing applied.
    const envDb = `sqlite:${join(root, 'env.db')}`;
    expect(await run({ RWS_DB_URL: envDb }, 'status')).toMatchObject({
      code: 0,
      out: 'pending  001_notes\n',
    });
    const flagDb = `sqlite:${join(root, 'flag.db')}`;
    expect(await run({ RWS_DB_URL: envDb }, 'migrate', '--url', flagDb)).toMatchObject({
      code: 0,
      out: 'applied 001_notes\n',
    });
    expect(existsSync(join(root, 'flag.db'))).toBe(true);
    expect((await run({ RWS_DB_URL: envDb }, 'status')).out).toBe('pending  001_notes\n');
    expect(await run({}, 'rollback')).toMatchObject({ code: 0, out: 'reverted 001_notes\n' });
  });

  it('the database from [database] url of rws.config.toml (PostgreSQL): migrate, status, rollback', async (ctx) => {
    const db = createDb({ dialect: 'postgres', url: POSTGRES_URL });
    const suffix = randomBytes(4).toString('hex');
    const [table, migrations] = [`cli_db_notes_${suffix}`, `cli_db_migrations_${suffix}`];
    onTestFinished(async () => {
      for (const t of [table, migrations])
        await sql
          .raw(`drop table if exists ${t}`)
          .execute(db.kysely)
          .catch(() => undefined);
      await db.close();
    });
    let why = '';
    const isUp = await sql`select 1`.execute(db.kysely).then(
      () => true,
      (err: Error) => {
        why = err.message;
        return false;
      },
    );
    requireCapability(ctx, isUp, `PostgreSQL (${why})`);
    const root = tempDir();
    writeFileSync(join(root, 'rws.config.toml'), `[database]\nurl = "${POSTGRES_URL}"\n`);
    writeFileSync(join(root, '001_notes.sql'), `create table ${table} (id serial primary key);`);
    writeFileSync(join(root, '001_notes.down.sql'), `drop table ${table};`);
    const run = async (...argv: string[]) => {
      const io = Object.assign(captureIo(), { cwd: root, readFile: undefined });
      const code = await main(['db', ...argv, '--dir', '.', '--table', migrations], io);
      return { code, out: io.out, err: io.err };
    };
    expect(await run('status')).toMatchObject({ code: 0, out: 'pending  001_notes\n' });
    expect(await run('migrate')).toMatchObject({ code: 0, out: 'applied 001_notes\n' });
    await sql.raw(`insert into ${table} default values`).execute(db.kysely);
    expect((await run('status')).out).toMatch(/^applied {2}001_notes {2}\d{4}-/);
    expect(await run('rollback')).toMatchObject({ code: 0, out: 'reverted 001_notes\n' });
    const left = await sql<{ n: string | null }>`select to_regclass(${table}) as n`.execute(
      db.kysely,
    );
    expect(left.rows[0]?.n).toBeNull();
  }, 60_000);

  it.each([
    ['[database]\nurl = "http://x/y"\n', 'database.url: database URL scheme "http"'],
    ['[database]\nuri = "sqlite:x.db"\n', 'database.uri: unknown key (did you mean "url"?)'],
    ['[database]\nurl = 5\n', 'database.url: must be a database URL string'],
    ['database = "sqlite:x.db"\n', 'database: must be a table ([database])'],
    ['[database]\n', 'has no url in [database]'],
    ['[database\n', 'rws.config.toml: '],
  ])('a bad [database] in rws.config.toml exits 2: %j', async (text, message) => {
    const root = tempDir();
    writeFileSync(join(root, 'rws.config.toml'), text);
    const io = Object.assign(captureIo(), { cwd: root, readFile: undefined });
    expect(await main(['db', 'status'], io)).toBe(2);
    expect(io.err).toContain(message);
  });

  it('the server config parser accepts [database] and reports its problems by key', () => {
    expect(parseToml('[database]\nurl = "sqlite:app.db"\n', 'rws.config.toml').problems).toEqual(
      [],
    );
    const bad = parseToml('[database]\nuri = "x"\nurl = "ftp://x"\n', 'rws.config.toml');
    expect(bad.problems.map((p) => [p.code, p.key, p.line, p.hint])).toEqual([
      ['RWS_CLI_UNKNOWN_KEY', 'database.uri', 2, 'did you mean "url"?'],
      ['RWS_CLI_INVALID_VALUE', 'database.url', 3, undefined],
    ]);
  });

  it.each([
    [[], 'Usage: rws db'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['new'], 'new needs a name'],
    [['new', 'Bad Name'], 'new needs a name'],
    [['rollback', 'two'], 'rollback needs a positive integer'],
    [['migrate', '--nope'], "Unknown option '--nope'"],
    [['migrate'], 'no database: pass --url, set RWS_DB_URL'],
    [['migrate', '--config', 'nope.toml'], 'cannot read the config file'],
    [['migrate', '--url', 'http://x/y'], 'scheme "http"'],
  ])('usage error %j exits 2', async (argv, message) => {
    const io = Object.assign(captureIo(), { cwd: tempDir(), readFile: undefined });
    expect(await main(['db', ...argv], io)).toBe(2);
    expect(io.err).toContain(message);
  });

  it('--help prints the commands and exits 0', async () => {
    const io = captureIo();
    expect(await main(['db', '--help'], io)).toBe(0);
    for (const c of ['migrate', 'rollback [n]', 'status', 'new <name>', 'RWS_DB_URL'])
      expect(io.out).toContain(c);
  });
});
