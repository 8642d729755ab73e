/**
 * How an idle worker is woken (issue #16, add→start latency): one claim per job added in this
 * process while the store also announces it over LISTEN/NOTIFY, jobs of another process and of
 * this one interleaved all start without a poll, a wake-up during the worker's next-run-time
 * query does not wait for it, and that query is not repeated after a claim that only jobs due
 * now, added in this process, woke the worker for, also when their NOTIFY comes before the add
 * returns (while delayed jobs, this process's or another's, still start on time). On real
 * PostgreSQL, and the memory store.
 */
import { createDb } from '@rws/orm';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createMemoryStore,
  createQueue,
  createSqlStore,
  defineJob,
  type JobStore,
} from '../src/index.js';
import { openTestDb, POSTGRES_REQUIRES, POSTGRES_URL } from './test-db.js';

const until = async (what: string, isDone: () => boolean, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!isDone()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** `store` with its claims counted. */
function countingClaims(store: JobStore): { store: JobStore; claims: () => number } {
  let claims = 0;
  const claim = store.claim.bind(store);
  store.claim = (o) => {
    claims++;
    return claim(o);
  };
  return { store, claims: () => claims };
}

/**
 * `store` announcing each add to its subscribers before the add returns, as a PostgreSQL NOTIFY
 * often reaches the LISTEN connection before the insert's answer reaches the adding client.
 */
function announcingFirst(store: JobStore): JobStore {
  const subscribers = new Set<() => void>();
  const add = store.add.bind(store);
  store.add = async (job, o) => {
    const result = await add(job, o);
    for (const f of subscribers) f();
    return result;
  };
  store.subscribe = async (_queue, onWake) => {
    subscribers.add(onWake);
    return async () => void subscribers.delete(onWake);
  };
  return store;
}

/**
 * Five jobs due now, added in this process one after another into `store`'s idle worker: one
 * claim per job, and no next-run-time question beside it (only the worker's first).
 */
async function expectOneQuestionForDueAdds(store: JobStore): Promise<void> {
  let asks = 0;
  const nextRunAt = store.nextRunAt.bind(store);
  store.nextRunAt = (q, o) => {
    asks++;
    return nextRunAt(q, o);
  };
  const { claims } = countingClaims(store);
  const queue = createQueue({ store, name: 'd' });
  let ran = 0;
  const job = defineJob('j', () => void ran++);
  const worker = queue.worker({ jobs: [job], concurrency: 16, pollIntervalMs: 60_000 });
  onTestFinished(() => worker.close());
  await until('the first claim and its question', () => asks === 1);
  const claimsBefore = claims();
  for (let i = 1; i <= 5; i++) {
    await queue.add(job, i);
    await until(`job ${i} to run`, () => ran === i);
  }
  await new Promise((r) => setTimeout(r, 50));
  // One claim per job, and no round trip beside it: nothing but jobs due now was added.
  expect(claims() - claimsBefore).toBe(5);
  expect(asks).toBe(1);
}

describe('worker wake-ups (issue #16)', () => {
  it('PostgreSQL: a job added in this process is claimed once, though NOTIFY reports it too', async (ctx) => {
    const { db, table } = await openTestDb(
      ctx,
      { dialect: 'postgres', url: POSTGRES_URL },
      POSTGRES_REQUIRES,
      'jobs_wake',
    );
    const { store, claims } = countingClaims(
      createSqlStore({ db, table, listenUrl: POSTGRES_URL }),
    );
    const queue = createQueue({ store, name: 'w' });
    const observer = createSqlStore({ db, table, listenUrl: POSTGRES_URL });
    let notified = 0;
    const stop = await observer.subscribe?.('w', () => notified++);
    onTestFinished(() => stop?.());
    let ran = 0;
    const job = defineJob('j', () => void ran++);
    await queue.counts();
    // 16 slots, as `pnpm bench jobs` runs it; polls far apart, so only wake-ups start jobs.
    const worker = queue.worker({ jobs: [job], concurrency: 16, pollIntervalMs: 60_000 });
    onTestFinished(() => worker.close());
    await new Promise((r) => setTimeout(r, 300));
    const before = claims();
    for (let i = 1; i <= 5; i++) {
      await queue.add(job, i);
      await until(`job ${i} to run`, () => ran === i);
      // The NOTIFY has reached another listener; give the worker's own one time to arrive too.
      await until(`NOTIFY ${i}`, () => notified === i);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(claims() - before).toBe(5);
  });

  it('PostgreSQL: jobs of another process and of this one, added together, all start without a poll', async (ctx) => {
    const { db, table } = await openTestDb(
      ctx,
      { dialect: 'postgres', url: POSTGRES_URL },
      POSTGRES_REQUIRES,
      'jobs_wake_mix',
    );
    const other = createDb({ dialect: 'postgres', url: POSTGRES_URL });
    onTestFinished(() => other.close());
    const queue = createQueue({
      store: createSqlStore({ db, table, listenUrl: POSTGRES_URL }),
      name: 'm',
    });
    const elsewhere = createQueue({ store: createSqlStore({ db: other, table }), name: 'm' });
    const ran = new Set<string>();
    const job = defineJob('j', (p: string) => void ran.add(p));
    await queue.counts();
    const worker = queue.worker({ jobs: [job], concurrency: 4, pollIntervalMs: 60_000 });
    onTestFinished(() => worker.close());
    await new Promise((r) => setTimeout(r, 300));
    const expected: string[] = [];
    for (let i = 0; i < 10; i++) {
      expected.push(`local ${i}`, `other ${i}`);
      await Promise.all([queue.add(job, `local ${i}`), elsewhere.add(job, `other ${i}`)]);
    }
    await until('all 20 jobs to run', () => ran.size === 20);
    expect([...ran].sort()).toEqual(expected.sort());
  });

  it('a job added while the worker asks for the next run time starts without that answer', async () => {
    const store = createMemoryStore();
    // After the first claim, the next-run-time query never answers.
    let isStuck = false;
    const nextRunAt = store.nextRunAt.bind(store);
    store.nextRunAt = (q, o) => (isStuck ? new Promise<never>(() => {}) : nextRunAt(q, o));
    const queue = createQueue({ store, name: 'n' });
    const ran: number[] = [];
    const job = defineJob('j', (n: number) => void ran.push(n));
    const worker = queue.worker({ jobs: [job], concurrency: 2, pollIntervalMs: 60_000 });
    onTestFinished(() => worker.close({ timeoutMs: 100 }));
    isStuck = true;
    await queue.add(job, 1);
    await until('job 1', () => ran.length === 1);
    await queue.add(job, 2);
    await until('job 2', () => ran.length === 2, 3000);
    expect(ran).toEqual([1, 2]);
  });

  it('jobs due now, added in this process, do not make the worker ask for the next run time (p99)', async () => {
    await expectOneQuestionForDueAdds(createMemoryStore());
  });

  it('a delayed job added in this process, alone or in a batch, starts at its run time, not at the next poll', async () => {
    const store = createMemoryStore();
    const queue = createQueue({ store, name: 'l' });
    const ran: string[] = [];
    const job = defineJob('j', (p: string) => void ran.push(p));
    const worker = queue.worker({ jobs: [job], concurrency: 4, pollIntervalMs: 60_000 });
    onTestFinished(() => worker.close());
    await queue.add(job, 'now');
    await until('the job due now', () => ran.length === 1);
    await queue.add(job, 'alone', { delayMs: 200 });
    await until('the delayed job', () => ran.length === 2, 3000);
    await queue.addMany([
      { job, payload: 'batch now' },
      { job, payload: 'batch later', options: { delayMs: 200 } },
    ]);
    await until('the delayed job of the batch', () => ran.length === 4, 3000);
    expect(ran).toEqual(['now', 'alone', 'batch now', 'batch later']);
  });

  it('a NOTIFY that comes before its local add of a job due now does not make the worker ask for the next run time (p99)', async () => {
    await expectOneQuestionForDueAdds(announcingFirst(createMemoryStore()));
  });

  it("another process's delayed job, announced while local adds run, starts at its run time, not at the next poll", async () => {
    const store = announcingFirst(createMemoryStore());
    const queue = createQueue({ store, name: 'o' });
    // A second queue object on the same store stands for another process: its adds reach the
    // worker only as announcements.
    const elsewhere = createQueue({ store, name: 'o' });
    const ran: string[] = [];
    const job = defineJob('j', (p: string) => void ran.push(p));
    const worker = queue.worker({ jobs: [job], concurrency: 4, pollIntervalMs: 60_000 });
    onTestFinished(() => worker.close());
    await queue.add(job, 'local 1');
    await until('the first local job', () => ran.length === 1);
    // The worker idle again (its claim and question done) before each add.
    const settle = () => new Promise((r) => setTimeout(r, 50));
    await settle();
    // Its announcement stays unpaired while local adds of jobs due now come and go.
    await elsewhere.add(job, 'other, later', { delayMs: 200 });
    await settle();
    await queue.add(job, 'local 2');
    await queue.add(job, 'local 3');
    await until('the delayed job of the other process', () => ran.length === 4, 3000);
    expect(ran.slice(0, 3).sort()).toEqual(['local 1', 'local 2', 'local 3']);
    expect(ran[3]).toBe('other, later');
  });
});
