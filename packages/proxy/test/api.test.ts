import { expect, it } from 'vitest';

it('exports', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
      "GATEWAY_SECTIONS",
      "GatewayConfigError",
      "createGateway",
      "createGatewayJsonSchema",
      "didYouMean",
      "findTomlLine",
      "formatConfigProblem",
      "hasGatewaySections",
      "keyPathName",
      "parseBackendAddress",
      "parseGatewayConfig",
      "tomlLineOf",
    ]
  `);
});
