import { expect, it } from 'vitest';

it('exports', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "DISCOVERY_ERROR_CODES",
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
      "GATEWAY_CONFIG_CODES",
      "GATEWAY_SECTIONS",
      "GatewayConfigError",
      "STRATEGIES",
      "consulSource",
      "createGateway",
      "createGatewayJsonSchema",
      "createIngressRouter",
      "createTcpProxy",
      "createTrafficSplit",
      "createUdpProxy",
      "createUpstream",
      "didYouMean",
      "dnsSource",
      "dockerSource",
      "envSource",
      "etcdSource",
      "fileSource",
      "findTomlLine",
      "formatConfigProblem",
      "getProxyInfo",
      "hasGatewaySections",
      "keyPathName",
      "kubernetesIngressSource",
      "kubernetesSource",
      "openStorageSource",
      "parseBackendAddress",
      "parseGatewayConfig",
      "parseStorageSource",
      "reverseProxy",
      "staticSource",
      "tomlLineOf",
      "watchDiscovery",
    ]
  `);
});
