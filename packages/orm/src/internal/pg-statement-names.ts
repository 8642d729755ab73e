/**
 * Named (server-side prepared) statements for `pg`, kept per connection. kysely's pg driver
 * sends every statement unnamed, so PostgreSQL parses and plans it on every call; a named
 * statement is parsed once per connection and, after a few runs, may keep a generic plan.
 * The pool is wrapped so that each client's `query(text, values)` sends the statements this
 * Db chose under a name of their own: a bounded, least-recently-used set per connection, an
 * evicted name deallocated on the same connection, a replaced connection starting empty.
 */
import type { CompiledQuery, PostgresPool, PostgresPoolClient } from 'kysely';
import { ERROR_CODES, OrmError } from '../errors.js';
import { isMarkedPrepared } from '../prepared.js';

/** Which statements run as named prepared statements (see CreateDbOptions.postgres). */
export type PreparedStatementsMode = 'off' | 'marked' | 'all';

const MODES: readonly PreparedStatementsMode[] = ['off', 'marked', 'all'];
const DEFAULT_MAX = 100;
/** Texts `prepared()` marked that a Db remembers; past it the set starts over (re-marked on use). */
const MAX_MARKED_TEXTS = 1000;
let nextStateId = 1;

/** Checks and fills in the options: RWS_ORM_INVALID_CONFIG names a bad one. */
export function preparedStatementsConfig(
  mode: unknown,
  max: unknown,
): { readonly mode: PreparedStatementsMode; readonly max: number } {
  if (mode !== undefined && !MODES.includes(mode as PreparedStatementsMode))
    throw new OrmError(
      ERROR_CODES.INVALID_CONFIG,
      `postgres.preparedStatements must be 'off', 'marked' or 'all', got ${JSON.stringify(mode)}`,
    );
  if (max !== undefined && !(Number.isInteger(max) && (max as number) >= 1))
    throw new OrmError(
      ERROR_CODES.INVALID_CONFIG,
      `postgres.maxPreparedStatements must be an integer ≥ 1, got ${JSON.stringify(max)}`,
    );
  return {
    mode: (mode as PreparedStatementsMode | undefined) ?? 'marked',
    max: (max as number | undefined) ?? DEFAULT_MAX,
  };
}

/** pg's internal record of the names it parsed on a connection (absent: nothing is assumed). */
interface PgInternals {
  connection?: { parsedStatements?: Record<string, string> };
}

/** One connection's names: text → name, oldest use first. */
class ClientStatements {
  readonly #byText = new Map<string, string>();
  readonly #client: PostgresPoolClient;
  readonly #state: StatementNames;

  constructor(client: PostgresPoolClient, state: StatementNames) {
    this.#client = client;
    this.#state = state;
  }

  /**
   * The name `text` runs under on this connection, and the deallocation of the least recently
   * used name it evicted (to await before the next statement: a pg client runs one at a time).
   */
  nameOf(text: string): { name: string; evicted: Promise<void> | undefined } {
    let name = this.#byText.get(text);
    if (name !== undefined) {
      this.#byText.delete(text);
      this.#byText.set(text, name);
      return { name, evicted: undefined };
    }
    let evicted: Promise<void> | undefined;
    if (this.#byText.size >= this.#state.max) {
      const [oldText, oldName] = this.#byText.entries().next().value as [string, string];
      evicted = this.forget(oldText, oldName);
    }
    name = this.#state.newName();
    this.#byText.set(text, name);
    return { name, evicted };
  }

  /**
   * Drops a name: DEALLOCATE it when pg saw it parsed (a statement that never parsed is not
   * deallocated, so no error can abort the caller's transaction). Names are never reused, so
   * pg's record of a parsed name is dropped too rather than left to grow.
   */
  async forget(text: string, name: string): Promise<void> {
    if (this.#byText.get(text) === name) this.#byText.delete(text);
    const parsed = (this.#client as PgInternals).connection?.parsedStatements;
    if (parsed?.[name] === undefined) return;
    delete parsed[name];
    await this.#client.query(`deallocate "${name}"`, []).catch(() => undefined);
  }
}

/** The named statements of one Db: its choice of statements and each connection's names. */
export class StatementNames {
  readonly mode: PreparedStatementsMode;
  readonly max: number;
  readonly #prefix = `rws_${nextStateId++}_`;
  #count = 0;
  readonly #marked = new Set<string>();

  constructor(config: { mode: PreparedStatementsMode; max: number }) {
    this.mode = config.mode;
    this.max = config.max;
  }

  newName(): string {
    return `${this.#prefix}${++this.#count}`;
  }

  /** Called before each statement runs: remembers the texts `prepared()` marked. */
  noteQuery(query: CompiledQuery<unknown>): void {
    if (this.mode !== 'marked' || !isMarkedPrepared(query) || this.#marked.has(query.sql)) return;
    if (this.#marked.size >= MAX_MARKED_TEXTS) this.#marked.clear();
    this.#marked.add(query.sql);
  }

  /** True when `text` runs named: 'all' names every statement with parameters. */
  isNamed(text: string, values: readonly unknown[]): boolean {
    return this.mode === 'all' ? values.length > 0 : this.#marked.has(text);
  }

  /** `pool` with clients that name this Db's statements (one wrapper per pg client). */
  wrapPool(pool: PostgresPool): PostgresPool {
    const wrappers = new WeakMap<PostgresPoolClient, PostgresPoolClient>();
    const state = this;
    return new Proxy(pool, {
      get(target, key) {
        if (key === 'connect')
          return async () => {
            const client = await target.connect();
            let wrapper = wrappers.get(client);
            if (wrapper === undefined) wrappers.set(client, (wrapper = state.#wrapClient(client)));
            return wrapper;
          };
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  #wrapClient(client: PostgresPoolClient): PostgresPoolClient {
    const names = new ClientStatements(client, this);
    const query = (text: unknown, values?: readonly unknown[]) => {
      if (typeof text !== 'string' || values === undefined || !this.isNamed(text, values))
        return (client.query as (t: unknown, v?: unknown) => unknown)(text, values);
      const { name, evicted } = names.nameOf(text);
      const named = client.query as unknown as (c: object) => Promise<unknown>;
      const run = () =>
        named.call(client, { name, text, values }).catch(async (err: unknown) => {
          // The name no longer fits its text on the server: gone (a pooler switched the server
          // connection, or DEALLOCATE ALL / DISCARD ALL ran), or its result columns changed
          // (the table was altered). The next call prepares it again under a new name.
          const code = (err as { code?: unknown } | null)?.code;
          if (code === '26000' || code === '0A000' || code === '42P05')
            await names.forget(text, name);
          throw err;
        });
      return evicted === undefined ? run() : evicted.then(run);
    };
    return new Proxy(client, {
      get(target, key) {
        if (key === 'query') return query;
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }
}
