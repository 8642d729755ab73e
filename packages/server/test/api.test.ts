import { expect, it } from 'vitest';

it('exports', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "AlpnDispatch",
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
      "serve",
    ]
  `);
});
