/**
 * Fixed-delay schedules (`scheduler.fixedDelay`) on the memory store and on PostgreSQL, MariaDB
 * and a SQLite file: each run is enqueued `delayMs` after the previous one finished, runs never
 * overlap, two instances enqueue each run once, and a restarted scheduler continues the chain.
 */
import { describe, expect, it, onTestFinished, type TestContext } from 'vitest';
import {
  createMemoryStore,
  createQueue,
  createScheduler,
  createSqlStore,
  defineJob,
  type JobRecord,
  type JobStore,
} from '../src/index.js';
import { dbTargets, openTestDb } from './test-db.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DELAY = 250;
const RUN_MS = 150;

/** Store factories: memory, then one per real database. */
const TARGETS: ReadonlyArray<[string, (ctx: TestContext) => Promise<JobStore>]> = [
  ['memory', async () => createMemoryStore()],
  ...dbTargets('jobs-delay').map(
    ([name, requires, options]) =>
      [
        name,
        async (ctx: TestContext) => {
          const { db, table } = await openTestDb(ctx, options, requires, 'jobs_delay');
          return createSqlStore({ db, table });
        },
      ] as [string, (ctx: TestContext) => Promise<JobStore>],
  ),
];

/**
 * The chain's runs in order (`beat#1`, `beat#2`, …) in any state. The worker may still be
 * running one: a run that moves on between two of the lists (waiting, then active, then
 * completed) is listed twice, and counts once, in its later state.
 */
async function chain(store: JobStore, queue: string): Promise<JobRecord[]> {
  const all = new Map<string, JobRecord>();
  for (const state of ['waiting', 'active', 'completed', 'failed', 'cancelled'] as const)
    for (const j of await store.list(queue, state, { limit: 1000 })) all.set(j.id, j);
  return [...all.values()]
    .filter((j) => j.id.startsWith('beat#'))
    .sort((a, b) => Number(a.id.slice(5)) - Number(b.id.slice(5)));
}

describe('scheduler.fixedDelay', () => {
  for (const [name, open] of TARGETS) {
    it(`${name}: the next run waits delayMs after the previous finished; two instances, one chain; a restart continues it`, async (ctx) => {
      const store = await open(ctx);
      const queue = createQueue({ store, name: 'delay' });
      onTestFinished(() => queue.close());
      let running = 0;
      let maxRunning = 0;
      const starts: number[] = [];
      const beat = defineJob('beat', async () => {
        starts.push(Date.now());
        maxRunning = Math.max(maxRunning, ++running);
        await sleep(RUN_MS);
        running--;
      });
      // A worker with room for more than one run: only the schedule keeps them apart.
      queue.worker({ jobs: [beat], concurrency: 4, pollIntervalMs: 25 });
      const errors: unknown[] = [];
      const a = createScheduler({ queue, onError: (e) => errors.push(e) });
      const b = createScheduler({ queue, onError: (e) => errors.push(e) });
      a.fixedDelay('beat', DELAY, beat, null, { job: { priority: 2 } });
      b.fixedDelay('beat', DELAY, beat, null, { job: { priority: 2 } });
      await sleep(2500);
      await Promise.all([a.close(), b.close()]);
      await sleep(RUN_MS + 200);

      const runs = await chain(store, 'delay');
      expect(errors).toEqual([]);
      expect(runs.length).toBeGreaterThanOrEqual(3);
      // One job per run number, numbered without gaps: no instance enqueued a run twice.
      expect(runs.map((r) => r.id)).toEqual(runs.map((_, i) => `beat#${i + 1}`));
      expect(maxRunning).toBe(1);
      for (let i = 1; i < runs.length; i++) {
        const prev = runs[i - 1] as JobRecord;
        const next = runs[i] as JobRecord;
        expect(prev.state).toBe('completed');
        // Exactly delayMs after the store recorded the previous outcome.
        expect(next.runAt - prev.updatedAt).toBe(DELAY);
        expect(next.priority).toBe(2);
      }
      // Every run started after its runAt, so at least RUN_MS + DELAY apart.
      for (let i = 1; i < starts.length; i++)
        expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(RUN_MS + DELAY - 5);

      // A restarted instance finds the last run in the store and goes on from there.
      const before = runs.length;
      const c = createScheduler({ queue });
      c.fixedDelay('beat', DELAY, beat, null);
      await sleep(1200);
      await c.close();
      const after = await chain(store, 'delay');
      expect(after.length).toBeGreaterThan(before);
      expect(after.map((r) => r.id)).toEqual(after.map((_, i) => `beat#${i + 1}`));
    }, 30_000);
  }

  it('refuses bad options', () => {
    const queue = createQueue({ store: createMemoryStore() });
    onTestFinished(() => queue.close());
    const s = createScheduler({ queue });
    onTestFinished(() => s.close());
    const job = defineJob('x', () => undefined);
    expect(() => s.fixedDelay('x', -1, job, null)).toThrow(/delayMs must be an integer ≥ 0/);
    expect(() => s.fixedDelay('x', 1.5, job, null)).toThrow(/delayMs must be an integer ≥ 0/);
    expect(() =>
      // @ts-expect-error catchUp is for cron and every
      s.fixedDelay('x', 10, job, null, { catchUp: 'once' }),
    ).toThrow(/catchUp and timeZone apply to cron and every only/);
    s.fixedDelay('y', 1000, job, null);
    expect(() => s.every('y', 1000, job, null)).toThrow(/a schedule named "y" exists/);
  });
});
