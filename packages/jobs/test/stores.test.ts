import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Db, sql } from '@rws/orm';
import { createMemoryStore, createSqlStore } from '../src/index.js';
import { type ConformanceTarget, runJobStoreConformance } from './run-job-store-conformance.js';

const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';

/** Two Dbs on one database (two connections pools), each with a store on `table`. */
async function sqlTarget(open: () => Db, table: string): Promise<ConformanceTarget> {
  const a = open();
  const b = open();
  try {
    await sql`select 1`.execute(a.kysely);
  } catch (err) {
    await Promise.all([a.close(), b.close()]);
    throw err;
  }
  return {
    store: createSqlStore({ db: a, table }),
    other: createSqlStore({ db: b, table }),
    transaction: (fn) => a.transaction(fn),
    async dispose() {
      await sql
        .raw(`drop table if exists ${table}`)
        .execute(a.kysely)
        .catch(() => undefined);
      await Promise.all([a.close(), b.close()]);
    },
  };
}

runJobStoreConformance({
  name: 'memory',
  requires: 'nothing',
  async create() {
    const store = createMemoryStore();
    return { store, other: store, dispose: () => store.close() };
  },
});

runJobStoreConformance({
  name: 'sqlite file',
  requires: 'better-sqlite3',
  async create(table) {
    const file = join(tmpdir(), `rws-jobs-${table}.db`);
    const t = await sqlTarget(
      () => createDb({ dialect: 'sqlite', options: { filename: file } }),
      table,
    );
    return {
      ...t,
      async dispose() {
        await t.dispose();
        for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
      },
    };
  },
});

runJobStoreConformance({
  name: 'postgres',
  requires: 'PostgreSQL on 127.0.0.1:5432 (database test)',
  create: (table) => sqlTarget(() => createDb({ dialect: 'postgres', url: POSTGRES_URL }), table),
});

runJobStoreConformance({
  name: 'mariadb',
  requires: 'MariaDB/MySQL on 127.0.0.1:3306 (database test)',
  create: (table) => sqlTarget(() => createDb({ dialect: 'mysql', url: MYSQL_URL }), table),
});
