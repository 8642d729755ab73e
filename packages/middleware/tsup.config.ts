import { defineConfig } from 'tsup';

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/static/index.ts',
    'src/cors/index.ts',
    'src/access-log/index.ts',
    'src/request-id/index.ts',
    'src/metrics/index.ts',
  ],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
});
