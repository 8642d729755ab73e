import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/index.js';
import { captureIo } from './helpers.js';

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

  it.each([
    [[], 'Usage: rws db'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['new'], 'new needs a name'],
    [['new', 'Bad Name'], 'new needs a name'],
    [['rollback', 'two'], 'rollback needs a positive integer'],
    [['migrate', '--nope'], "Unknown option '--nope'"],
    [['migrate'], 'no database: pass --url or set RWS_DB_URL'],
    [['migrate', '--url', 'http://x/y'], 'scheme "http"'],
  ])('usage error %j exits 2', async (argv, message) => {
    const io = Object.assign(captureIo(), { cwd: tempDir() });
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
