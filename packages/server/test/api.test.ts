import { expect, it } from 'vitest';

it('exports', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "AcmeClient",
      "AcmeError",
      "AcmeManager",
      "AlpnDispatch",
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
      "LETS_ENCRYPT_DIRECTORY",
      "LETS_ENCRYPT_STAGING_DIRECTORY",
      "createDirectoryStore",
      "createObjectStorageStore",
      "createRfc2136Provider",
      "serve",
    ]
  `);
});
