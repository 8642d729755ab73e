import { isRwsError } from '@rws/core';
import type { Db, TransactionRetryOptions } from '@rws/orm';
import { sql } from '@rws/orm';
import type { NewJob, StoreAddResult } from '../job-store.js';
import { isPending } from './group-window.js';
import { newJobRecord } from './new-job-record.js';
import { type SqlContext, toRecord } from './sql-context.js';
import { Shape } from './sql-shape.js';

const COLS = sql`(id, queue, name, payload, state, priority, run_at, attempts, max_attempts, backoff, timeout_ms, group_key, job_key, created_at, updated_at)`;
// Bound parameters per statement stay well below every database's limit (SQLite: 32 766).
const ROWS_PER_INSERT = 500;

/** A job's column values, JSON columns as text. */
interface RowArgs {
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly payload: string;
  readonly priority: number;
  readonly runAt: number;
  readonly maxAttempts: number;
  readonly backoff: string | null;
  readonly timeoutMs: number | null;
  readonly group: string | null;
  readonly key: string | null;
  readonly now: number;
}

const rowArgs = (job: NewJob, payload = JSON.stringify(job.payload ?? null)): RowArgs => ({
  id: job.id,
  queue: job.queue,
  name: job.name,
  payload,
  priority: job.priority,
  runAt: job.runAt,
  maxAttempts: job.maxAttempts,
  backoff: job.backoff === null ? null : JSON.stringify(job.backoff),
  timeoutMs: job.timeoutMs,
  group: job.group ?? null,
  key: job.key ?? null,
  now: job.now,
});

/** The values of one row: for a built statement (`RowArgs`) or a shape (its placeholders). */
const rowValues = (v: { readonly [K in keyof RowArgs]: unknown }) =>
  sql`(${v.id}, ${v.queue}, ${v.name}, ${v.payload},
    'waiting', ${v.priority}, ${v.runAt}, 0, ${v.maxAttempts},
    ${v.backoff}, ${v.timeoutMs}, ${v.group}, ${v.key}, ${v.now}, ${v.now})`;

/** A concurrent add took the key first: the add runs again and finds that job. */
class KeyTakenError extends Error {}

/**
 * Keyed adds retry in the transaction (a savepoint inside the caller's): transaction conflicts
 * by @rws/orm's defaults (InnoDB's gap locks make racing adds of one new key deadlock each
 * other), and the key conflicts of two adds racing to insert one new key, where the loser sees
 * the winner's job next time. The jittered pause, doubling from 2 ms to at most 50 ms, keeps
 * racing adds from colliding again in lockstep.
 */
const KEYED_RETRY: TransactionRetryOptions = {
  attempts: 12,
  delayMs: 2,
  maxDelayMs: 50,
  isRetryable: (err) => err instanceof KeyTakenError || isRwsError(err, 'RWS_ORM_UNIQUE_VIOLATION'),
};

/** Inserting, replacing and deduplicating jobs in the SQL store. */
export function sqlAdder(c: SqlContext) {
  const { T, G, exec, dialect } = c;
  /** The add of one job without a key or group (see insertOne); the channel is a fixed name. */
  const insertOneShape = new Shape<RowArgs>((v) => {
    const insert = sql`${c.insertIgnore(T, COLS, rowValues(v))} returning id`;
    return dialect === 'postgres'
      ? sql`with ins as (${insert}) select ins.id, pg_notify(${sql.lit(c.channel)}, ${v.queue}) from ins`
      : insert;
  });
  const forUpdate = sql.raw(dialect === 'sqlite' ? '' : ' for update');

  /** Group rows exist from the first job of the group on; claims lock them. */
  const ensureGroups = async (jobs: readonly NewJob[], on: Db) => {
    const seen = new Set<string>();
    const rows = [];
    for (const j of jobs) {
      if (j.group === undefined || j.group === null) continue;
      const id = `${j.queue}\0${j.group}`;
      if (seen.has(id)) continue;
      seen.add(id);
      rows.push(sql`(${j.queue}, ${j.group}, 0, 0)`);
    }
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT)
      await exec(
        c.insertIgnore(
          G,
          sql`(queue, group_key, window_start, window_count)`,
          sql.join(rows.slice(i, i + ROWS_PER_INSERT)),
        ),
        on,
      );
  };
  /** Delivered when the surrounding transaction commits (never for a rolled-back one). */
  const notify = async (queues: Iterable<string>, on: Db) => {
    if (dialect !== 'postgres') return;
    for (const q of new Set(queues)) await exec(sql`select pg_notify(${c.channel}, ${q})`, on);
  };
  const byIds = async (ids: readonly string[], on: Db) => {
    const found = new Map<string, ReturnType<typeof toRecord>>();
    for (let i = 0; i < ids.length; i += ROWS_PER_INSERT) {
      const part = ids.slice(i, i + ROWS_PER_INSERT);
      const { rows } = await exec(sql`select * from ${T} where id in (${sql.join(part)})`, on);
      for (const r of rows) found.set(String(r['id']), toRecord(r));
    }
    return found;
  };
  const one = async (id: string, on: Db) => {
    const rec = (await byIds([id], on)).get(id);
    if (rec === undefined) throw new Error(`job ${id} vanished right after its insert`);
    return rec;
  };

  /** Inserts jobs without a key; returns the ids that were new. */
  const insertPlain = async (jobs: readonly NewJob[], on: Db): Promise<Set<string>> => {
    const fresh = new Set<string>();
    for (let i = 0; i < jobs.length; i += ROWS_PER_INSERT) {
      const part = jobs.slice(i, i + ROWS_PER_INSERT);
      const values = sql.join(part.map((j) => rowValues(rowArgs(j))));
      if (dialect === 'mysql') {
        // No RETURNING: the ids that exist are read (and locked, so a concurrent insert of the
        // same id waits) before the insert; the rest are new.
        const ids = part.map((j) => j.id);
        const { rows } = await exec(
          sql`select id from ${T} where id in (${sql.join(ids)}) for update`,
          on,
        );
        const had = new Set(rows.map((r) => String(r['id'])));
        await exec(c.insertIgnore(T, COLS, values), on);
        for (const id of ids) if (!had.has(id)) fresh.add(id);
      } else {
        const { rows } = await exec(sql`${c.insertIgnore(T, COLS, values)} returning id`, on);
        for (const r of rows) fresh.add(String(r['id']));
      }
    }
    await ensureGroups(
      jobs.filter((j) => fresh.has(j.id)),
      on,
    );
    return fresh;
  };

  /**
   * One job without a key or group, in one statement where the database allows it: the insert
   * says whether it inserted, and on PostgreSQL carries the NOTIFY, which listening workers get
   * when the insert commits. A separate NOTIFY statement and a read-back would put two more
   * round trips between the add call and the job's start. The new row is the values inserted,
   * so it is built here rather than returned: a 21-column row description and row parsed per
   * add were a tenth of what a job allocated. Undefined: use insertPlain.
   */
  const insertOne = async (job: NewJob, on: Db): Promise<StoreAddResult | undefined> => {
    if (dialect === 'mysql' || (job.group !== undefined && job.group !== null)) return undefined;
    const payload = JSON.stringify(job.payload ?? null);
    const { rows } = await c.run(insertOneShape, rowArgs(job, payload), on);
    // Nothing inserted: a job with this id exists (jobId deduplication).
    if (rows[0] === undefined) return { job: await one(job.id, on), isNew: false };
    // The row as it reads back: the payload and backoff as their stored JSON parses.
    const backoff = job.backoff === null ? null : JSON.parse(JSON.stringify(job.backoff));
    const record = newJobRecord(job, { payload: JSON.parse(payload), backoff, key: null });
    return { job: record, isNew: true };
  };

  /** A job with a key, inside a transaction (see JobKeyMode). */
  const addKeyed = async (job: NewJob, tx: Db): Promise<StoreAddResult> => {
    const mode = job.keyMode ?? 'deduplicate';
    const { rows } = await exec(
      sql`select * from ${T} where queue = ${job.queue} and job_key = ${job.key ?? null}${forUpdate}`,
      tx,
    );
    const holder = rows[0] === undefined ? undefined : toRecord(rows[0]);
    if (holder !== undefined && isPending(holder.state)) {
      if (mode === 'deduplicate') return { job: holder, isNew: false };
      if (holder.state === 'waiting') {
        const runAt = mode === 'debounce' ? job.runAt : holder.runAt;
        const { affected } = await exec(
          sql`update ${T} set name = ${job.name}, payload = ${JSON.stringify(job.payload ?? null)},
              priority = ${job.priority}, max_attempts = ${job.maxAttempts},
              backoff = ${job.backoff === null ? null : JSON.stringify(job.backoff)},
              timeout_ms = ${job.timeoutMs}, group_key = ${job.group ?? null}, run_at = ${runAt},
              updated_at = ${job.now} where id = ${holder.id} and state = 'waiting'`,
          tx,
        );
        if (affected > 0) {
          await ensureGroups([job], tx);
          await notify([job.queue], tx);
          return { job: await one(holder.id, tx), isNew: false };
        }
      }
    }
    // The holder finished (or runs, and the mode replaces): it gives the key up.
    if (holder !== undefined)
      await exec(sql`update ${T} set job_key = null where id = ${holder.id}`, tx);
    const fresh = await insertPlain([job], tx);
    if (fresh.size > 0) await notify([job.queue], tx);
    // Not inserted and no job with its id: the key's unique index skipped the row.
    const rec = (await byIds([job.id], tx)).get(job.id);
    if (rec === undefined) throw new KeyTakenError(`job key ${job.key} was taken concurrently`);
    return { job: rec, isNew: fresh.size > 0 };
  };

  /** Runs `fn` in a transaction of `on` (a savepoint inside the caller's), retrying conflicts. */
  const atomically = <T>(on: Db, fn: (tx: Db) => Promise<T>): Promise<T> =>
    on.transaction(
      async (tx) => {
        await c.lockForWrite(tx);
        return fn(tx);
      },
      { retry: KEYED_RETRY },
    );

  return {
    async add(job: NewJob, on: Db): Promise<StoreAddResult> {
      if (job.key !== undefined && job.key !== null)
        return atomically(on, (tx) => addKeyed(job, tx));
      const added = await insertOne(job, on);
      if (added !== undefined) return added;
      const fresh = await insertPlain([job], on);
      if (fresh.size > 0) await notify([job.queue], on);
      return { job: await one(job.id, on), isNew: fresh.size > 0 };
    },
    async addMany(jobs: readonly NewJob[], on: Db): Promise<StoreAddResult[]> {
      return atomically(on, async (tx) => {
        const results = new Map<NewJob, StoreAddResult>();
        // The first job of an id wins within the batch, as it would in separate adds.
        const firstOfId = new Map<string, NewJob>();
        const plain: NewJob[] = [];
        for (const j of jobs) {
          if (firstOfId.has(j.id)) continue;
          firstOfId.set(j.id, j);
          if (j.key === undefined || j.key === null) plain.push(j);
          else results.set(j, await addKeyed(j, tx));
        }
        const fresh = await insertPlain(plain, tx);
        await notify(
          plain.filter((j) => fresh.has(j.id)).map((j) => j.queue),
          tx,
        );
        const stored = await byIds(
          plain.map((j) => j.id),
          tx,
        );
        return jobs.map((j) => {
          const first = firstOfId.get(j.id) as NewJob;
          const keyed = results.get(first);
          if (keyed !== undefined) return first === j ? keyed : { job: keyed.job, isNew: false };
          const rec = stored.get(j.id);
          if (rec === undefined) throw new Error(`job ${j.id} vanished right after its insert`);
          return { job: rec, isNew: first === j && fresh.has(j.id) };
        });
      });
    },
  };
}
