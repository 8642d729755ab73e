import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Db, sql } from '@rws/orm';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createMemoryStore, createQueue, createSqlStore, defineJob } from '../src/index.js';
import { type ConformanceTarget, runJobStoreConformance } from './run-job-store-conformance.js';
import { openTestDb, POSTGRES_REQUIRES, POSTGRES_URL } from './test-db.js';

const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';

/** Two Dbs on one database (two connections pools), each with a store on `table`. */
async function sqlTarget(open: () => Db, table: string): Promise<ConformanceTarget> {
  const a = open();
  const b = open();
  try {
    await sql`select 1`.execute(a.kysely);
  } catch (err) {
    await Promise.all([a.close(), b.close()]);
    throw err;
  }
  return {
    store: createSqlStore({ db: a, table }),
    other: createSqlStore({ db: b, table }),
    transaction: (fn) => a.transaction(fn),
    async dispose() {
      for (const t of [table, `${table}_groups`])
        await sql
          .raw(`drop table if exists ${t}`)
          .execute(a.kysely)
          .catch(() => undefined);
      await Promise.all([a.close(), b.close()]);
    },
  };
}

runJobStoreConformance({
  name: 'memory',
  requires: 'nothing',
  skip: [
    {
      reason: 'process memory has no transactions',
      tests: ['a job added in a rolled-back transaction does not exist; a committed one does'],
    },
  ],
  async create() {
    const store = createMemoryStore();
    return { store, other: store, dispose: () => store.close() };
  },
});

runJobStoreConformance({
  name: 'sqlite file',
  requires: 'better-sqlite3',
  skip: [
    {
      // better-sqlite3 waits for a lock synchronously, blocking the thread that holds it; one
      // process opens one Db per file. test/groups-processes.test.ts runs these across processes.
      reason: 'two connections of one process deadlock in multi-statement transactions',
      tests: [
        'concurrent adds of one new key on two connections keep one pending job',
        'group concurrency holds across concurrent claims on two connections',
        'workers on two connections: one job of a group at a time, and the rate limit holds',
      ],
    },
  ],
  async create(table) {
    const file = join(tmpdir(), `rws-jobs-${table}.db`);
    const t = await sqlTarget(
      () => createDb({ dialect: 'sqlite', options: { filename: file } }),
      table,
    );
    return {
      ...t,
      async dispose() {
        await t.dispose();
        for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
      },
    };
  },
});

runJobStoreConformance({
  name: 'postgres',
  requires: POSTGRES_REQUIRES,
  create: (table) => sqlTarget(() => createDb({ dialect: 'postgres', url: POSTGRES_URL }), table),
});

runJobStoreConformance({
  name: 'mariadb',
  requires: 'MariaDB/MySQL on 127.0.0.1:3306 (database test)',
  create: (table) => sqlTarget(() => createDb({ dialect: 'mysql', url: MYSQL_URL }), table),
});

describe('PostgreSQL LISTEN/NOTIFY (listenUrl)', () => {
  it('an idle worker on another connection starts a new job without waiting for its poll', async (ctx) => {
    const { db: a, table } = await openTestDb(
      ctx,
      { dialect: 'postgres', url: POSTGRES_URL },
      POSTGRES_REQUIRES,
      'jobs_listen',
    );
    const b = createDb({ dialect: 'postgres', url: POSTGRES_URL });
    onTestFinished(() => b.close());
    // Two queues on two connection pools: the adder's in-process wake-up cannot reach the worker.
    const producer = createQueue({ store: createSqlStore({ db: a, table }), name: 'l' });
    const consumer = createQueue({
      store: createSqlStore({ db: b, table, listenUrl: POSTGRES_URL }),
      name: 'l',
    });
    const started: number[] = [];
    const job = defineJob('j', () => {
      started.push(Date.now());
    });
    await producer.counts();
    const worker = consumer.worker({ jobs: [job], pollIntervalMs: 10_000 });
    onTestFinished(() => worker.close());
    // Let the worker reach its (10 s) sleep with the listener connected.
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    await producer.add(job, null);
    // Added in a rolled-back transaction: no notification, no job.
    await a
      .transaction(async (tx) => {
        await producer.add(job, null, { db: tx, jobId: 'never' });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    const end = Date.now() + 3000;
    while (started.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(started.length).toBe(1);
    expect((started[0] ?? 0) - t0).toBeLessThan(1000);
    expect(await producer.get('never')).toBeNull();
  });

  it('an add notifies when it commits, a deduplicated add not at all; a claim leaves the session synchronous', async (ctx) => {
    const { table } = await openTestDb(
      ctx,
      { dialect: 'postgres', url: POSTGRES_URL },
      POSTGRES_REQUIRES,
      'jobs_notify',
    );
    // One connection: the claim and the `show` below run on the same session.
    const db = createDb({ dialect: 'postgres', url: POSTGRES_URL, pool: { size: 1 } });
    onTestFinished(() => db.close());
    const store = createSqlStore({ db, table, listenUrl: POSTGRES_URL });
    const queue = createQueue({ store, name: 'n' });
    await queue.counts();
    let wakes = 0;
    const stop = await store.subscribe?.('n', () => wakes++);
    onTestFinished(() => stop?.());
    const settle = () => new Promise((r) => setTimeout(r, 400));
    const job = defineJob('j', () => undefined);

    const first = await queue.add(job, 1, { jobId: 'once' });
    await settle();
    expect([first.isNew, first.job.payload, first.job.state, wakes]).toEqual([
      true,
      1,
      'waiting',
      1,
    ]);
    const again = await queue.add(job, 2, { jobId: 'once' });
    await settle();
    expect([again.isNew, again.job.payload, wakes]).toEqual([false, 1, 1]);

    await db.transaction(async (tx) => {
      await queue.add(job, 3, { db: tx, jobId: 'in-tx' });
      await settle();
      expect(wakes).toBe(1);
    });
    await settle();
    expect(wakes).toBe(2);

    const claimed = await store.claim({
      queue: 'n',
      workerId: 'w',
      leaseMs: 60_000,
      limit: 10,
      now: Date.now(),
    });
    expect(claimed.map((j) => j.id).sort()).toEqual(['in-tx', 'once']);
    const { rows } = await sql<{ synchronousCommit: string }>`show synchronous_commit`.execute(
      db.kysely,
    );
    expect(rows[0]?.synchronousCommit).toBe('on');
    expect((await store.get('once'))?.state).toBe('active');
  });

  it('listenUrl on another database is refused', () => {
    expect(() => createSqlStore({ db: createDb.memory(), listenUrl: POSTGRES_URL })).toThrow(
      /listenUrl needs PostgreSQL \(the Db is sqlite\)/,
    );
  });
});
