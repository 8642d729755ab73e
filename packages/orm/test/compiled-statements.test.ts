/**
 * The repository runs repeated operations from compiled statements, past the CamelCasePlugin
 * (src/internal/compiled-queries.ts). These tests pin what must not change because of it: the
 * right rows for every call of one shape, a new shape for every change in the SQL, rows named
 * as the plugin names them, kysely expressions as values, transactions, and a caller's kysely
 * keeping its plugins. On SQLite in memory, PostgreSQL and MariaDB.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { column, defineModel } from '../src/index.js';
import { runPrefix } from './run-orm-conformance.js';
import { countingRepository, DB_TARGETS, targetTable } from './targets.js';

const ID = {
  sqlite: 'integer primary key autoincrement',
  postgres: 'serial primary key',
  mysql: 'integer auto_increment primary key',
};
const TS = { sqlite: 'text', postgres: 'timestamptz', mysql: 'datetime(3)' };

for (const target of DB_TARGETS) {
  describe(`compiled statements: ${target.name}`, () => {
    const table = `${runPrefix()}_people`;
    // `displayName`/`display_name` and the timestamps are renamed; `extra_note` is a column of
    // the table the model does not declare.
    const Person = defineModel(table, {
      columns: { id: column.id(), displayName: column.text().nullable(), age: column.integer() },
      timestamps: true,
    });
    const t = targetTable(
      target,
      table,
      (dialect) =>
        `create table ${table} (id ${ID[dialect]}, display_name varchar(255), age integer not null, extra_note varchar(255), created_at ${TS[dialect]} not null, updated_at ${TS[dialect]} not null)`,
    );
    const up = t.up;

    it('every call of one shape gets its own rows; null and lists change the shape', async (ctx) => {
      const db = up(ctx);
      const people = db.repo(Person);
      const a = await people.insert({ displayName: 'ann', age: 30 });
      const b = await people.insert({ displayName: null, age: 40 });
      const c = await people.insert({ displayName: 'cy', age: 30 });
      for (const row of [a, b, c]) expect((await people.find(row.id))?.age).toBe(row.age);
      expect(await people.find(c.id + 1000)).toBeUndefined();
      expect((await people.findOne({ displayName: null }))?.id).toBe(b.id);
      expect((await people.findOne({ displayName: 'cy' }))?.id).toBe(c.id);
      expect((await people.findOne({ displayName: null }))?.id).toBe(b.id);
      const ids = (w: Record<string, unknown>) =>
        people.findMany(w as never, { orderBy: ['id'] }).then((rs) => rs.map((r) => r.id));
      expect(await ids({ id: [a.id, c.id] })).toEqual([a.id, c.id]);
      expect(await ids({ id: [b.id] })).toEqual([b.id]);
      expect(await ids({ id: [] })).toEqual([]);
      expect(await ids({ age: 30, id: [a.id, b.id, c.id] })).toEqual([a.id, c.id]);
      // Different column sets of an update are different statements.
      expect((await people.update(a.id, { age: 31 }))?.age).toBe(31);
      const renamed = await people.update(a.id, { displayName: 'anna', age: 32 });
      expect([renamed?.displayName, renamed?.age]).toEqual(['anna', 32]);
      expect((await people.update(b.id, { age: 41 }))?.displayName).toBeNull();
    });

    it('rows carry the names the CamelCasePlugin gives, undeclared columns included', async (ctx) => {
      const db = up(ctx);
      const people = db.repo(Person);
      const row = await people.insert({ displayName: 'dee', age: 5 });
      await db.kysely
        .updateTable(table)
        .set({ extraNote: 'hi' })
        .where('id', '=', row.id)
        .execute();
      const viaKysely = await db.kysely
        .selectFrom(table)
        .selectAll()
        .where('id', '=', row.id)
        .executeTakeFirstOrThrow();
      const viaRepo = await people.find(row.id);
      expect(Object.keys(viaRepo ?? {}).sort()).toEqual(Object.keys(viaKysely).sort());
      expect(viaRepo).toMatchObject({ displayName: 'dee', age: 5, extraNote: 'hi' });
      expect(viaRepo?.createdAt).toBeInstanceOf(Date);
      const page = await people.paginate({ limit: 50, orderBy: ['age'] });
      expect(page.items.find((r) => r.id === row.id)).toMatchObject({ extraNote: 'hi' });
    });

    it('a kysely expression as a value is never run from the statement of plain values', async (ctx) => {
      const db = up(ctx);
      const people = db.repo(Person);
      const plain = await people.insert({ displayName: 'plain', age: 1 });
      const upper = await people.insert({
        displayName: sql<string>`upper(${'expr'})` as unknown as string,
        age: 2,
      });
      const again = await people.insert({ displayName: 'plain again', age: 3 });
      expect([plain.displayName, upper.displayName, again.displayName]).toEqual([
        'plain',
        'EXPR',
        'plain again',
      ]);
    });

    it('in a transaction the statements run on its connection; a rollback undoes them', async (ctx) => {
      const db = up(ctx);
      const people = db.repo(Person);
      let id = 0;
      await expect(
        db.transaction(async (tx) => {
          const row = await tx.repo(Person).insert({ displayName: 'tx', age: 9 });
          id = row.id;
          expect((await tx.repo(Person).find(row.id))?.displayName).toBe('tx');
          await tx.repo(Person).update(row.id, { age: 10 });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(id).toBeGreaterThan(0);
      expect(await people.find(id)).toBeUndefined();
    });

    it("a repository on the caller's kysely runs its plugins on every call", async (ctx) => {
      const db = up(ctx);
      const row = await db.repo(Person).insert({ displayName: 'plug', age: 7 });
      const { repo: people, statements } = countingRepository(db, Person);
      for (let i = 0; i < 3; i++) expect((await people.find(row.id))?.displayName).toBe('plug');
      expect(statements()).toBe(3);
    });
  });
}
