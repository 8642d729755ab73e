import { expect, it } from 'vitest';

it('exports', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "CONNECTION_PREFACE",
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
      "FLAG",
      "FRAME_TYPE",
      "FrameParser",
      "H2ConnectionError",
      "H2_ERROR",
      "HpackDecoder",
      "HpackEncoder",
      "Http2Client",
      "Http2Server",
      "SETTING",
      "frame",
      "goawayFrame",
      "h2cUpgradeSettings",
      "headersFrames",
      "huffmanDecode",
      "huffmanEncode",
      "huffmanEncodedLength",
      "isConnectionSpecific",
      "parseRequestFields",
      "pingFrame",
      "rstStreamFrame",
      "settingsFrame",
      "trailerProblem",
      "windowUpdateFrame",
    ]
  `);
});
