import { expect, it } from 'vitest';

it('exports', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
      "JSON_RPC_ERRORS",
      "JsonRpcError",
      "McpError",
      "SUPPORTED_PROTOCOL_VERSIONS",
      "classifyMessage",
      "createMcpServer",
      "createMemoryEventStore",
      "urlElicitationRequired",
    ]
  `);
});
