import { defineConfig } from 'vitest/config';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one plain `N passed, N failed, N skipped` line at the end of a run, so CI logs carry
 * a runner-neutral summary next to vitest's own.
 */
const summaryLine: Reporter = {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) failed++;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    process.stdout.write(`\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  },
};

// One root config so `pnpm test` runs every package's tests in one process pool.
// The `@rws/source` condition resolves workspace packages to their TypeScript sources,
// so tests never need a build first.
export default defineConfig({
  resolve: { conditions: ['@rws/source'] },
  ssr: { resolve: { conditions: ['@rws/source'], externalConditions: ['@rws/source'] } },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'tooling/*/test/**/*.test.ts',
      'examples/test/**/*.test.ts',
    ],
    environment: 'node',
    // The bench harness's own tests start its targets from source too (no build first);
    // `pnpm bench` itself measures the built dist (tooling/bench/src/targets.ts).
    env: { BENCH_FROM: 'source' },
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Waits for what must happen look 10 s, not vitest's 1 s: a loaded 2-core CI machine can
    // take longer than a second, and what never happens still fails (wait-defaults.ts).
    expect: { poll: { timeout: 10_000 } },
    // udp-trace-setup.ts does nothing unless RWS_UDP_TRACE names a file (a UDP diagnostic).
    setupFiles: [
      './tooling/test-helpers/src/wait-defaults.ts',
      './tooling/test-helpers/src/udp-trace-setup.ts',
    ],
    pool: 'forks',
    reporters: ['default', summaryLine],
  },
});
