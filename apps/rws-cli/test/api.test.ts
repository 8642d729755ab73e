import { expect, it } from 'vitest';

it('exports of @rws/cli', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "CONFIG_KEYS",
      "ConfigError",
      "DEFAULT_CONFIG_FILE",
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
      "VERSION",
      "createHandler",
      "createJsonSchema",
      "defaultConfig",
      "formatProblem",
      "loadConfig",
      "main",
      "parseArgs",
      "parseEnv",
      "parseToml",
      "renderBanner",
      "renderHelp",
      "renderJsonSchema",
      "resolveConfig",
      "resolveConfigAsync",
      "startServer",
      "toServeOptions",
    ]
  `);
});
