import { defineConfig } from 'tsup';

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/static/index.ts',
    'src/cors/index.ts',
    'src/access-log/index.ts',
    'src/request-id/index.ts',
    'src/metrics/index.ts',
    'src/rate-limit/index.ts',
    'src/auth/index.ts',
    'src/ip-filter/index.ts',
    'src/rewrite/index.ts',
    'src/timeout/index.ts',
    'src/body-limit/index.ts',
    'src/cache/index.ts',
  ],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
});
