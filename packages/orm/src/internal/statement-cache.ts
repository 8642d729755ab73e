/**
 * Prepared statements of one better-sqlite3 connection, kept per SQL text. kysely's SQLite
 * driver calls `database.prepare(sql)` for every query, and preparing (SQLite parsing and
 * planning the statement) was the largest part of a repository `find` on SQLite left after
 * compiled statements (README "Per-call overhead"); the repository runs the same SQL text again
 * and again, so the statement is prepared once and reused.
 */
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** A better-sqlite3 statement as far as the cache needs it: `busy` while an iterator is open. */
interface CachedStatement extends SqliteStatement {
  readonly busy?: boolean;
}

/** Statements kept per connection (least recently used dropped first). */
const MAX_STATEMENTS = 256;

/**
 * `db` with `prepare` answered from a bounded LRU of statements by SQL text. A statement that
 * is still iterating (kysely's `streamQuery`) is never handed out twice: a fresh one is
 * prepared for the overlapping call. Statements need no finalizing (better-sqlite3 frees them
 * with the connection), and SQLite prepares a kept statement again by itself after a schema
 * change.
 */
export function cachingStatements(
  db: SqliteDatabase,
  max: number = MAX_STATEMENTS,
): SqliteDatabase {
  const statements = new Map<string, CachedStatement>();
  return {
    close: () => {
      statements.clear();
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      const kept = statements.get(sql);
      if (kept !== undefined) {
        if (kept.busy === true) return db.prepare(sql);
        // Map order is insertion order: moving a hit to the end keeps the oldest first.
        statements.delete(sql);
        statements.set(sql, kept);
        return kept;
      }
      const stmt = db.prepare(sql) as CachedStatement;
      if (statements.size >= max) {
        const oldest = statements.keys().next();
        if (oldest.done !== true) statements.delete(oldest.value);
      }
      statements.set(sql, stmt);
      return stmt;
    },
  };
}
