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
    const jobs = await queue.list('waiting');
    // Between 2 and 3 whole seconds passed: two or three ticks, each enqueued once.
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    expect(jobs.length).toBeLessThanOrEqual(3);
    const ids = jobs.map((j) => j.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const j of jobs) {
      expect(j.id).toMatch(/^every-second@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      expect(Date.parse(j.id.slice('every-second@'.length))).toBeGreaterThan(t0);
    }
  });

  it('every(): fixed rate aligned to the interval', async () => {
    const queue = createQueue({ store: createMemoryStore() });
    onTestFinished(() => queue.close());
    const tick = defineJob('tick', () => undefined);
    const s = createScheduler({ queue });
    s.every('fast', 200, tick, null, { job: { priority: 3 } });
    await new Promise((r) => setTimeout(r, 700));
    await s.close();
    const jobs = await queue.list('waiting');
    expect(jobs.length).toBeGreaterThanOrEqual(3);
    expect(jobs.length).toBeLessThanOrEqual(4);
    for (const j of jobs) {
      expect(Date.parse(j.id.slice('fast@'.length)) % 200).toBe(0);
      expect(j.priority).toBe(3);
    }
    expect(() => s.every('bad', 0, tick, null)).toThrow(/intervalMs must be a positive integer/);
    expect(() => s.cron('bad', '* *', tick, null)).toThrow(/expected 5 or 6 fields/);
    expect(() => s.cron('bad', '* * * * *', tick, null, { timeZone: 'Nowhere/Else' })).toThrow(
      /unknown time zone/,
    );
  });
});
