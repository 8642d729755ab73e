import { expect, it } from 'vitest';

it('exports', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
      "GATEWAY_CONFIG_CODES",
      "GATEWAY_SECTIONS",
      "GatewayConfigError",
      "STRATEGIES",
      "createGateway",
      "createGatewayJsonSchema",
      "createTcpProxy",
      "createTrafficSplit",
      "createUdpProxy",
      "createUpstream",
      "didYouMean",
      "dnsSource",
      "envSource",
      "fileSource",
      "findTomlLine",
      "formatConfigProblem",
      "getProxyInfo",
      "hasGatewaySections",
      "keyPathName",
      "parseBackendAddress",
      "parseGatewayConfig",
      "reverseProxy",
      "staticSource",
      "tomlLineOf",
      "watchDiscovery",
    ]
  `);
});
