/** The stores the authorization server tests run on: memory, SQLite, and PostgreSQL when up. */
import { randomBytes } from 'node:crypto';
import { createDb, type Db, sql } from '@rws/orm';
import type { OAuth2Store } from '../src/oauth2-server/index.js';
import { createMemoryOAuth2Store } from '../src/oauth2-server/index.js';
import { createSqlOAuth2Store } from '../src/oauth2-server/stores/sql.js';

export interface StoreTarget {
  readonly name: string;
  /** A fresh store (own tables), plus its Db for at-rest checks; null when the database is down. */
  open(): Promise<{ store: OAuth2Store; db: Db | null; prefix: string } | null>;
}

async function reachable(open: () => Db, requires: string): Promise<Db | null> {
  const db = open();
  try {
    await sql`select 1`.execute(db.kysely);
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    if (process.env['CI'] === 'true')
      throw new Error(`CI=true requires ${requires}: ${(err as Error).message}`);
    return null;
  }
}

function sqlTarget(name: string, requires: string, open: () => Db): StoreTarget {
  return {
    name,
    async open() {
      const db = await reachable(open, requires);
      if (db === null) return null;
      const prefix = `oa_${process.pid}_${randomBytes(3).toString('hex')}_`;
      return { store: createSqlOAuth2Store({ db, tablePrefix: prefix, ownsDb: true }), db, prefix };
    },
  };
}

export const STORE_TARGETS: StoreTarget[] = [
  {
    name: 'memory',
    open: async () => ({ store: createMemoryOAuth2Store(), db: null, prefix: '' }),
  },
  sqlTarget('sqlite', 'better-sqlite3', () => createDb.memory()),
  sqlTarget('postgres', 'PostgreSQL on 127.0.0.1:5432 (database test)', () =>
    createDb({ dialect: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test' }),
  ),
];

/** Drops a SQL target's tables. */
export async function dropTables(db: Db | null, prefix: string): Promise<void> {
  if (db === null) return;
  for (const t of ['clients', 'grants', 'tokens'])
    await sql.raw(`drop table if exists ${prefix}${t}`).execute(db.kysely);
}
