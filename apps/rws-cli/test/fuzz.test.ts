import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArgs, parseEnv, parseToml, resolveConfig } from '../src/index.js';
import { CWD, fsInput } from './helpers.js';

// Property tests: whatever the input, the parsers report problems instead of throwing, and
// every problem carries a code and a key.
describe('config parsers never throw (fast-check)', () => {
  const tomlLine = fc.oneof(
    fc.constantFrom(
      'port = 80',
      'port = "x"',
      '[cors]',
      '[[virtual_host]]',
      'domain = "a"',
      'allow_all = maybe',
      '[[route]]',
      'x = { a = 1 }',
      'cors.allow_all = true',
      '# comment',
      '= 1',
      '[',
      '"quoted key" = 1',
    ),
    fc.string(),
  );

  it('parseToml', () => {
    fc.assert(
      fc.property(fc.array(tomlLine, { maxLength: 10 }), (lines) => {
        const r = parseToml(lines.join('\n'), 'f.toml');
        for (const p of r.problems) {
          // Gateway tables ([[route]]) are reported by @rws/proxy with its own codes.
          expect(p.code).toMatch(/^RWS_(CLI|PROXY_CONFIG)_/);
          expect(p.key.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('parseArgs, parseEnv and resolveConfig', () => {
    const arg = fc.oneof(
      fc.constantFrom(
        '--port',
        '-p',
        '--port=',
        '-a',
        '--no-cors-allow-all',
        '--',
        '-',
        'check',
        '--config',
        '=',
        '--=x',
      ),
      fc.string(),
    );
    fc.assert(
      fc.property(
        fc.array(arg, { maxLength: 8 }),
        fc.dictionary(
          fc.constantFrom(
            'RWS_CONFIG_PORT',
            'RWS_CONFIG_IP',
            'RWS_CONFIG_VIRTUAL_HOST_0_DOMAIN',
            'RWS_CONFIG_X',
          ),
          fc.string(),
        ),
        (argv, env) => {
          parseArgs(argv);
          parseEnv(env);
          const r = resolveConfig({ argv, env, cwd: CWD, ...fsInput() });
          for (const p of [...r.problems, ...r.warnings]) expect(p.code).toMatch(/^RWS_CLI_/);
        },
      ),
      { numRuns: 500 },
    );
  });
});
