import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '@rws/orm';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createMemoryStore,
  createQueue,
  createScheduler,
  createSqlStore,
  defineJob,
} from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('createScheduler', () => {
  it('two instances running the same cron schedule on one store enqueue each tick once', async () => {
    const queue = createQueue({ store: createMemoryStore(), name: 'cron' });
    onTestFinished(() => queue.close());
    const tick = defineJob('tick', () => undefined);
    const a = createScheduler({ queue });
    const b = createScheduler({ queue });
    onTestFinished(() => Promise.all([a.close(), b.close()]).then(() => undefined));
    const t0 = Date.now();
    a.cron('every-second', '* * * * * *', tick, { from: 'a' });
    b.cron('every-second', '* * * * * *', tick, { from: 'b' });
    await new Promise((r) => setTimeout(r, 2300));
    await Promise.all([a.close(), b.close()]);
    const t1 = Date.now();
    const jobs = await queue.list('waiting', { limit: 1000 });
    // Each tick enqueued once although both instances fired it: consecutive whole seconds.
    const ticks = jobs.map((j) => {
      expect(j.id).toMatch(/^every-second@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      return Date.parse(j.id.slice('every-second@'.length));
    });
    ticks.sort((x, y) => x - y);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < ticks.length; i++) expect((ticks[i] ?? 0) - (ticks[i - 1] ?? 0)).toBe(1000);
    expect(ticks[0]).toBeGreaterThan(t0);
    expect(ticks.at(-1)).toBeLessThanOrEqual(t1);
  });

  it('every(): fixed rate aligned to the interval', async () => {
    const queue = createQueue({ store: createMemoryStore() });
    onTestFinished(() => queue.close());
    const tick = defineJob('tick', () => undefined);
    const s = createScheduler({ queue });
    s.every('fast', 200, tick, null, { job: { priority: 3 } });
    await new Promise((r) => setTimeout(r, 700));
    await s.close();
    const jobs = await queue.list('waiting', { limit: 1000 });
    const ticks = jobs.map((j) => Date.parse(j.id.slice('fast@'.length))).sort((x, y) => x - y);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < ticks.length; i++) expect((ticks[i] ?? 0) - (ticks[i - 1] ?? 0)).toBe(200);
    for (const j of jobs) expect(j.priority).toBe(3);
    expect(() => s.every('bad', 0, tick, null)).toThrow(/intervalMs must be a positive integer/);
    expect(() => s.cron('bad', '* *', tick, null)).toThrow(/expected 5 or 6 fields/);
    expect(() => s.cron('bad', '* * * * *', tick, null, { timeZone: 'Nowhere/Else' })).toThrow(
      /unknown time zone/,
    );
  });

  it('catchUp "once": after downtime the most recent missed tick runs once at start; "skip" waits (SQLite file, a process restart)', async () => {
    const file = join(tmpdir(), `rws-jobs-catchup-${randomBytes(4).toString('hex')}.db`);
    onTestFinished(() => {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    });
    const tick = defineJob('tick', () => undefined);
    /** One "process": its own Db, queue and scheduler on the file. */
    const start = (catchUp: 'skip' | 'once' | undefined) => {
      const queue = createQueue({
        store: createSqlStore({
          db: createDb({ dialect: 'sqlite', options: { filename: file } }),
          ownsDb: true,
        }),
      });
      const scheduler = createScheduler({ queue });
      scheduler.every('beat', 300, tick, null, catchUp === undefined ? {} : { catchUp });
      return {
        queue,
        stop: async () => {
          await scheduler.close();
          await queue.close();
        },
      };
    };
    const ids = async (q: ReturnType<typeof start>['queue']) =>
      (await q.list('waiting', { limit: 1000 })).map((j) => Date.parse(j.id.slice(5))).sort();

    const first = start('once');
    await sleep(700);
    const before = await ids(first.queue);
    await first.stop();
    expect(before.length).toBeGreaterThanOrEqual(1);
    // Down for at least three ticks.
    await sleep(1000);
    const last = Math.max(...before);
    const t0 = Date.now();
    const skipping = start('skip');
    await sleep(50);
    // Nothing for the missed ticks (a regular tick after t0 may have come).
    expect((await ids(skipping.queue)).filter((t) => t > last && t <= t0)).toEqual([]);
    await skipping.stop();

    const t1 = Date.now();
    const catching = start('once');
    await sleep(50);
    const added = (await ids(catching.queue)).filter((t) => t > last && t <= t1);
    await catching.stop();
    // Exactly one tick: the last one at or before the restart, not each missed one.
    expect(added).toEqual([Math.floor(t1 / 300) * 300]);
    expect(added[0]).toBeGreaterThan(last + 300);
  });

  it('catchUp "once" with cron: the last past time the expression names; a restart adds nothing', async () => {
    const queue = createQueue({ store: createMemoryStore() });
    onTestFinished(() => queue.close());
    const job = defineJob('nightly', () => undefined);
    const now = new Date();
    let expected = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 3);
    if (expected > now.getTime()) expected -= 24 * 3600 * 1000;
    for (let i = 0; i < 2; i++) {
      const s = createScheduler({ queue });
      s.cron('nightly', '0 3 * * *', job, null, { catchUp: 'once' });
      await sleep(30);
      await s.close();
    }
    const jobs = await queue.list('waiting');
    expect(jobs.map((j) => j.id)).toEqual([`nightly@${new Date(expected).toISOString()}`]);
    const s = createScheduler({ queue });
    expect(() =>
      // @ts-expect-error an unknown policy is refused at run time too
      s.cron('x', '0 3 * * *', job, null, { catchUp: 'all' }),
    ).toThrow(/catchUp must be "skip" or "once" \(got "all"\)/);
  });
});
