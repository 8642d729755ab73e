import type { Db } from '@rws/orm';
import { sql } from '@rws/orm';
import { ERROR_CODES, JobsError } from '../errors.js';
import { emptyCounts } from '../internal/empty-counts.js';
import type {
  BackoffOptions,
  JobCounts,
  JobRecord,
  JobState,
  JobStore,
  StoreCallOptions,
} from '../job-store.js';

/** Options of `createSqlStore`. */
export interface SqlStoreOptions {
  /** An @rws/orm database: PostgreSQL, MySQL/MariaDB or SQLite. */
  readonly db: Db;
  /**
   * The jobs table name (default `rws_jobs`): letters, digits and underscores, starting with a
   * letter. Tests give each run its own.
   */
  readonly table?: string | undefined;
  /**
   * PostgreSQL only: a connection URL for one extra connection that LISTENs for new jobs, so
   * idle workers in any process start a job as soon as it is added (committed) instead of on
   * their next poll. Needs the `pg` package. Default: no listening; workers poll.
   */
  readonly listenUrl?: string | undefined;
  /** Close `db` when the store closes. Default false: the caller owns the Db. */
  readonly ownsDb?: boolean | undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: rows of raw SQL are untyped.
type Row = Record<string, any>;

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
const json = (v: unknown): unknown =>
  v === null || v === undefined ? null : JSON.parse(String(v));

/** Reads a row whatever the identifier mapping (the orm maps snake_case to camelCase). */
function toRecord(r: Row): JobRecord {
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
    workerId: (g('workerId', 'worker_id') as string | null) ?? null,
    leaseUntil: numOrNull(g('leaseUntil', 'lease_until')),
    progress: json(r['progress']),
    result: json(r['result']),
    error: (r['error'] as string | null) ?? null,
    createdAt: num(g('createdAt', 'created_at')),
    updatedAt: num(g('updatedAt', 'updated_at')),
  };
}

const namesFilter = (names: readonly string[] | undefined) =>
  names === undefined
    ? sql``
    : names.length === 0
      ? sql` and 1 = 0`
      : sql` and name in (${sql.join([...names])})`;

/** Claimed rows in claim order (RETURNING gives them in no particular order). */
const inClaimOrder = (rows: Row[]): JobRecord[] =>
  rows
    .map((r) => ({ seq: num(r['seq']), job: toRecord(r) }))
    .sort((a, b) => a.job.priority - b.job.priority || a.job.runAt - b.job.runAt || a.seq - b.seq)
    .map((x) => x.job);

/**
 * A job store in one table of an @rws/orm database. Claiming is safe between any number of
 * workers and processes: PostgreSQL and MySQL 8 / MariaDB 10.6+ take due rows with
 * `FOR UPDATE SKIP LOCKED`, so concurrent workers skip each other's rows instead of waiting;
 * SQLite has a single writer and claims in one `UPDATE … RETURNING` statement. `add` accepts
 * `{ db: tx }` to enqueue inside the caller's transaction.
 *
 * @example
 * ```ts
 * const db = createDb({ dialect: 'postgres', url: 'postgres://postgres@127.0.0.1/app' });
 * const queue = createQueue({ store: createSqlStore({ db }) });
 * ```
 */
export function createSqlStore(options: SqlStoreOptions): JobStore {
  const { db } = options;
  const table = options.table ?? 'rws_jobs';
  if (!/^[A-Za-z][A-Za-z0-9_]{0,50}$/.test(table))
    throw new JobsError(
      ERROR_CODES.INVALID_OPTIONS,
      `createSqlStore: table must be letters, digits and _ starting with a letter (got ${JSON.stringify(table)})`,
    );
  const T = sql.raw(table);
  const dialect = db.dialect;
  const channel = `rws_jobs_${table}`.slice(0, 63);
  if (options.listenUrl !== undefined && dialect !== 'postgres')
    throw new JobsError(
      ERROR_CODES.INVALID_OPTIONS,
      `createSqlStore: listenUrl needs PostgreSQL (the Db is ${dialect})`,
    );
  const k = db.kysely;

  const ddl = (): string[] => {
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
      created_at ${big} not null, updated_at ${big} not null`;
    const idx = `${table}_claim`;
    return [
      `create table if not exists ${table} (${cols})`,
      dialect === 'mysql'
        ? `create index ${idx} on ${table} (queue, state, priority, run_at, seq)`
        : `create index if not exists ${idx} on ${table} (queue, state, priority, run_at${dialect === 'postgres' ? ', seq' : ''})`,
    ];
  };
  // SQLite orders by its implicit rowid, the others by the seq column.
  const seqCol = sql.raw(dialect === 'sqlite' ? 'rowid' : 'seq');

  const exec = async (q: ReturnType<typeof sql>, on = k) => {
    const r = await q.execute(on);
    return { rows: r.rows as Row[], affected: Number(r.numAffectedRows ?? 0n) };
  };
  const getOn = async (id: string, on = k): Promise<JobRecord | null> => {
    const { rows } = await exec(sql`select * from ${T} where id = ${id}`, on);
    return rows[0] === undefined ? null : toRecord(rows[0]);
  };
  const heldUpdate = async (id: string, workerId: string, set: ReturnType<typeof sql>) =>
    (
      await exec(
        sql`update ${T} set ${set} where id = ${id} and worker_id = ${workerId} and state = 'active'`,
      )
    ).affected > 0;

  /** Returns jobs whose lease expired to waiting (a plain read first, so no locks when none). */
  const reap = async (queue: string, now: number) => {
    const { rows } = await exec(
      sql`select id from ${T} where queue = ${queue} and state = 'active' and lease_until < ${now} limit 100`,
    );
    if (rows.length === 0) return;
    const ids = rows.map((r) => String(r['id']));
    await exec(
      sql`update ${T} set state = 'waiting', worker_id = null, lease_until = null, updated_at = ${now}
          where id in (${sql.join(ids)}) and state = 'active' and lease_until < ${now}`,
    );
  };

  const store: JobStore = {
    name: `sql:${dialect}`,
    capabilities: { transactions: true, shared: true },
    async init() {
      for (const stmt of ddl()) {
        try {
          await sql.raw(stmt).execute(k);
        } catch (err) {
          // MySQL has no CREATE INDEX IF NOT EXISTS: an existing index is fine.
          if (!(dialect === 'mysql' && /Duplicate key name/i.test(String(err)))) throw err;
        }
      }
    },
    async add(job, o: StoreCallOptions & { db?: Db | undefined } = {}) {
      const on = o.db?.kysely ?? k;
      const values = sql`(${job.id}, ${job.queue}, ${job.name}, ${JSON.stringify(job.payload ?? null)},
        'waiting', ${job.priority}, ${job.runAt}, 0, ${job.maxAttempts},
        ${job.backoff === null ? null : JSON.stringify(job.backoff)}, ${job.timeoutMs},
        ${job.now}, ${job.now})`;
      const cols = sql`(id, queue, name, payload, state, priority, run_at, attempts, max_attempts, backoff, timeout_ms, created_at, updated_at)`;
      const q =
        dialect === 'postgres'
          ? sql`insert into ${T} ${cols} values ${values} on conflict (id) do nothing`
          : dialect === 'mysql'
            ? sql`insert ignore into ${T} ${cols} values ${values}`
            : sql`insert or ignore into ${T} ${cols} values ${values}`;
      const { affected } = await exec(q, on);
      // Delivered when the surrounding transaction commits (never for a rolled-back one).
      if (affected > 0 && dialect === 'postgres')
        await exec(sql`select pg_notify(${channel}, ${job.queue})`, on);
      const rec = await getOn(job.id, on);
      if (rec === null) throw new Error(`job ${job.id} vanished right after its insert`);
      return { job: rec, isNew: affected > 0 };
    },
    async claim(o) {
      await reap(o.queue, o.now);
      const names = namesFilter(o.names);
      const due = sql`select id from ${T} where queue = ${o.queue} and state = 'waiting'
        and run_at <= ${o.now}${names} order by priority, run_at, ${seqCol} limit ${o.limit}`;
      const set = sql`state = 'active', worker_id = ${o.workerId}, lease_until = ${o.now + o.leaseMs},
        attempts = attempts + 1, updated_at = ${o.now}`;
      if (dialect === 'postgres') {
        const { rows } = await exec(
          sql`update ${T} set ${set} where id in (${due} for update skip locked) returning *`,
        );
        return inClaimOrder(rows);
      }
      if (dialect === 'sqlite') {
        const { rows } = await exec(
          sql`update ${T} set ${set} where id in (${due}) returning *, rowid as seq`,
        );
        return inClaimOrder(rows);
      }
      // MySQL / MariaDB: no UPDATE … RETURNING and no LIMIT in an IN subquery, so lock the
      // due rows (skipping rows other workers hold), update them and read them back.
      return db.transaction(async (tx) => {
        const { rows } = await exec(sql`${due} for update skip locked`, tx.kysely);
        if (rows.length === 0) return [];
        const ids = rows.map((r) => String(r['id']));
        await exec(sql`update ${T} set ${set} where id in (${sql.join(ids)})`, tx.kysely);
        const read = await exec(sql`select * from ${T} where id in (${sql.join(ids)})`, tx.kysely);
        return inClaimOrder(read.rows);
      });
    },
    complete: (id, workerId, result, o) =>
      heldUpdate(
        id,
        workerId,
        sql`state = 'completed', result = ${JSON.stringify(result ?? null)}, worker_id = null,
            lease_until = null, updated_at = ${o.now}`,
      ),
    fail: (id, workerId, error, retryAt, o) =>
      heldUpdate(
        id,
        workerId,
        retryAt === null
          ? sql`state = 'failed', error = ${error}, worker_id = null, lease_until = null, updated_at = ${o.now}`
          : sql`state = 'waiting', run_at = ${retryAt}, error = ${error}, worker_id = null,
                lease_until = null, updated_at = ${o.now}`,
      ),
    release: (id, workerId, o) =>
      heldUpdate(
        id,
        workerId,
        sql`state = 'waiting', attempts = attempts - 1, worker_id = null, lease_until = null,
            updated_at = ${o.now}`,
      ),
    extendLease: (id, workerId, leaseMs, o) =>
      heldUpdate(id, workerId, sql`lease_until = ${o.now + leaseMs}, updated_at = ${o.now}`),
    progress: (id, workerId, progress, o) =>
      heldUpdate(
        id,
        workerId,
        sql`progress = ${JSON.stringify(progress ?? null)}, updated_at = ${o.now}`,
      ),
    get: (id) => getOn(id),
    async cancel(id, o) {
      const { affected } = await exec(
        sql`update ${T} set state = 'cancelled', worker_id = null, lease_until = null,
            updated_at = ${o.now} where id = ${id} and state in ('waiting', 'active')`,
      );
      return affected > 0;
    },
    async retry(id, o) {
      const { affected } = await exec(
        sql`update ${T} set state = 'waiting', attempts = 0, run_at = ${o.now}, updated_at = ${o.now}
            where id = ${id} and state in ('failed', 'cancelled')`,
      );
      return affected > 0;
    },
    async remove(id) {
      const { affected } = await exec(sql`delete from ${T} where id = ${id} and state <> 'active'`);
      return affected > 0;
    },
    async counts(queue): Promise<JobCounts> {
      const { rows } = await exec(
        sql`select state, count(*) as n from ${T} where queue = ${queue} group by state`,
      );
      const c = emptyCounts();
      for (const r of rows) c[String(r['state']) as JobState] = num(r['n']);
      return c;
    },
    async list(queue, state, o = {}) {
      const { rows } = await exec(
        sql`select * from ${T} where queue = ${queue} and state = ${state}
            order by ${seqCol} limit ${o.limit ?? 100}`,
      );
      return rows.map(toRecord);
    },
    async nextRunAt(queue, o = {}) {
      const { rows } = await exec(
        sql`select min(run_at) as next from ${T} where queue = ${queue} and state = 'waiting'${namesFilter(o.names)}`,
      );
      return numOrNull(rows[0]?.['next']);
    },
    async close() {
      if (options.ownsDb === true) await db.close();
    },
    ...(options.listenUrl === undefined
      ? {}
      : {
          subscribe: (queue: string, onWake: () => void) =>
            listen(options.listenUrl as string, channel, queue, onWake),
        }),
    [Symbol.asyncDispose]: () => store.close(),
  };
  return store;
}

/** The part of a pg Client that LISTEN needs (pg is loaded only when listenUrl is given). */
interface PgListenClient {
  connect(): Promise<void>;
  query(text: string): Promise<unknown>;
  on(event: 'notification', listener: (msg: { channel: string; payload?: string }) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  end(): Promise<void>;
}

async function listen(
  url: string,
  channel: string,
  queue: string,
  onWake: () => void,
): Promise<() => Promise<void>> {
  const specifier = 'pg';
  const pg = (await import(specifier)) as {
    default: { Client: new (o: { connectionString: string }) => PgListenClient };
  };
  const client = new pg.default.Client({ connectionString: url });
  // A broken listening connection only costs latency: workers still poll.
  client.on('error', () => undefined);
  await client.connect();
  client.on('notification', (msg) => {
    if (msg.channel === channel && msg.payload === queue) onWake();
  });
  await client.query(`listen ${channel}`);
  return () => client.end().catch(() => undefined);
}
