import { expect, it } from 'vitest';

it('exports', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
      "HTTP3_ERROR",
      "Http3Client",
      "Http3Error",
      "Http3Server",
      "QuicError",
      "TRANSPORT_ERROR",
      "createHttp3Certificate",
    ]
  `);
});
