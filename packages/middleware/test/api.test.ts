import { expect, it } from 'vitest';

it('exports of @rws/middleware', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
    ]
  `);
});

it('exports of @rws/middleware/static', async () => {
  expect(Object.keys(await import('../src/static/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "serveStatic",
    ]
  `);
});
