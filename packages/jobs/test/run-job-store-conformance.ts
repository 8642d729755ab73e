/**
 * The conformance suite every JobStore runs (CONVENTIONS #11): the store contract with explicit
 * clocks, then queue and worker behaviour in real time (concurrent claims, lease expiry after a
 * crash, delays, priorities, backoff, dedup, timeouts, cancellation, graceful shutdown).
 * Targets call `runJobStoreConformance({ name, requires, create, skip })`.
 */
import { randomBytes } from 'node:crypto';
import { requireCapability } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { groupAndKeyTests } from './conformance-groups-keys.js';
import {
  createQueue,
  defineJob,
  isRwsErrorCode,
  type JobRecord,
  type JobStore,
  type NewJob,
  type Queue,
  UnrecoverableError,
} from './conformance-imports.js';

/** Two stores over the same data (two connections where the target has them). */
export interface ConformanceTarget {
  readonly store: JobStore;
  /** A second store on the same jobs (another connection); may be `store` itself. */
  readonly other: JobStore;
  /** Runs `fn` in a transaction of the store's database and rolls back or commits. */
  readonly transaction?:
    | (<T>(fn: (tx: import('@rws/orm').Db) => Promise<T>) => Promise<T>)
    | undefined;
  /** Closes both stores and drops what the run created. */
  readonly dispose: () => Promise<void>;
}

export interface JobStoreConformanceOptions {
  readonly name: string;
  /** What is missing when the target is down, e.g. "PostgreSQL on 127.0.0.1:5432". */
  readonly requires: string;
  /** Opens the target on a table of its own (`table` is unique per run). */
  readonly create: (table: string) => Promise<ConformanceTarget>;
  readonly skip?: ReadonlyArray<{ readonly reason: string; readonly tests: readonly string[] }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function runJobStoreConformance(o: JobStoreConformanceOptions): void {
  const table = `jobs_${randomBytes(4).toString('hex')}`;
  let t: ConformanceTarget | undefined;
  let isUp = false;
  let why = '';
  let n = 0;
  const qname = () => `q${++n}`;
  const skipped = new Map<string, string>();
  for (const s of o.skip ?? []) for (const title of s.tests) skipped.set(title, s.reason);
  const closers: Array<() => Promise<void>> = [];

  const test = (title: string, fn: (t: ConformanceTarget, ctx: TestContext) => Promise<void>) => {
    const reason = skipped.get(title);
    if (reason !== undefined) {
      it.skip(`${title} (skipped on ${o.name}: ${reason})`, () => {});
      return;
    }
    it(title, async (ctx) => {
      requireCapability(ctx, isUp, `${o.requires} (${why})`);
      await fn(t as ConformanceTarget, ctx);
    });
  };
  /** A queue over a store that the test does not close with the store. */
  const queueOn = (store: JobStore, name: string): Queue => {
    const q = createQueue({ store: { ...store, close: async () => {} }, name });
    closers.push(() => q.close());
    return q;
  };
  const newJob = (queue: string, over: Partial<NewJob> = {}): NewJob => ({
    id: randomBytes(8).toString('hex'),
    queue,
    name: 'j',
    payload: { n: 1 },
    priority: 0,
    runAt: 1000,
    maxAttempts: 3,
    backoff: null,
    timeoutMs: null,
    now: 1000,
    ...over,
  });

  describe(`@rws/jobs store conformance: ${o.name}`, () => {
    beforeAll(async () => {
      try {
        t = await o.create(table);
        await t.store.init?.();
        await t.other.init?.();
        isUp = true;
      } catch (err) {
        why = (err as Error).message;
        if (t !== undefined) await t.dispose().catch(() => undefined);
        t = undefined;
      }
    }, 20_000);
    afterAll(async () => {
      for (const c of closers) await c().catch(() => undefined);
      await t?.dispose();
    }, 20_000);

    test('add stores the job; a second add with the same id inserts nothing', async ({ store }) => {
      const q = qname();
      const job = newJob(q, {
        payload: { to: 'ada', list: [1, 2], nested: { ok: true } },
        priority: 3,
      });
      const first = await store.add(job);
      expect(first.isNew).toBe(true);
      expect(first.job).toMatchObject({
        id: job.id,
        queue: q,
        name: 'j',
        state: 'waiting',
        payload: { to: 'ada', list: [1, 2], nested: { ok: true } },
        priority: 3,
        attempts: 0,
        maxAttempts: 3,
        runAt: 1000,
        error: null,
        workerId: null,
      });
      // The returned job is the stored one, field for field (the SQL store builds it rather
      // than reading it back).
      expect(first.job).toEqual(await store.get(job.id));
      const again = await store.add({ ...job, payload: { other: true } });
      expect(again.isNew).toBe(false);
      expect(again.job.payload).toEqual({ to: 'ada', list: [1, 2], nested: { ok: true } });
      expect((await store.counts(q)).waiting).toBe(1);
      expect(await store.get('no-such-job')).toBeNull();
    });

    test('claim takes due jobs only, lowest priority first, then by runAt and insertion order', async ({
      store,
    }) => {
      const q = qname();
      const ids: string[] = [];
      const add = async (over: Partial<NewJob>) => {
        const j = newJob(q, over);
        ids.push(j.id);
        await store.add(j);
        return j.id;
      };
      const late = await add({ runAt: 5000 });
      const a = await add({ priority: 5 });
      const b = await add({ priority: 5 });
      const urgent = await add({ priority: -1, runAt: 1500 });
      const c = await add({ priority: 5, runAt: 900 });
      expect(await store.nextRunAt(q)).toBe(900);
      const at2000 = await store.claim({
        queue: q,
        workerId: 'w',
        leaseMs: 10_000,
        limit: 10,
        now: 2000,
      });
      expect(at2000.map((j) => j.id)).toEqual([urgent, c, a, b]);
      for (const j of at2000)
        expect(j).toMatchObject({
          state: 'active',
          workerId: 'w',
          attempts: 1,
          leaseUntil: 12_000,
        });
      expect(
        await store.claim({ queue: q, workerId: 'w', leaseMs: 10_000, limit: 10, now: 4999 }),
      ).toEqual([]);
      const at5000 = await store.claim({
        queue: q,
        workerId: 'w',
        leaseMs: 10_000,
        limit: 10,
        now: 5000,
      });
      expect(at5000.map((j) => j.id)).toEqual([late]);
      expect(await store.nextRunAt(q)).toBeNull();
    });

    test('claim honours limit and names, and other queues are not touched', async ({ store }) => {
      const q = qname();
      for (let i = 0; i < 3; i++) await store.add(newJob(q, { name: 'a' }));
      await store.add(newJob(q, { name: 'b' }));
      await store.add(newJob(qname()));
      const two = await store.claim({
        queue: q,
        workerId: 'w',
        leaseMs: 1000,
        limit: 2,
        names: ['a'],
        now: 2000,
      });
      expect(two.map((j) => j.name)).toEqual(['a', 'a']);
      const rest = await store.claim({
        queue: q,
        workerId: 'w',
        leaseMs: 1000,
        limit: 10,
        names: ['b'],
        now: 2000,
      });
      expect(rest.map((j) => j.name)).toEqual(['b']);
      expect(await store.counts(q)).toEqual({
        waiting: 1,
        active: 3,
        completed: 0,
        failed: 0,
        cancelled: 0,
      });
    });

    test('concurrent claims on two connections never return the same job', async ({
      store,
      other,
    }) => {
      const q = qname();
      const total = 60;
      for (let i = 0; i < total; i++) await store.add(newJob(q));
      const seen: string[] = [];
      const claimer = async (s: JobStore, w: string) => {
        for (;;) {
          const got = await s.claim({
            queue: q,
            workerId: w,
            leaseMs: 60_000,
            limit: 3,
            now: 2000,
          });
          if (got.length === 0) return;
          for (const j of got) {
            expect(j.workerId).toBe(w);
            seen.push(j.id);
          }
        }
      };
      await Promise.all(
        [0, 1, 2, 3, 4, 5].map((i) => claimer(i % 2 === 0 ? store : other, `w${i}`)),
      );
      expect(seen.length).toBe(total);
      expect(new Set(seen).size).toBe(total);
    });

    test('complete, fail and progress need the worker that holds the job', async ({ store }) => {
      const q = qname();
      const j = newJob(q);
      await store.add(j);
      await store.claim({ queue: q, workerId: 'w1', leaseMs: 1000, limit: 1, now: 2000 });
      const at = { now: 2100 };
      expect(await store.complete(j.id, 'w2', 1, at)).toBe(false);
      expect(await store.fail(j.id, 'w2', 'x', null, at)).toBe(false);
      expect(await store.progress(j.id, 'w2', 1, at)).toBe(false);
      expect(await store.progress(j.id, 'w1', { pct: 40 }, at)).toBe(true);
      expect(await store.complete(j.id, 'w1', { sent: 2 }, at)).toBe(true);
      expect(await store.get(j.id)).toMatchObject({
        state: 'completed',
        result: { sent: 2 },
        progress: { pct: 40 },
        workerId: null,
        leaseUntil: null,
      });
      expect(await store.complete(j.id, 'w1', 1, at)).toBe(false);
    });

    test('completeMany completes the held jobs in one call, in input order (issue #16)', async ({
      store,
    }) => {
      if (store.completeMany === undefined) return;
      const q = qname();
      const [a, b, c] = [newJob(q), newJob(q), newJob(q)];
      for (const j of [a, b, c]) await store.add(j);
      await store.claim({ queue: q, workerId: 'w1', leaseMs: 1000, limit: 2, now: 2000 });
      await store.claim({ queue: q, workerId: 'w2', leaseMs: 1000, limit: 1, now: 2000 });
      const held = await Promise.all([a, b, c].map(async (j) => (await store.get(j.id))?.workerId));
      const mine = [a, b, c].filter((_, i) => held[i] === 'w1');
      const theirs = [a, b, c].find((_, i) => held[i] === 'w2')!;
      expect(mine.length).toBe(2);
      const done = await store.completeMany(
        [
          { id: mine[0]!.id, result: { n: 1 } },
          { id: theirs.id, result: 'not mine' },
          { id: mine[1]!.id, result: null },
        ],
        'w1',
        { now: 2100 },
      );
      expect(done).toEqual([true, false, true]);
      expect(await store.get(mine[0]!.id)).toMatchObject({
        state: 'completed',
        result: { n: 1 },
        workerId: null,
        leaseUntil: null,
      });
      expect(await store.get(mine[1]!.id)).toMatchObject({ state: 'completed', result: null });
      expect(await store.get(theirs.id)).toMatchObject({ state: 'active', workerId: 'w2' });
      expect(
        await store.completeMany([{ id: mine[0]!.id, result: 2 }], 'w1', { now: 2200 }),
      ).toEqual([false]);
      expect(await store.completeMany([], 'w1', { now: 2200 })).toEqual([]);
    });

    test('fail with retryAt waits again; fail without it is final; retry and remove', async ({
      store,
    }) => {
      const q = qname();
      const j = newJob(q, { maxAttempts: 2 });
      await store.add(j);
      await store.claim({ queue: q, workerId: 'w', leaseMs: 1000, limit: 1, now: 2000 });
      expect(await store.fail(j.id, 'w', 'Error: first', 3000, { now: 2000 })).toBe(true);
      expect(await store.get(j.id)).toMatchObject({
        state: 'waiting',
        runAt: 3000,
        attempts: 1,
        error: 'Error: first',
      });
      expect(
        await store.claim({ queue: q, workerId: 'w', leaseMs: 1000, limit: 1, now: 2999 }),
      ).toEqual([]);
      expect(
        (await store.claim({ queue: q, workerId: 'w', leaseMs: 1000, limit: 1, now: 3000 }))[0]
          ?.attempts,
      ).toBe(2);
      expect(await store.fail(j.id, 'w', 'Error: second', null, { now: 3000 })).toBe(true);
      expect(await store.get(j.id)).toMatchObject({
        state: 'failed',
        attempts: 2,
        error: 'Error: second',
      });
      expect((await store.list(q, 'failed')).map((x) => x.id)).toEqual([j.id]);
      expect(await store.retry(j.id, { now: 4000 })).toBe(true);
      expect(await store.get(j.id)).toMatchObject({ state: 'waiting', attempts: 0, runAt: 4000 });
      expect(await store.retry(j.id, { now: 4000 })).toBe(false);
      expect(await store.remove(j.id)).toBe(true);
      expect(await store.get(j.id)).toBeNull();
    });

    test('an expired lease lets another worker take the job; the first worker can no longer finish it', async ({
      store,
      other,
    }) => {
      const q = qname();
      const j = newJob(q);
      await store.add(j);
      await store.claim({ queue: q, workerId: 'dead', leaseMs: 100, limit: 1, now: 2000 });
      expect(
        await other.claim({ queue: q, workerId: 'w2', leaseMs: 100, limit: 1, now: 2100 }),
      ).toEqual([]);
      const taken = await other.claim({
        queue: q,
        workerId: 'w2',
        leaseMs: 100,
        limit: 1,
        now: 2101,
      });
      expect(taken.map((x) => [x.id, x.workerId, x.attempts])).toEqual([[j.id, 'w2', 2]]);
      expect(await store.complete(j.id, 'dead', 'late', { now: 2102 })).toBe(false);
      expect(await store.extendLease(j.id, 'dead', 100, { now: 2102 })).toBe(false);
      expect(await other.extendLease(j.id, 'w2', 1000, { now: 2102 })).toBe(true);
      expect((await store.get(j.id))?.leaseUntil).toBe(3102);
      expect(await other.complete(j.id, 'w2', 'ok', { now: 2103 })).toBe(true);
    });

    test('release returns a job without using up its attempt; cancel stops waiting and active jobs', async ({
      store,
    }) => {
      const q = qname();
      const a = newJob(q);
      const b = newJob(q);
      const c = newJob(q);
      for (const j of [a, b, c]) await store.add(j);
      await store.claim({ queue: q, workerId: 'w', leaseMs: 1000, limit: 2, now: 2000 });
      expect(await store.release(a.id, 'w', { now: 2001 })).toBe(true);
      expect(await store.get(a.id)).toMatchObject({
        state: 'waiting',
        attempts: 0,
        workerId: null,
      });
      expect(await store.cancel(b.id, { now: 2002 })).toBe(true);
      expect(await store.extendLease(b.id, 'w', 1000, { now: 2003 })).toBe(false);
      expect(await store.complete(b.id, 'w', 1, { now: 2003 })).toBe(false);
      expect(await store.cancel(c.id, { now: 2002 })).toBe(true);
      expect(await store.cancel(c.id, { now: 2002 })).toBe(false);
      expect(await store.counts(q)).toEqual({
        waiting: 1,
        active: 0,
        completed: 0,
        failed: 0,
        cancelled: 2,
      });
    });

    test('a job added in a rolled-back transaction does not exist; a committed one does', async ({
      store,
      transaction,
    }, ctx) => {
      if (transaction === undefined || !store.capabilities.transactions)
        return ctx.skip('no transactions');
      const q = qname();
      const rolled = newJob(q);
      const kept = newJob(q);
      await expect(
        transaction(async (tx) => {
          await store.add(rolled, { db: tx });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      await transaction((tx) => store.add(kept, { db: tx }));
      expect(await store.get(rolled.id)).toBeNull();
      expect(await store.get(kept.id)).not.toBeNull();
    });

    // Queue and worker behaviour, in real time.

    test('two workers with concurrency run every job exactly once', async ({ store, other }) => {
      const q = qname();
      const runs = new Map<string, number>();
      const job = defineJob('count', async (p: { i: number }, ctx) => {
        runs.set(ctx.id, (runs.get(ctx.id) ?? 0) + 1);
        await sleep(p.i % 3);
        return p.i;
      });
      const qa = queueOn(store, q);
      const qb = queueOn(other, q);
      const total = 40;
      for (let i = 0; i < total; i++) await qa.add(job, { i });
      const completed: string[] = [];
      const w1 = qa.worker({ jobs: [job], concurrency: 4, pollIntervalMs: 20 });
      const w2 = qb.worker({ jobs: [job], concurrency: 4, pollIntervalMs: 20 });
      for (const w of [w1, w2]) w.on('completed', (j) => completed.push(j.id));
      await until('all jobs completed', () => completed.length >= total, 15_000);
      await Promise.all([w1.close(), w2.close()]);
      expect(completed.length).toBe(total);
      expect(runs.size).toBe(total);
      expect([...runs.values()].every((v) => v === 1)).toBe(true);
      expect((await qa.counts()).completed).toBe(total);
    });

    test("a crashed worker's job runs again after its lease expires", async ({ store, other }) => {
      const q = qname();
      const qa = queueOn(store, q);
      const job = defineJob('crash', async () => 'done');
      const { job: added } = await qa.add(job, {});
      // A worker that claimed the job and died: nothing renews or finishes its lease.
      await store.claim({ queue: q, workerId: 'dead', leaseMs: 300, limit: 1, now: Date.now() });
      const started = Date.now();
      const qb = queueOn(other, q);
      const w = qb.worker({ jobs: [job], leaseMs: 300, pollIntervalMs: 50 });
      await until(
        'the job to complete',
        async () => (await qb.get(added.id))?.state === 'completed',
      );
      await w.close();
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(await qb.get(added.id)).toMatchObject({
        state: 'completed',
        attempts: 2,
        result: 'done',
      });
    });

    test('delays and priorities are honoured', async ({ store }) => {
      const q = qname();
      const order: string[] = [];
      const startedAt = new Map<string, number>();
      const job = defineJob('ordered', (p: { tag: string }) => {
        order.push(p.tag);
        startedAt.set(p.tag, Date.now());
      });
      const qa = queueOn(store, q);
      const t0 = Date.now();
      // Margins are wide: on a loaded machine the five adds alone can take a few hundred ms, and
      // 'at' must still be in the future when the worker takes 'low'.
      await qa.add(job, { tag: 'delayed' }, { delayMs: 1600, priority: -10 });
      await qa.add(job, { tag: 'low' }, { priority: 10 });
      await qa.add(job, { tag: 'normal' });
      await qa.add(job, { tag: 'high' }, { priority: -5 });
      await qa.add(job, { tag: 'at' }, { runAt: new Date(t0 + 1000) });
      const w = qa.worker({ jobs: [job], concurrency: 1, pollIntervalMs: 5000 });
      await until('five jobs', () => order.length === 5, 10_000);
      await w.close();
      expect(order).toEqual(['high', 'normal', 'low', 'at', 'delayed']);
      expect((startedAt.get('at') ?? 0) - t0).toBeGreaterThanOrEqual(995);
      expect((startedAt.get('delayed') ?? 0) - t0).toBeGreaterThanOrEqual(1595);
      // The worker slept until the delayed jobs were due, not a whole poll interval.
      expect((startedAt.get('delayed') ?? 0) - t0).toBeLessThan(4000);
    });

    test('failed attempts are retried after the backoff; the last failure is kept', async ({
      store,
    }) => {
      const q = qname();
      const times: number[] = [];
      const flaky = defineJob('flaky', (p: { failures: number }, ctx) => {
        times.push(Date.now());
        if (ctx.attempt <= p.failures) throw new Error(`boom ${ctx.attempt}`);
        return ctx.attempt;
      });
      const qa = queueOn(store, q);
      const w = qa.worker({ jobs: [flaky], pollIntervalMs: 1000 });
      const retrying: number[] = [];
      const failed: unknown[] = [];
      w.on('retrying', (_j, _e, at) => retrying.push(at));
      w.on('failed', (_j, e) => failed.push(e));
      const ok = await qa.add(
        flaky,
        { failures: 2 },
        { attempts: 3, backoff: { type: 'exponential', delayMs: 100 } },
      );
      await until(
        'the retried job to complete',
        async () => (await qa.get(ok.job.id))?.state === 'completed',
      );
      expect(times.length).toBe(3);
      expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(95);
      expect((times[2] ?? 0) - (times[1] ?? 0)).toBeGreaterThanOrEqual(195);
      expect(await qa.get(ok.job.id)).toMatchObject({
        attempts: 3,
        result: 3,
        error: 'Error: boom 2',
      });
      const bad = await qa.add(
        flaky,
        { failures: 9 },
        { attempts: 2, backoff: { type: 'fixed', delayMs: 10 } },
      );
      await until('the job to fail', async () => (await qa.get(bad.job.id))?.state === 'failed');
      expect(await qa.get(bad.job.id)).toMatchObject({
        state: 'failed',
        attempts: 2,
        error: 'Error: boom 2',
      });
      const fatal = defineJob('fatal', () => {
        throw new UnrecoverableError('bad payload');
      });
      const w2 = qa.worker({ jobs: [fatal], pollIntervalMs: 1000 });
      const f = await qa.add(fatal, {}, { attempts: 5 });
      await until(
        'the unrecoverable job to fail',
        async () => (await qa.get(f.job.id))?.state === 'failed',
      );
      expect(await qa.get(f.job.id)).toMatchObject({
        attempts: 1,
        error: 'UnrecoverableError: bad payload',
      });
      await Promise.all([w.close(), w2.close()]);
      expect(retrying.length).toBe(3);
      expect(failed.length).toBe(1);
    });

    test('a jobId deduplicates: the job runs once', async ({ store }) => {
      const q = qname();
      let runs = 0;
      const job = defineJob('once', () => {
        runs++;
      });
      const qa = queueOn(store, q);
      const a = await qa.add(job, {}, { jobId: 'order-42', delayMs: 100 });
      const b = await qa.add(job, {}, { jobId: 'order-42' });
      expect([a.isNew, b.isNew]).toEqual([true, false]);
      expect(b.job.id).toBe('order-42');
      const w = qa.worker({ jobs: [job], pollIntervalMs: 50 });
      await until(
        'the job to complete',
        async () => (await qa.get('order-42'))?.state === 'completed',
      );
      const c = await qa.add(job, {}, { jobId: 'order-42' });
      expect(c.isNew).toBe(false);
      await sleep(150);
      await w.close();
      expect(runs).toBe(1);
    });

    test('progress, result and events; a timeout aborts the signal and fails the attempt', async ({
      store,
    }) => {
      const q = qname();
      const events: string[] = [];
      const steps = defineJob('steps', async (_p: null, ctx) => {
        await ctx.progress({ pct: 50 });
        return { ok: true };
      });
      let reason: unknown;
      const slow = defineJob(
        'slow',
        (_p: null, { signal }) =>
          new Promise((_, reject) => {
            signal.addEventListener('abort', () => {
              reason = signal.reason;
              reject(signal.reason);
            });
          }),
        { timeoutMs: 100, attempts: 1 },
      );
      const qa = queueOn(store, q);
      const w = qa.worker({ jobs: [steps, slow], concurrency: 2, pollIntervalMs: 50 });
      w.on('active', (j) => events.push(`active ${j.name}`));
      w.on('progress', (j, p) => events.push(`progress ${j.name} ${JSON.stringify(p)}`));
      w.on('completed', (j, r) => events.push(`completed ${j.name} ${JSON.stringify(r)}`));
      w.on('failed', (j) => events.push(`failed ${j.name}`));
      const a = await qa.add(steps, null);
      const b = await qa.add(slow, null);
      await until(
        'both jobs to settle',
        async () =>
          (await qa.get(b.job.id))?.state === 'failed' &&
          (await qa.get(a.job.id))?.state === 'completed',
      );
      await w.close();
      expect(events.filter((e) => e.includes('steps'))).toEqual([
        'active steps',
        'progress steps {"pct":50}',
        'completed steps {"ok":true}',
      ]);
      expect(events).toContain('failed slow');
      expect(isRwsErrorCode(reason, 'RWS_JOBS_TIMEOUT')).toBe(true);
      expect(await qa.get(a.job.id)).toMatchObject({ progress: { pct: 50 }, result: { ok: true } });
      expect((await qa.get(b.job.id))?.error).toMatch(/timed out after 100 ms/);
    });

    test('cancel aborts a running job, from this process and from another connection', async ({
      store,
      other,
    }) => {
      const q = qname();
      const reasons: unknown[] = [];
      const started: string[] = [];
      const waits = defineJob('waits', (_p: null, { signal, id }) => {
        started.push(id);
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            reasons.push(signal.reason);
            reject(signal.reason);
          }),
        );
      });
      const qa = queueOn(store, q);
      const qb = queueOn(other, q);
      const w = qa.worker({ jobs: [waits], concurrency: 2, leaseMs: 300, pollIntervalMs: 50 });
      const cancelled: string[] = [];
      w.on('cancelled', (j) => cancelled.push(j.id));
      const a = await qa.add(waits, null);
      const b = await qa.add(waits, null);
      await until('both jobs to start', () => started.length === 2);
      expect(await qa.cancel(a.job.id)).toBe(true);
      // From another connection the worker learns it when it renews the lease (every leaseMs / 3).
      expect(await qb.cancel(b.job.id)).toBe(true);
      await until('both cancellations', () => cancelled.length === 2);
      await w.close();
      expect(reasons.every((r) => isRwsErrorCode(r, 'RWS_JOBS_CANCELLED'))).toBe(true);
      expect((await qa.get(a.job.id))?.state).toBe('cancelled');
      expect((await qa.get(b.job.id))?.state).toBe('cancelled');
    });

    test('graceful shutdown lets running jobs finish, and returns them to the queue after the deadline', async ({
      store,
    }) => {
      const q = qname();
      const qa = queueOn(store, q);
      let finished = 0;
      const short = defineJob('short', async () => {
        await sleep(200);
        finished++;
      });
      const w1 = qa.worker({ jobs: [short], pollIntervalMs: 20 });
      const s = await qa.add(short, null);
      await until('the job to start', () => w1.running === 1);
      await w1.close({ timeoutMs: 5000 });
      expect(finished).toBe(1);
      expect((await qa.get(s.job.id))?.state).toBe('completed');

      let reason: unknown;
      const stuck = defineJob(
        'stuck',
        (_p: null, { signal }) =>
          new Promise((_, reject) =>
            signal.addEventListener('abort', () => {
              reason = signal.reason;
              reject(signal.reason);
            }),
          ),
      );
      const w2 = qa.worker({ jobs: [stuck], pollIntervalMs: 20 });
      const released: JobRecord[] = [];
      w2.on('released', (j) => released.push(j));
      const j = await qa.add(stuck, null);
      await until('the job to start', () => w2.running === 1);
      const t0 = Date.now();
      await w2.close({ timeoutMs: 150 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
      expect(isRwsErrorCode(reason, 'RWS_JOBS_SHUTDOWN')).toBe(true);
      expect(released.map((r) => r.id)).toEqual([j.job.id]);
      expect(await qa.get(j.job.id)).toMatchObject({
        state: 'waiting',
        attempts: 0,
        workerId: null,
      });
      await qa.add(short, null).then(() => undefined);
      expect(() => qa.worker({ jobs: [] })).toThrow(/at least one job/);
    });

    groupAndKeyTests({ test, qname, newJob, queueOn, until });
  });
}
