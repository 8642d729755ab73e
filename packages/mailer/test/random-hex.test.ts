import { expect, test } from 'vitest';
import { randomHex } from '../src/internal/random-hex.js';

test('pooled random ids: the right length, hex, and no repeats across pool refills (issue #18)', () => {
  const seen = new Set<string>();
  // 1000 × 16 bytes crosses the 4 KiB pool boundary several times.
  for (let i = 0; i < 1000; i++) {
    const id = randomHex(16);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    seen.add(id);
  }
  expect(seen.size).toBe(1000);
  expect(randomHex(12)).toMatch(/^[0-9a-f]{24}$/);
});
