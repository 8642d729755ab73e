import { expect, it } from 'vitest';

it('exports', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "AlpnDispatch",
      "DEFAULT_DURATION_BUCKETS",
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
      "METRICS_CONTENT_TYPE",
      "Metrics",
      "createMetrics",
      "serve",
    ]
  `);
});
