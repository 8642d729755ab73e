import { describe, expect, it } from 'vitest';
import { createMemoryStore, createQueue, createSqlStore, defineJob } from '../src/index.js';
import { isRwsErrorCode } from './conformance-imports.js';

const job = defineJob('j', () => undefined);

describe('invalid options are refused with RWS_JOBS_INVALID_OPTIONS, naming the option', () => {
  const queue = createQueue({ store: createMemoryStore() });
  it.each([
    [{ delayMs: -1 }, /delayMs must be ≥ 0 \(got -1\)/],
    [{ delayMs: 10, runAt: Date.now() }, /delayMs or runAt, not both/],
    [{ runAt: new Date('nope') }, /runAt is not a valid time/],
    [{ attempts: 0 }, /attempts must be an integer ≥ 1 \(got 0\)/],
    [{ attempts: 1.5 }, /attempts must be an integer/],
    [{ priority: 0.5 }, /priority must be an integer/],
    [{ timeoutMs: 0 }, /timeoutMs must be a positive number/],
    [{ jobId: '' }, /jobId must be 1 to 191 characters/],
    [{ backoff: { type: 'linear', delayMs: 1 } }, /backoff.type must be "fixed" or "exponential"/],
    [{ backoff: { type: 'fixed', delayMs: -5 } }, /backoff.delayMs must be ≥ 0/],
    [{ backoff: { type: 'fixed', delayMs: 5, jitter: 2 } }, /jitter must be between 0 and 1/],
  ])('add(%o)', async (options, message) => {
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input.
    const err = await queue.add(job, null, options as any).catch((e: unknown) => e);
    expect(isRwsErrorCode(err, 'RWS_JOBS_INVALID_OPTIONS')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });

  it('worker options', () => {
    expect(() => queue.worker({ jobs: [job], concurrency: 0 })).toThrow(/concurrency must be > 0/);
    expect(() => queue.worker({ jobs: [job], concurrency: 1.5 })).toThrow(/must be an integer/);
    expect(() => queue.worker({ jobs: [job], leaseMs: -1 })).toThrow(/leaseMs must be > 0/);
    expect(() => queue.worker({ jobs: [] })).toThrow(/at least one job/);
  });

  it('a table name that is not an identifier', () => {
    // biome-ignore lint/suspicious/noExplicitAny: the check runs before the Db is used.
    const db = { dialect: 'sqlite', kysely: {} } as any;
    expect(() => createSqlStore({ db, table: 'jobs; drop table x' })).toThrow(
      /table must be letters, digits and _/,
    );
  });

  it('a closed queue refuses work with RWS_JOBS_CLOSED', async () => {
    const q = createQueue({ store: createMemoryStore() });
    await q.close();
    const err = await q.add(job, null).catch((e: unknown) => e);
    expect(isRwsErrorCode(err, 'RWS_JOBS_CLOSED')).toBe(true);
  });
});
