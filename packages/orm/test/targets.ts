import { sql } from 'kysely';
import type { Db } from '../src/index.js';

/** The real databases the tests use (see the issue: trust auth on 127.0.0.1). */
export const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';

/** Runs `select 1` on `db`: undefined when the database answers, else the reason it does not. */
export async function whyDown(db: Db): Promise<string | undefined> {
  try {
    await sql`select 1`.execute(db.kysely);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
