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

it('exports of @rws/router/templates and @rws/router/templates/eta', async () => {
  expect(Object.keys(await import('../src/templates.js')).sort()).toMatchInlineSnapshot(`
    [
      "createTemplates",
      "templateNotFound",
    ]
  `);
  expect(Object.keys(await import('../src/engines/eta.js')).sort()).toMatchInlineSnapshot(`
    [
      "etaEngine",
    ]
  `);
});
