import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ComparableResult,
  formatComparison,
  loadBaseline,
  saveBaseline,
} from '../src/compare.js';

const dir = mkdtempSync(join(tmpdir(), 'rws-bench-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(date: string, rps: number, p99: number, transfer?: number): ComparableResult {
  return {
    suite: 'static',
    date,
    cases: [
      {
        name: '1k',
        summaries: [
          { target: 'rws-static', requestsPerSec: rps, p99Ms: p99 },
          { target: 'nginx', requestsPerSec: 50_000, p99Ms: 2 },
        ],
      },
      {
        name: '100m',
        summaries: [
          {
            target: 'rws-static',
            requestsPerSec: 10,
            p99Ms: 500,
            transferBytesPerSec: transfer ?? null,
          },
        ],
      },
    ],
  };
}

describe('--baseline / --compare (issue #11)', () => {
  it('saves a run and prints the change per row against it', async () => {
    await saveBaseline(dir, run('2026-01-01', 20_000, 4, 1024 * 1024 * 1000));
    const baseline = await loadBaseline(dir, 'static');
    const text = formatComparison(baseline, run('2026-01-02', 25_000, 3, 1024 * 1024 * 800));
    expect(text).toContain('against the baseline of 2026-01-01');
    expect(text).toContain('| rws-static | 20,000 | 25,000 | +25.0% | 4 | 3 | -25.0% |');
    expect(text).toContain('| nginx | 50,000 | 50,000 | +0.0% | 2 | 2 | +0.0% |');
    // The transfer case compares MiB/s too.
    expect(text).toContain(
      '| rws-static | 10 | 10 | +0.0% | 1,000 | 800 | -20.0% | 500 | 500 | +0.0% |',
    );
  });

  it('a missing baseline is a clear error', async () => {
    await expect(loadBaseline(dir, 'nope')).rejects.toThrow(
      /no baseline for nope: run `pnpm bench nope --baseline`/,
    );
  });
});
