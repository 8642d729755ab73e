import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRwsError } from '@rws/core';
import { requireCapability } from '@rws/test-helpers';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createMigrator } from '../src/index.js';
import { runPrefix } from './run-orm-conformance.js';
import { POSTGRES_URL } from './targets.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rws-orm-mig-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

let hasPostgres = false;
beforeAll(async () => {
  const db = createDb({ dialect: 'postgres', url: POSTGRES_URL });
  hasPostgres = await sql`select 1`.execute(db.kysely).then(
    () => true,
    () => false,
  );
  await db.close();
});

describe('migration lock', () => {
  it('postgres: migrates through the locked session, so a pool of one connection works', async (ctx) => {
    requireCapability(ctx, hasPostgres, 'PostgreSQL on 127.0.0.1:5432');
    const p = runPrefix();
    await using db = createDb({ dialect: 'postgres', url: POSTGRES_URL, pool: { size: 1 } });
    const dir = folder({ '001.sql': `create table ${p}_one (id integer primary key);` });
    const migrator = createMigrator(db, { dir, table: `${p}_migrations`, lockTimeoutMs: 2000 });
    expect(await migrator.migrate()).toEqual(['001']);
    expect(await migrator.rollback(1).catch((e: unknown) => e)).toSatisfy((e) =>
      isRwsError(e, 'RWS_ORM_MIGRATION_FAILED'),
    );
    await sql.raw(`drop table ${p}_one; drop table ${p}_migrations`).execute(db.kysely);
  });

  it('postgres: a lock held by another session fails with RWS_ORM_MIGRATION_LOCKED', async (ctx) => {
    requireCapability(ctx, hasPostgres, 'PostgreSQL on 127.0.0.1:5432');
    const p = runPrefix();
    await using db = createDb({ dialect: 'postgres', url: POSTGRES_URL });
    await using holder = createDb({ dialect: 'postgres', url: POSTGRES_URL });
    const dir = folder({ '001.sql': `create table ${p}_never (id integer primary key);` });
    const table = `${p}_migrations`;
    await holder.kysely.connection().execute(async (conn) => {
      await sql`select pg_advisory_lock(hashtext(${`rws_migrate:${table}`}))`.execute(conn);
      const started = Date.now();
      const err = await createMigrator(db, { dir, table, lockTimeoutMs: 300 })
        .migrate()
        .catch((e: unknown) => e);
      expect(isRwsError(err, 'RWS_ORM_MIGRATION_LOCKED')).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      await sql`select pg_advisory_unlock_all()`.execute(conn);
    });
    expect(await createMigrator(db, { dir, table }).migrate()).toEqual(['001']);
    await sql.raw(`drop table ${p}_never; drop table ${table}`).execute(db.kysely);
  });

  it('sqlite: a lock row left by another process fails with RWS_ORM_MIGRATION_LOCKED', async () => {
    const file = join(folder({}), 'app.db');
    await using db = createDb({ dialect: 'sqlite', options: { filename: file } });
    const dir = folder({ '001.sql': 'create table t (id integer primary key);' });
    const migrator = createMigrator(db, { dir, lockTimeoutMs: 200 });
    await migrator.status(); // creates the tables
    await sql`insert into rws_migrations_lock (id, owner) values (1, 'crashed')`.execute(db.kysely);
    expect(await migrator.migrate().catch((e: unknown) => e)).toSatisfy((e) =>
      isRwsError(e, 'RWS_ORM_MIGRATION_LOCKED'),
    );
    await sql`delete from rws_migrations_lock`.execute(db.kysely);
    expect(await migrator.migrate()).toEqual(['001']);
  });
});
