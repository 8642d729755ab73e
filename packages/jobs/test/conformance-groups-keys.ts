/**
 * Issue #16 leftovers in the store conformance suite: `addMany`, `jobKey` modes, `queues()`,
 * and per-group concurrency and rate limits, checked with explicit clocks and then with real
 * workers on two connections.
 */
import { expect, type TestContext } from 'vitest';
import { defineJob, type JobStore, type NewJob, type Queue } from './conformance-imports.js';
import type { ConformanceTarget } from './run-job-store-conformance.js';

export interface SuiteParts {
  readonly test: (
    title: string,
    fn: (t: ConformanceTarget, ctx: TestContext) => Promise<void>,
  ) => void;
  readonly qname: () => string;
  readonly newJob: (queue: string, over?: Partial<NewJob>) => NewJob;
  readonly queueOn: (store: JobStore, name: string) => Queue;
  readonly until: (
    what: string,
    fn: () => Promise<boolean> | boolean,
    timeoutMs?: number,
  ) => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The most claims in one window of a fixed-window rate limit: the first claim opens a window
 * of `intervalMs`; the first claim at or after its end opens the next.
 */
export function maxPerFixedWindow(claimTimes: readonly number[], intervalMs: number): number {
  let most = 0;
  let start = Number.NEGATIVE_INFINITY;
  let n = 0;
  for (const t of [...claimTimes].sort((a, b) => a - b)) {
    if (t >= start + intervalMs) {
      start = t;
      n = 0;
    }
    most = Math.max(most, ++n);
  }
  return most;
}

export function groupAndKeyTests({ test, qname, newJob, queueOn, until }: SuiteParts): void {
  const claim = (store: JobStore, queue: string, now: number, over: object = {}) =>
    store.claim({ queue, workerId: 'w', leaseMs: 60_000, limit: 10, now, ...over });

  test('addMany inserts a batch in order; ids that exist, or repeat in the batch, are not new', async ({
    store,
  }) => {
    const q = qname();
    const old = newJob(q, { id: `old-${q}`, payload: { old: true } });
    await store.add(old);
    const batch = [
      newJob(q, { payload: { i: 0 }, group: 'g1' }),
      { ...old, payload: { old: false } },
      newJob(q, { payload: { i: 2 } }),
      newJob(q, { id: `dup-${q}`, payload: { first: true } }),
      newJob(q, { id: `dup-${q}`, payload: { first: false } }),
    ];
    const results = await store.addMany(batch);
    expect(results.map((r) => r.isNew)).toEqual([true, false, true, true, false]);
    expect(results.map((r) => r.job.id)).toEqual(batch.map((j) => j.id));
    expect(results[0]?.job).toMatchObject({ payload: { i: 0 }, group: 'g1', state: 'waiting' });
    expect(results[1]?.job.payload).toEqual({ old: true });
    expect(results[4]?.job.payload).toEqual({ first: true });
    expect((await store.counts(q)).waiting).toBe(4);
    expect(await store.addMany([])).toEqual([]);
    const many = Array.from({ length: 1200 }, (_, i) => newJob(q, { payload: { i } }));
    expect((await store.addMany(many)).every((r) => r.isNew)).toBe(true);
    expect((await store.counts(q)).waiting).toBe(1204);
    expect(await store.queues()).toContain(q);
  });

  test('jobKey deduplicate: one pending job per key; a finished job frees the key', async ({
    store,
  }) => {
    const q = qname();
    const a = await store.add(newJob(q, { key: 'k', payload: { v: 1 } }));
    const b = await store.add(newJob(q, { key: 'k', payload: { v: 2 } }));
    expect([a.isNew, b.isNew]).toEqual([true, false]);
    expect(b.job).toMatchObject({ id: a.job.id, payload: { v: 1 }, key: 'k' });
    // Other queues have keys of their own.
    expect((await store.add(newJob(qname(), { key: 'k' }))).isNew).toBe(true);
    await claim(store, q, 2000);
    const c = await store.add(newJob(q, { key: 'k', payload: { v: 3 } }));
    expect([c.isNew, c.job.id]).toEqual([false, a.job.id]);
    expect(await store.complete(a.job.id, 'w', null, { now: 2100 })).toBe(true);
    const d = await store.add(newJob(q, { key: 'k', payload: { v: 4 } }));
    expect(d.isNew).toBe(true);
    expect(d.job).toMatchObject({ payload: { v: 4 }, key: 'k', state: 'waiting' });
    expect(await store.get(a.job.id)).toMatchObject({ state: 'completed', key: null });
  });

  test('jobKey replace keeps runAt; debounce moves it; a running holder gives the key up', async ({
    store,
  }) => {
    const q = qname();
    const a = await store.add(newJob(q, { key: 'r', runAt: 5000, payload: { v: 1 } }));
    const r = await store.add(
      newJob(q, { key: 'r', keyMode: 'replace', runAt: 9000, priority: 4, payload: { v: 2 } }),
    );
    expect(r.isNew).toBe(false);
    expect(r.job).toMatchObject({ id: a.job.id, payload: { v: 2 }, priority: 4, runAt: 5000 });
    const d = await store.add(
      newJob(q, { key: 'r', keyMode: 'debounce', runAt: 9000, payload: { v: 3 } }),
    );
    expect(d.job).toMatchObject({ id: a.job.id, payload: { v: 3 }, runAt: 9000 });
    expect((await store.counts(q)).waiting).toBe(1);
    expect(await claim(store, q, 8999)).toEqual([]);
    expect((await claim(store, q, 9000)).map((j) => j.payload)).toEqual([{ v: 3 }]);
    // Running: the old payload is in use, so the new one becomes a job of its own.
    const n = await store.add(
      newJob(q, { key: 'r', keyMode: 'debounce', runAt: 9500, payload: { v: 4 } }),
    );
    expect(n.isNew).toBe(true);
    expect(n.job).toMatchObject({ payload: { v: 4 }, key: 'r', runAt: 9500 });
    expect(await store.get(a.job.id)).toMatchObject({ state: 'active', key: null });
  });

  test('concurrent adds of one new key on two connections keep one pending job', async ({
    store,
    other,
  }) => {
    const q = qname();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 === 0 ? store : other).add(newJob(q, { key: 'race', payload: { i } })),
      ),
    );
    expect(results.filter((r) => r.isNew).length).toBe(1);
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
    expect((await store.counts(q)).waiting).toBe(1);
  });

  test('group concurrency: a claim takes at most N active jobs per group, ungrouped after', async ({
    store,
  }) => {
    const q = qname();
    for (const g of ['a', 'a', 'a', 'b', 'b']) await store.add(newJob(q, { group: g }));
    await store.add(newJob(q, { priority: -5 }));
    const limits = { group: { concurrency: 2 } };
    const first = await claim(store, q, 2000, limits);
    expect(first.map((j) => j.group ?? '-').sort()).toEqual(['-', 'a', 'a', 'b', 'b']);
    expect(await claim(store, q, 2001, limits)).toEqual([]);
    const a = first.find((j) => j.group === 'a');
    await store.complete(a?.id ?? '', 'w', null, { now: 2002 });
    expect((await claim(store, q, 2003, limits)).map((j) => j.group)).toEqual(['a']);
    // Without limits groups are labels only.
    await store.add(newJob(q, { group: 'a' }));
    expect((await claim(store, q, 2004)).map((j) => j.group)).toEqual(['a']);
  });

  test('group rate limit: at most max starts per window, across claims', async ({ store }) => {
    const q = qname();
    for (let i = 0; i < 5; i++) await store.add(newJob(q, { group: 'api' }));
    await store.add(newJob(q, { group: 'other' }));
    const limits = { group: { rateLimit: { max: 2, intervalMs: 1000 } } };
    const t0 = 10_000;
    expect((await claim(store, q, t0, limits)).map((j) => j.group).sort()).toEqual([
      'api',
      'api',
      'other',
    ]);
    // (SQL stores advance the given clock by the claim's own duration: probes keep a margin.)
    expect(await claim(store, q, t0 + 500, limits)).toEqual([]);
    expect((await claim(store, q, t0 + 1200, limits)).length).toBe(2);
    expect(await claim(store, q, t0 + 1700, limits)).toEqual([]);
    expect((await claim(store, q, t0 + 2500, { group: limits.group, limit: 1 })).length).toBe(1);
    expect((await store.counts(q)).waiting).toBe(0);
  });

  test('group concurrency holds across concurrent claims on two connections', async ({
    store,
    other,
  }) => {
    const q = qname();
    const groups = ['a', 'b', 'c'];
    await store.addMany(
      Array.from({ length: 30 }, (_, i) => newJob(q, { group: groups[i % 3] ?? 'a' })),
    );
    const limits = { concurrency: 2 };
    const taken = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) =>
        (i % 2 === 0 ? store : other).claim({
          queue: q,
          workerId: `w${i}`,
          leaseMs: 60_000,
          limit: 4,
          group: limits,
          now: 2000,
        }),
      ),
    );
    const perGroup = new Map<string, number>();
    for (const j of taken.flat())
      perGroup.set(j.group ?? '', (perGroup.get(j.group ?? '') ?? 0) + 1);
    for (const n of perGroup.values()) expect(n).toBeLessThanOrEqual(2);
    expect((await store.counts(q)).active).toBe(taken.flat().length);
  });

  test('workers on two connections: one job of a group at a time, and the rate limit holds', async ({
    store,
    other,
  }) => {
    const q = qname();
    const running = new Map<string, number>();
    let overlap = 0;
    const starts: Array<{ group: string; at: number }> = [];
    const job = defineJob('grouped', async (p: { g: string }) => {
      const n = (running.get(p.g) ?? 0) + 1;
      running.set(p.g, n);
      if (n > 1) overlap++;
      starts.push({ group: p.g, at: Date.now() });
      await sleep(30);
      running.set(p.g, (running.get(p.g) ?? 1) - 1);
    });
    const qa = queueOn(store, q);
    const qb = queueOn(other, q);
    const group = { concurrency: 1 };
    const w1 = qa.worker({ jobs: [job], concurrency: 4, pollIntervalMs: 50, group });
    const w2 = qb.worker({ jobs: [job], concurrency: 4, pollIntervalMs: 50, group });
    await qa.addMany(
      Array.from({ length: 12 }, (_, i) => {
        const g = `g${i % 3}`;
        return { job, payload: { g }, options: { group: g } };
      }),
    );
    await until('12 grouped jobs', async () => (await qa.counts()).completed === 12, 20_000);
    expect(overlap).toBe(0);
    // Three groups ran side by side: more than one group was running at some moment.
    expect(new Set(starts.map((s) => s.group)).size).toBe(3);

    // A rate limit of 2 per 400 ms for one group, across both workers.
    // The record as claimed: updatedAt is the claim's time, the clock the limit counts by.
    const rated = defineJob('rated', (p: { i: number }, ctx) => {
      starts.push({ group: 'rated', at: ctx.job.updatedAt });
      return p.i;
    });
    starts.length = 0;
    const rate = { rateLimit: { max: 2, intervalMs: 400 } };
    const r1 = qa.worker({ jobs: [rated], concurrency: 4, pollIntervalMs: 50, group: rate });
    const r2 = qb.worker({ jobs: [rated], concurrency: 4, pollIntervalMs: 50, group: rate });
    await qa.addMany(
      Array.from({ length: 6 }, (_, i) => ({
        job: rated,
        payload: { i },
        options: { group: 'r' },
      })),
    );
    await until('6 rated jobs', () => starts.length === 6, 20_000);
    const at = starts.map((s) => s.at).sort((x, y) => x - y);
    // 6 jobs at 2 per 400 ms window: three windows, so the last claim ≥ 800 ms after the first.
    expect(maxPerFixedWindow(at, 400)).toBeLessThanOrEqual(2);
    expect((at[5] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(800);
    await Promise.all([w1.close(), w2.close(), r1.close(), r2.close()]);
  });

  test('queue.add with jobKey debounce runs a burst once, with the last payload', async ({
    store,
  }) => {
    const q = qname();
    const seen: unknown[] = [];
    const job = defineJob('debounced', (p: { v: number }) => {
      seen.push(p.v);
    });
    const qa = queueOn(store, q);
    const w = qa.worker({ jobs: [job], pollIntervalMs: 50 });
    // The delay is long against five adds even on a loaded machine: each add pushes it back.
    for (let v = 1; v <= 5; v++)
      await qa.add(job, { v }, { jobKey: 'save', jobKeyMode: 'debounce', delayMs: 1500 });
    await until('the debounced job', () => seen.length === 1, 10_000);
    await sleep(400);
    await w.close();
    expect(seen).toEqual([5]);
    await expect(qa.add(job, { v: 0 }, { jobKeyMode: 'replace' })).rejects.toThrow(
      /jobKeyMode needs a jobKey/,
    );
    await expect(qa.add(job, { v: 0 }, { jobKey: 'x', jobId: 'y' })).rejects.toThrow(
      /give jobId or jobKey, not both/,
    );
    expect(() => qa.worker({ jobs: [job], group: { concurrency: 0 } })).toThrow(
      /group.concurrency must be a positive integer \(got 0\)/,
    );
  });
}
