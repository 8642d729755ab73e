import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, createJsonSchema } from '../src/index.js';

describe('the key table', () => {
  it('flags, short flags, env vars and TOML keys are unique', () => {
    for (const field of ['flag', 'short', 'env', 'toml'] as const) {
      const values = CONFIG_KEYS.map((k) => k[field]).filter((v) => v !== null);
      expect(new Set(values).size, field).toBe(values.length);
    }
    // -h is help and -v is version.
    expect(CONFIG_KEYS.some((k) => k.short === 'h' || k.short === 'v')).toBe(false);
  });

  it('has the reference flags and short letters', () => {
    const byFlag = Object.fromEntries(CONFIG_KEYS.map((k) => [k.flag, k.short]));
    expect(byFlag).toMatchObject({
      ip: 'i',
      port: 'p',
      'tls-cert-file': 's',
      'tls-key-file': 'k',
      'cors-allow-all': 'a',
      'cors-allow-origins': 'o',
      'cors-allow-methods': 'm',
      'cors-allow-headers': null,
      'cors-allow-credentials': 'c',
      'cors-expose-headers': 'e',
      'cors-max-age': 'g',
    });
  });
});

describe('schema/rws.config.schema.json', () => {
  it('equals what `pnpm --filter @rws/cli gen:schema` generates', () => {
    const committed = JSON.parse(
      readFileSync(new URL('../schema/rws.config.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(createJsonSchema());
  });

  it('is draft 2020-12 and closed', () => {
    const schema = createJsonSchema() as {
      $schema: string;
      additionalProperties: boolean;
      properties: Record<string, unknown>;
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        'ip',
        'port',
        'cors',
        'cors_allow_all',
        'virtual_host',
        'route',
        'upstream',
        'workers',
      ]),
    );
    expect(schema.properties['port']).toMatchObject({
      type: 'integer',
      minimum: 0,
      maximum: 65535,
      default: 7878,
    });
  });
});

describe('README.md', () => {
  it('documents every flag, env var and TOML key of the key table', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const k of CONFIG_KEYS) {
      if (k.flag !== null) expect(readme, k.flag).toContain(`\`--${k.flag}\``);
      if (k.env !== null) expect(readme, k.env).toContain(`\`${k.env}\``);
      if (k.toml !== null) expect(readme, k.toml).toContain(`\`${k.toml}\``);
    }
  });
});
