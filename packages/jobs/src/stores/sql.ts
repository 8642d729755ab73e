import type { Db } from '@rws/orm';
import { sql } from '@rws/orm';
import { ERROR_CODES, JobsError } from '../errors.js';
import { emptyCounts } from '../internal/empty-counts.js';
import { sqlAdder } from '../internal/sql-add.js';
import { claimGrouped } from '../internal/sql-claim-groups.js';
import {
  num,
  numOrNull,
  type Row,
  schemaStatements,
  sqlContext,
  toRecord,
} from '../internal/sql-context.js';
import { type Params, param, Shape, ShapeFamily } from '../internal/sql-shape.js';
import type { JobCounts, JobRecord, JobState, JobStore, StoreAddOptions } from '../job-store.js';

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

const namesFilter = (names: readonly string[] | undefined) =>
  names === undefined
    ? sql``
    : names.length === 0
      ? sql` and 1 = 0`
      : sql` and name in (${sql.join([...names])})`;

/** What a claim on PostgreSQL is run with (see claimWithExpired). */
interface ClaimArgs {
  readonly queue: string;
  readonly names: readonly string[] | undefined;
  readonly workerId: string;
  readonly now: number;
  readonly leaseUntil: number;
  readonly limit: number;
}

/** `namesFilter` for a shape of `n` names (-1: no filter), each name a placeholder. */
const namesPlaceholders = (n: number) =>
  n < 0
    ? sql``
    : n === 0
      ? sql` and 1 = 0`
      : sql` and name in (${sql.join(Array.from({ length: n }, (_, i) => param((a: ClaimArgs) => a.names?.[i])))})`;

/** The completion of one job, with its result as JSON text (see JobStore.complete). */
interface CompleteArgs {
  readonly id: string;
  readonly workerId: string;
  readonly result: string;
  readonly now: number;
}

/** The completion of `items.length` jobs in one statement (see JobStore.completeMany). */
interface CompleteManyArgs {
  readonly ids: readonly string[];
  readonly results: readonly string[];
  readonly workerId: string;
  readonly now: number;
}

/**
 * PostgreSQL: makes the commit of the statement's own (implicit) transaction asynchronous, as
 * `SET LOCAL synchronous_commit = off` would, without a round trip of its own. A claim is the
 * only write between a job's add and its start, and waiting for its WAL flush was most of the
 * start latency on a busy disk. Losing a claim in a database crash only returns its jobs to
 * waiting (at-least-once delivery holds, the attempt is not counted); the completion, a
 * synchronous commit, flushes the claim's WAL before its own.
 */
const ASYNC_COMMIT = sql`(select set_config('synchronous_commit', 'off', true)) = 'off'`;

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
  const dialect = db.dialect;
  if (options.listenUrl !== undefined && dialect !== 'postgres')
    throw new JobsError(
      ERROR_CODES.INVALID_OPTIONS,
      `createSqlStore: listenUrl needs PostgreSQL (the Db is ${dialect})`,
    );
  const c = sqlContext(db, table);
  const { T, exec, channel } = c;
  const seqCol = c.seq;
  const adder = sqlAdder(c);
  const getOn = async (id: string, on = db): Promise<JobRecord | null> => {
    const { rows } = await exec(sql`select * from ${T} where id = ${id}`, on);
    return rows[0] === undefined ? null : toRecord(rows[0]);
  };
  const heldUpdate = async (id: string, workerId: string, set: ReturnType<typeof sql>) =>
    (
      await exec(
        sql`update ${T} set ${set} where id = ${id} and worker_id = ${workerId} and state = 'active'`,
      )
    ).affected > 0;
  const completeShape = new Shape<CompleteArgs>(
    (v) =>
      sql`update ${T} set state = 'completed', result = ${v.result}, worker_id = null,
          lease_until = null, updated_at = ${v.now}
          where id = ${v.id} and worker_id = ${v.workerId} and state = 'active'`,
  );
  // One text per batch size, and batches are at most the worker's concurrency.
  const completeManyShapes = new ShapeFamily<CompleteManyArgs>((n) => (v) => {
    const slots = Array.from({ length: n }, (_, i) => i);
    const results = sql.join(
      slots.map(
        (i) =>
          sql`when ${param((a: CompleteManyArgs) => a.ids[i])} then ${param((a: CompleteManyArgs) => a.results[i])}`,
      ),
      sql` `,
    );
    const ids = sql.join(slots.map((i) => param((a: CompleteManyArgs) => a.ids[i])));
    return sql`update ${T} set state = 'completed', result = case id ${results} end,
        worker_id = null, lease_until = null, updated_at = ${v.now}
        where id in (${ids}) and worker_id = ${v.workerId} and state = 'active'
        returning id`;
  });

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

  /**
   * PostgreSQL: claims due waiting jobs and jobs whose lease expired in one statement. Each
   * kind is picked by its own index-ordered, SKIP LOCKED scan (an OR of the two would sort
   * every due row), then the best `limit` of both are taken; the candidates not taken are
   * unlocked at commit. The same jobs, attempts and order as a reap followed by a claim.
   */
  const claimWithExpiredShapes = new ShapeFamily<ClaimArgs>((n) => (v: Params<ClaimArgs>) => {
    const pick = (where: ReturnType<typeof sql>) =>
      sql`select id, priority, run_at, seq from ${T} where queue = ${v.queue} and ${where}${namesPlaceholders(n)}
          order by priority, run_at, seq limit ${v.limit} for update skip locked`;
    return sql`with due as (${pick(sql`state = 'waiting' and run_at <= ${v.now}`)}),
          expired as (${pick(sql`state = 'active' and lease_until < ${v.now}`)})
          update ${T} set state = 'active', worker_id = ${v.workerId}, lease_until = ${v.leaseUntil},
            attempts = attempts + 1, updated_at = ${v.now}
          where id in (
            select id from (select * from due union all select * from expired) d
            order by priority, run_at, seq limit ${v.limit})
            and ${ASYNC_COMMIT}
          returning *`;
  });
  const claimWithExpired = async (args: ClaimArgs) => {
    const shape = claimWithExpiredShapes.of(args.names === undefined ? -1 : args.names.length);
    return inClaimOrder((await c.run(shape, args)).rows);
  };

  const claimPlain = async (due: ReturnType<typeof sql>, set: ReturnType<typeof sql>) => {
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
      const { rows } = await exec(sql`${due} for update skip locked`, tx);
      if (rows.length === 0) return [];
      const ids = rows.map((r) => String(r['id']));
      await exec(sql`update ${T} set ${set} where id in (${sql.join(ids)})`, tx);
      const read = await exec(sql`select * from ${T} where id in (${sql.join(ids)})`, tx);
      return inClaimOrder(read.rows);
    });
  };

  const store: JobStore = {
    name: `sql:${dialect}`,
    capabilities: { transactions: true, shared: true },
    async init() {
      for (const stmt of schemaStatements(dialect, table)) {
        try {
          await sql.raw(stmt).execute(db.kysely);
        } catch (err) {
          // MySQL has no CREATE INDEX IF NOT EXISTS: an existing index is fine.
          if (!(dialect === 'mysql' && /Duplicate key name/i.test(String(err)))) throw err;
        }
      }
    },
    add: (job, o: StoreAddOptions = {}) => adder.add(job, o.db ?? db),
    addMany: (jobs, o: StoreAddOptions = {}) => adder.addMany(jobs, o.db ?? db),
    async claim(o) {
      // PostgreSQL takes expired jobs in the claim statement itself (claimWithExpired), which
      // saves a busy worker a round trip per claim; the group path and the others reap first.
      if (o.group === undefined && dialect === 'postgres')
        return claimWithExpired({
          queue: o.queue,
          names: o.names,
          workerId: o.workerId,
          now: o.now,
          leaseUntil: o.now + o.leaseMs,
          limit: o.limit,
        });
      await reap(o.queue, o.now);
      // The caller's clock, advanced by the time this claim has taken: group windows are
      // decided once the group locks are held, and a claim slowed by a loaded machine must
      // not count its jobs in a window by a time that has passed.
      const entered = Date.now();
      const nowAtLock = () => o.now + (Date.now() - entered);
      const names = namesFilter(o.names);
      const claimSet = (now: number) => sql`state = 'active', worker_id = ${o.workerId},
        lease_until = ${now + o.leaseMs}, attempts = attempts + 1, updated_at = ${now}`;
      const set = claimSet(o.now);
      let grouped: Row[] = [];
      if (o.group !== undefined) {
        grouped = await claimGrouped(c, db, { ...o, group: o.group }, names, claimSet, nowAtLock);
        if (grouped.length >= o.limit) return inClaimOrder(grouped);
      }
      const limit = o.limit - grouped.length;
      // With group limits, jobs of a group are claimed above only.
      const ungrouped = o.group === undefined ? sql`` : sql` and group_key is null`;
      const due = sql`select id from ${T} where queue = ${o.queue} and state = 'waiting'
        and run_at <= ${o.now}${names}${ungrouped} order by priority, run_at, ${seqCol} limit ${limit}`;
      return [...inClaimOrder(grouped), ...(await claimPlain(due, set))];
    },
    complete: async (id, workerId, result, o) =>
      (
        await c.run(completeShape, {
          id,
          workerId,
          result: JSON.stringify(result ?? null),
          now: o.now,
        })
      ).affected > 0,
    // MySQL / MariaDB have no UPDATE … RETURNING to say which jobs were still held: the
    // worker completes them one by one there.
    ...(dialect === 'mysql'
      ? {}
      : {
          async completeMany(items, workerId, o) {
            if (items.length === 0) return [];
            const { rows } = await c.run(completeManyShapes.of(items.length), {
              ids: items.map((i) => i.id),
              results: items.map((i) => JSON.stringify(i.result ?? null)),
              workerId,
              now: o.now,
            });
            const held = new Set(rows.map((r) => String(r['id'])));
            return items.map((i) => held.has(i.id));
          },
        }),
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
    async queues() {
      const { rows } = await exec(sql`select distinct queue from ${T} order by queue`);
      return rows.map((r) => String(r['queue']));
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
