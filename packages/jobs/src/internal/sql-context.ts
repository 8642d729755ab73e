import type { Db, DialectName } from '@rws/orm';
import { sql } from '@rws/orm';
import type { BackoffOptions, JobRecord, JobState } from '../job-store.js';
import type { Shape } from './sql-shape.js';

// biome-ignore lint/suspicious/noExplicitAny: rows of raw SQL are untyped.
export type Row = Record<string, any>;
type Query = ReturnType<typeof sql>;
type Result = { rows: Row[]; affected: number };

export const num = (v: unknown): number => Number(v);
export const numOrNull = (v: unknown): number | null =>
  v === null || v === undefined ? null : num(v);
const json = (v: unknown): unknown =>
  v === null || v === undefined ? null : JSON.parse(String(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Reads a row whatever the identifier mapping (the orm maps snake_case to camelCase). */
export function toRecord(r: Row): JobRecord {
  const g = (camel: string, snake: string): unknown => r[camel] ?? r[snake];
  return {
    id: String(r['id']),
    queue: String(r['queue']),
    name: String(r['name']),
    payload: json(r['payload']),
    state: String(r['state']) as JobState,
    priority: num(r['priority']),
    runAt: num(g('runAt', 'run_at')),
    attempts: num(r['attempts']),
    maxAttempts: num(g('maxAttempts', 'max_attempts')),
    backoff: json(r['backoff']) as BackoffOptions | null,
    timeoutMs: numOrNull(g('timeoutMs', 'timeout_ms')),
    workerId: strOrNull(g('workerId', 'worker_id')),
    leaseUntil: numOrNull(g('leaseUntil', 'lease_until')),
    progress: json(r['progress']),
    result: json(r['result']),
    error: strOrNull(r['error']),
    group: strOrNull(g('groupKey', 'group_key')),
    key: strOrNull(g('jobKey', 'job_key')),
    createdAt: num(g('createdAt', 'created_at')),
    updatedAt: num(g('updatedAt', 'updated_at')),
  };
}

/** What the SQL store's parts share: the database, its dialect and the table names. */
export interface SqlContext {
  readonly dialect: DialectName;
  /** The jobs table. */
  readonly T: Query;
  /** The groups table (one row per group of a queue: its rate-limit window). */
  readonly G: Query;
  /** The insertion-order column: SQLite's rowid, the seq column elsewhere. */
  readonly seq: Query;
  /** The NOTIFY channel (PostgreSQL). */
  readonly channel: string;
  /** Runs `q` on `on` (default the store's Db). */
  exec(q: Query, on?: Db): Promise<Result>;
  /**
   * Runs a statement on the add→start path (the add, the claim, the completion): its text is
   * compiled once (see Shape) and, on PostgreSQL, runs as a named prepared statement (@rws/orm
   * `prepared()`), so the server also parses and plans it once per connection.
   */
  run<A>(shape: Shape<A>, args: A, on?: Db): Promise<Result>;
  /**
   * SQLite: takes the write lock at the start of a transaction (a write statement, even one
   * that matches no row), so a read-then-write transaction cannot fail to upgrade its lock
   * when another process wrote in between. Elsewhere nothing: row locks do that.
   */
  lockForWrite(tx: Db): Promise<void>;
  /** `insert … ` that skips rows whose primary or unique key exists, in the dialect's words. */
  insertIgnore(table: Query, cols: Query, values: Query): Query;
}

type AnyKysely = Db['kysely'];
const PLAIN = new WeakMap<AnyKysely, AnyKysely>();

/**
 * The same kysely (same pool, or same transaction) without the Db's CamelCasePlugin, made once
 * per instance. The store's SQL is raw and reads columns in either case (`toRecord`), so the
 * plugin's copy of every statement tree and of every row was only garbage: on the add→start
 * path it was about a tenth of what a job allocated, and collections of it paused the worker.
 */
function withoutPlugins(kysely: AnyKysely): AnyKysely {
  let plain = PLAIN.get(kysely);
  if (plain === undefined) PLAIN.set(kysely, (plain = kysely.withoutPlugins()));
  return plain;
}

/** Builds the shared context of a store on `db` and `table`. */
export function sqlContext(db: Db, table: string): SqlContext {
  const { dialect } = db;
  return {
    dialect,
    T: sql.raw(table),
    G: sql.raw(`${table}_groups`),
    seq: sql.raw(dialect === 'sqlite' ? 'rowid' : 'seq'),
    channel: `rws_jobs_${table}`.slice(0, 63),
    async exec(q, on = db) {
      const r = await q.execute(withoutPlugins(on.kysely));
      return { rows: r.rows as Row[], affected: Number(r.numAffectedRows ?? 0n) };
    },
    async run(shape, args, on = db) {
      const kysely = withoutPlugins(on.kysely);
      const r = await kysely.executeQuery(shape.bind(kysely, args));
      return { rows: r.rows as Row[], affected: Number(r.numAffectedRows ?? 0n) };
    },
    async lockForWrite(tx) {
      if (dialect === 'sqlite')
        await sql`update ${sql.raw(table)} set job_key = job_key where 1 = 0`.execute(tx.kysely);
    },
    insertIgnore: (t, cols, values) =>
      dialect === 'postgres'
        ? sql`insert into ${t} ${cols} values ${values} on conflict do nothing`
        : dialect === 'mysql'
          ? sql`insert ignore into ${t} ${cols} values ${values}`
          : sql`insert or ignore into ${t} ${cols} values ${values}`,
  };
}

/** The DDL of the jobs and groups tables and their indexes. */
export function schemaStatements(dialect: DialectName, table: string): string[] {
  const big = 'bigint';
  const str = dialect === 'sqlite' ? 'text' : 'varchar(191)';
  const text = dialect === 'mysql' ? 'longtext' : 'text';
  const seq =
    dialect === 'postgres'
      ? 'seq bigserial,'
      : dialect === 'mysql'
        ? 'seq bigint not null auto_increment unique,'
        : '';
  const cols = `id ${str} primary key, ${seq}
      queue ${str} not null, name ${str} not null, payload ${text}, state varchar(16) not null,
      priority integer not null, run_at ${big} not null, attempts integer not null,
      max_attempts integer not null, backoff ${text}, timeout_ms integer,
      worker_id ${str}, lease_until ${big}, progress ${text}, result ${text}, error ${text},
      group_key ${str}, job_key ${str}, created_at ${big} not null, updated_at ${big} not null`;
  const index = (name: string, on: string, unique = false) =>
    dialect === 'mysql'
      ? `create ${unique ? 'unique ' : ''}index ${table}_${name} on ${table} (${on})`
      : `create ${unique ? 'unique ' : ''}index if not exists ${table}_${name} on ${table} (${on})`;
  return [
    `create table if not exists ${table} (${cols})`,
    `create table if not exists ${table}_groups (queue ${str} not null, group_key ${str} not null,
      window_start ${big} not null, window_count integer not null, primary key (queue, group_key))`,
    index('claim', `queue, state, priority, run_at${dialect === 'sqlite' ? '' : ', seq'}`),
    index('group', 'queue, group_key, state'),
    // NULLs are distinct in a unique index on all three databases: jobs without a key coexist.
    index('key', 'queue, job_key', true),
  ];
}
