import { defineConfig } from 'tsup';

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/drivers/memory.ts',
    'src/drivers/local.ts',
    'src/drivers/s3.ts',
    'src/drivers/azure-blob.ts',
    'src/testing.ts',
  ],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  external: ['vitest'],
});
