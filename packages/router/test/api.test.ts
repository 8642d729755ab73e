import { expect, it } from 'vitest';

it('exports', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "App",
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
      "ROUTE_PATTERN",
      "RouteGroup",
      "Router",
      "ValidationError",
      "buildOpenApiDocument",
      "createApp",
      "readForm",
      "readJson",
      "readMultipart",
      "readQuery",
      "readText",
      "renderDocsPage",
      "routePattern",
    ]
  `);
});
