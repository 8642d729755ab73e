import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'websocket/index': 'src/websocket/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
});
