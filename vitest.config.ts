import { defineConfig } from 'vitest/config';

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
    ],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
