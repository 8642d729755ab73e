/**
 * The SQLite dialect keeps prepared statements per SQL text (src/internal/statement-cache.ts,
 * issue #15's per-call overhead): one prepare per SQL, a bounded LRU, a statement that is still
 * iterating never handed out twice, and schema changes seen by kept statements. On real
 * better-sqlite3 connections.
 */
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import { column, createDb, defineModel } from '../src/index.js';
import { cachingStatements } from '../src/internal/statement-cache.js';

/** A real in-memory connection whose prepare calls are counted. */
function countedConnection() {
  const real = new Database(':memory:');
  const prepared: string[] = [];
  const conn = {
    close: () => real.close(),
    prepare: (text: string) => {
      prepared.push(text);
      return real.prepare(text);
    },
  };
  onTestFinished(() => {
    if (real.open) real.close();
  });
  return { real, conn, prepared };
}

describe('SQLite prepared-statement cache (issue #15)', () => {
  it('prepares each SQL text once and reuses the statement', () => {
    const { conn, prepared } = countedConnection();
    const db = cachingStatements(conn);
    db.prepare('create table t (id integer primary key, v text)').run([]);
    const insert = 'insert into t (v) values (?)';
    for (const v of ['a', 'b', 'c']) db.prepare(insert).run([v]);
    expect(db.prepare('select v from t order by id').all([])).toEqual([
      { v: 'a' },
      { v: 'b' },
      { v: 'c' },
    ]);
    expect(prepared.filter((s) => s === insert)).toHaveLength(1);
    expect(db.prepare(insert)).toBe(db.prepare(insert));
  });

  it('drops the least recently used statement beyond its bound', () => {
    const { conn, prepared } = countedConnection();
    const db = cachingStatements(conn, 2);
    const a = db.prepare('select 1 as a');
    db.prepare('select 2 as b');
    expect(db.prepare('select 1 as a')).toBe(a); // a is now the most recent
    db.prepare('select 3 as c'); // evicts b
    expect(db.prepare('select 1 as a')).toBe(a);
    db.prepare('select 2 as b');
    expect(prepared).toEqual(['select 1 as a', 'select 2 as b', 'select 3 as c', 'select 2 as b']);
  });

  it('hands out a fresh statement while the kept one is still iterating', () => {
    const { conn } = countedConnection();
    const db = cachingStatements(conn);
    db.prepare('create table t (id integer primary key)').run([]);
    for (let i = 1; i <= 3; i++) db.prepare('insert into t (id) values (?)').run([i]);
    const text = 'select id from t order by id';
    const seen: unknown[] = [];
    for (const row of db.prepare(text).iterate([]))
      seen.push([row, db.prepare(text).all([]).length]);
    expect(seen).toEqual([
      [{ id: 1 }, 3],
      [{ id: 2 }, 3],
      [{ id: 3 }, 3],
    ]);
  });

  it('a kept statement sees a column added after it was prepared', async () => {
    await using db = createDb.memory();
    const Item = defineModel('items', { columns: { id: column.id(), name: column.text() } });
    await sql`create table items (id integer primary key autoincrement, name text not null)`.execute(
      db.kysely,
    );
    const items = db.repo(Item);
    const a = await items.insert({ name: 'a' });
    expect(await items.find(a.id)).toEqual({ id: a.id, name: 'a' });
    await sql`alter table items add column note text default 'n'`.execute(db.kysely);
    expect(await items.find(a.id)).toEqual({ id: a.id, name: 'a', note: 'n' });
  });
});
