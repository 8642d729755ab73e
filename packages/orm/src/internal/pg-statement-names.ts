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

/** A name, the last time (a per-connection counter) its statement ran, its error handler. */
interface NameUse {
  readonly name: string;
  lastUse: number;
  /** Made once per name, so a statement's run allocates no closure of its own. */
  readonly onError: (err: unknown) => Promise<never>;
}

/** One connection's names by text; the least recently used one is evicted when full. */
class ClientStatements {
  // A use stamp instead of Map delete + set on every hit: re-inserting grows and rehashes the
  // Map's table on every statement; a full scan only happens when a new text is added (#16).
  readonly #byText = new Map<string, NameUse>();
  readonly #client: PostgresPoolClient;
  readonly #state: StatementNames;
  #clock = 0;
  /** The deallocation that the last `nameOf` started, if any. */
  evicted: Promise<void> | undefined;

  constructor(client: PostgresPoolClient, state: StatementNames) {
    this.#client = client;
    this.#state = state;
  }

  /**
   * The name `text` runs under on this connection. When a least recently used name was evicted
   * to make room, `evicted` holds its deallocation (to await before the next statement: a pg
   * client runs one at a time), else undefined.
   */
  nameOf(text: string): NameUse {
    this.evicted = undefined;
    const use = this.#byText.get(text);
    if (use !== undefined) {
      use.lastUse = ++this.#clock;
      return use;
    }
    if (this.#byText.size >= this.#state.max) {
      let oldText: string | undefined;
      let oldest = Number.POSITIVE_INFINITY;
      for (const [t, u] of this.#byText)
        if (u.lastUse < oldest) {
          oldest = u.lastUse;
          oldText = t;
        }
      const old = oldText === undefined ? undefined : this.#byText.get(oldText);
      if (oldText !== undefined && old !== undefined) this.evicted = this.forget(oldText, old.name);
    }
    const name = this.#state.newName();
    const onError = async (err: unknown): Promise<never> => {
      // The name no longer fits its text on the server: gone (a pooler switched the server
      // connection, or DEALLOCATE ALL / DISCARD ALL ran), or its result columns changed (the
      // table was altered). The next call prepares it again under a new name.
      const code = (err as { code?: unknown } | null)?.code;
      if (code === '26000' || code === '0A000' || code === '42P05') await this.forget(text, name);
      throw err;
    };
    const fresh = { name, lastUse: ++this.#clock, onError };
    this.#byText.set(text, fresh);
    return fresh;
  }

  /**
   * Drops a name: DEALLOCATE it when pg saw it parsed (a statement that never parsed is not
   * deallocated, so no error can abort the caller's transaction). Names are never reused, so
   * pg's record of a parsed name is dropped too rather than left to grow.
   */
  async forget(text: string, name: string): Promise<void> {
    if (this.#byText.get(text)?.name === name) this.#byText.delete(text);
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
    const wrap = (client: PostgresPoolClient) => {
      let wrapper = wrappers.get(client);
      if (wrapper === undefined) wrappers.set(client, (wrapper = this.#wrapClient(client)));
      return wrapper;
    };
    // Not an async function: one promise per connect instead of an async frame's (#16).
    const connect = () => pool.connect().then(wrap);
    return forwardingProxy(pool, 'connect', connect);
  }

  #wrapClient(client: PostgresPoolClient): PostgresPoolClient {
    const names = new ClientStatements(client, this);
    const named = client.query as unknown as (c: object) => Promise<unknown>;
    const query = (text: unknown, values?: readonly unknown[]) => {
      if (typeof text !== 'string' || values === undefined || !this.isNamed(text, values))
        return (client.query as (t: unknown, v?: unknown) => unknown)(text, values);
      const use = names.nameOf(text);
      const { evicted } = names;
      if (evicted === undefined)
        return named.call(client, { name: use.name, text, values }).catch(use.onError);
      return evicted.then(() =>
        named.call(client, { name: use.name, text, values }).catch(use.onError),
      );
    };
    return forwardingProxy(client, 'query', query);
  }
}

/**
 * `target` with `key` replaced by `value`; its other methods bound to it once, not on every
 * access (kysely reads `release` once per statement).
 */
function forwardingProxy<T extends object>(target: T, key: string, value: unknown): T {
  const bound = new Map<PropertyKey, { fn: unknown; bound: unknown }>();
  return new Proxy(target, {
    get(t, k) {
      if (k === key) return value;
      const v = Reflect.get(t, k, t);
      if (typeof v !== 'function') return v;
      const b = bound.get(k);
      if (b?.fn === v) return b.bound;
      const fresh = v.bind(t);
      bound.set(k, { fn: v, bound: fresh });
      return fresh;
    },
  });
}
