import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/templates.ts', 'src/engines/eta.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
});
