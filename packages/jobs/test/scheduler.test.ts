import { describe, expect, it, onTestFinished } from 'vitest';
import { createMemoryStore, createQueue, createScheduler, defineJob } from '../src/index.js';

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
});
