import type { CompiledQuery } from 'kysely';

/** The mark `prepared()` sets (a registry symbol, so two copies of the package agree). */
const kPrepared: unique symbol = Symbol.for('rws.orm.prepared') as never;

/**
 * Marks a compiled query as worth a server-side prepared statement: on PostgreSQL with
 * `postgres.preparedStatements` at its default `'marked'` (or `'all'`), it runs as a named
 * statement that its connection parses and plans once and keeps (up to
 * `maxPreparedStatements` per connection). Elsewhere, and with `'off'`, it runs as usual.
 * Meant for hot statements of one fixed text, such as a job queue's claim.
 *
 * @example
 * ```ts
 * const q = sql`select * from jobs where id = ${id}`.compile(db.kysely);
 * const { rows } = await db.kysely.executeQuery(prepared(q));
 * ```
 */
export function prepared<R>(query: CompiledQuery<R>): CompiledQuery<R> {
  return { ...query, [kPrepared]: true } as CompiledQuery<R>;
}

/** True when `query` went through `prepared()`. */
export function isMarkedPrepared(query: CompiledQuery<unknown>): boolean {
  return (query as { [kPrepared]?: true })[kPrepared] === true;
}
