import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/index.js';

describe('backoffDelay', () => {
  it.each([
    [{ type: 'fixed', delayMs: 250 } as const, 1, 250],
    [{ type: 'fixed', delayMs: 250 } as const, 7, 250],
    [{ type: 'exponential', delayMs: 100 } as const, 1, 100],
    [{ type: 'exponential', delayMs: 100 } as const, 2, 200],
    [{ type: 'exponential', delayMs: 100 } as const, 4, 800],
    [{ type: 'exponential', delayMs: 100, maxDelayMs: 500 } as const, 4, 500],
    [{ type: 'exponential', delayMs: 1000, maxDelayMs: 60_000 } as const, 40, 60_000],
  ])('%o before retry %i waits %i ms', (backoff, attempt, expected) => {
    expect(backoffDelay(backoff, attempt, () => 0.99)).toBe(expected);
  });

  it('jitter takes up to its fraction away: the delay stays within [d × (1 − jitter), d]', () => {
    const b = { type: 'exponential', delayMs: 1000, jitter: 0.5 } as const;
    expect(backoffDelay(b, 3, () => 0)).toBe(4000);
    expect(backoffDelay(b, 3, () => 0.5)).toBe(3000);
    expect(backoffDelay(b, 3, () => 0.999_999)).toBe(2000);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(b, 1);
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(1000);
      seen.add(d);
    }
    expect(seen.size).toBeGreaterThan(50);
  });

  it('no backoff retries at once', () => {
    expect(backoffDelay(null, 3)).toBe(0);
  });
});
