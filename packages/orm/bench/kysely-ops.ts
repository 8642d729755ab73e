/**
 * The raw kysely side of the repository comparisons (bench/repository.ts, bench/overhead.ts):
 * what a kysely user writes for the repository's insert, find, keyset page and update, with
 * the same SQL text the repository sends (the bench checks that). On MySQL, insert and update
 * read the row back by its key, as the repository does (no RETURNING).
 */
import { type Kysely, sql } from 'kysely';

type Fn = (i: number) => Promise<unknown>;

export interface KyselyOpsOptions {
  readonly table: string;
  readonly isMysql: boolean;
  /** The key of the row a page starts after. */
  readonly after: { readonly id: number; readonly score: number };
  /** Rows a page asks for (the repository asks for one more than it returns). */
  readonly pageRows: number;
  /** The id that call `i` finds and updates. */
  readonly idOf: (i: number) => number;
}

export function kyselyOps(
  // biome-ignore lint/suspicious/noExplicitAny: the bench table has no schema type.
  k: Kysely<any>,
  o: KyselyOpsOptions,
): { insert: Fn; find: Fn; page: Fn; update: Fn } {
  const { table: t, isMysql, after, idOf } = o;
  const byId = (id: number) => k.selectFrom(t).selectAll().where('id', '=', id).executeTakeFirst();
  return {
    insert: async (i) => {
      const q = k.insertInto(t).values({ email: `k${i}@bench`, score: i % 10 });
      if (!isMysql) return q.returningAll().executeTakeFirstOrThrow();
      const r = await q.executeTakeFirstOrThrow();
      return byId(Number(r.insertId));
    },
    find: (i) => byId(idOf(i)),
    page: () =>
      k
        .selectFrom(t)
        .selectAll()
        .where((eb) =>
          eb.or([
            eb('score', '>', after.score),
            eb.and([eb('score', '=', after.score), eb('id', '>', after.id)]),
          ]),
        )
        .orderBy('score', 'asc')
        .orderBy('id', 'asc')
        .limit(o.pageRows)
        .execute(),
    update: async (i) => {
      const q = k
        .updateTable(t)
        .set({ score: i % 10 })
        .where('id', '=', idOf(i));
      if (!isMysql) return q.returningAll().executeTakeFirst();
      await q.execute();
      return byId(idOf(i));
    },
  };
}

/** Creates the bench table (id, email, score; an index on score, id) with `seed` rows. */
export async function createBenchTable(
  // biome-ignore lint/suspicious/noExplicitAny: the bench table has no schema type.
  k: Kysely<any>,
  dialect: 'postgres' | 'mysql' | 'sqlite',
  table: string,
  seed: number,
): Promise<void> {
  const id =
    dialect === 'postgres'
      ? 'serial primary key'
      : dialect === 'mysql'
        ? 'integer auto_increment primary key'
        : 'integer primary key autoincrement';
  await sql
    .raw(`create table ${table} (id ${id}, email varchar(255) not null, score integer not null)`)
    .execute(k);
  await sql.raw(`create index ${table}_score on ${table} (score, id)`).execute(k);
  await k
    .insertInto(table)
    .values(Array.from({ length: seed }, (_, i) => ({ email: `seed${i}@bench`, score: i % 10 })))
    .execute();
}
