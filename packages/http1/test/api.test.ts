import { describe, expect, it } from 'vitest';

describe('public API', () => {
  it('exports exactly these names', async () => {
    expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
      [
        "Agent",
        "DEFAULT_HANDSHAKE_TIMEOUT_MS",
        "DEFAULT_TLS_CIPHERS",
        "ERROR_CODES",
        "ERROR_DESCRIPTIONS",
        "Http1Server",
        "Pool",
        "createAgent",
        "createPool",
        "createServer",
        "getGlobalAgent",
        "request",
        "setGlobalAgent",
        "writeEarlyHints",
      ]
    `);
  });

  it('exports exactly these names from @rws/http1/websocket', async () => {
    expect(Object.keys(await import('../src/websocket/index.js')).sort()).toMatchInlineSnapshot(`
      [
        "FrameParser",
        "OPCODE",
        "ProtocolError",
        "Topic",
        "WebSocket",
        "acceptKey",
        "connectWebSocket",
        "createTopic",
        "encodeFrame",
        "isValidCloseCode",
        "upgradeWebSocket",
      ]
    `);
  });
});
