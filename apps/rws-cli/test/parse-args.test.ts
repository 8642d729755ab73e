import { describe, expect, it } from 'vitest';
import { parseArgs } from '../src/index.js';

type Row = [argv: string[], path: string, value: unknown];

// Every flag in every spelling: --long value, --long=value, -s value, -s=value.
const VALUE_FLAGS: [
  long: string,
  short: string | null,
  raw: string,
  path: string,
  value: unknown,
][] = [
  ['ip', 'i', '0.0.0.0', 'ip', '0.0.0.0'],
  ['port', 'p', '8080', 'port', 8080],
  ['root', null, 'public', 'root', 'public'],
  ['tls-cert-file', 's', 'cert.pem', 'tlsCertFile', 'cert.pem'],
  ['tls-key-file', 'k', 'key.pem', 'tlsKeyFile', 'key.pem'],
  ['tls-client-ca-file', null, 'ca.pem', 'tlsClientCaFile', 'ca.pem'],
  ['http-redirect-port', null, '80', 'httpRedirectPort', 80],
  [
    'cors-allow-origins',
    'o',
    'https://a.example,https://b.example',
    'cors.allowOrigins',
    ['https://a.example', 'https://b.example'],
  ],
  ['cors-allow-methods', 'm', 'GET, POST', 'cors.allowMethods', ['GET', 'POST']],
  ['cors-allow-headers', null, 'x-a,x-b', 'cors.allowHeaders', ['x-a', 'x-b']],
  ['cors-expose-headers', 'e', 'x-total', 'cors.exposeHeaders', ['x-total']],
  ['cors-max-age', 'g', '600', 'cors.maxAge', 600],
  ['max-body-size', null, '10mb', 'maxBodySize', 10 * 1024 * 1024],
  ['log-format', null, 'combined', 'logFormat', 'combined'],
  ['access-log', null, 'stderr', 'accessLog', 'stderr'],
  ['spa-fallback', null, 'index.html', 'spaFallback', 'index.html'],
  [
    'spa-fallback-exclude-prefixes',
    null,
    '/api,/auth',
    'spaFallbackExcludePrefixes',
    ['/api', '/auth'],
  ],
  ['directory-listing', null, 'off', 'directoryListing', false],
  ['workers', 'w', 'auto', 'workers', 'auto'],
  ['config', null, 'other.toml', 'configFile', 'other.toml'],
];

describe('parseArgs: every flag, every form', () => {
  const rows: Row[] = [];
  for (const [long, short, raw, path, value] of VALUE_FLAGS) {
    rows.push([[`--${long}`, raw], path, value]);
    rows.push([[`--${long}=${raw}`], path, value]);
    if (short !== null) {
      rows.push([[`-${short}`, raw], path, value]);
      rows.push([[`-${short}=${raw}`], path, value]);
    }
  }
  it.each(rows)('%j → %s', (argv, path, value) => {
    const parsed = parseArgs(argv);
    expect(parsed.problems).toEqual([]);
    expect(parsed.values.get(path)).toEqual(value);
    expect(parsed.command).toBe('serve');
  });
});

describe('parseArgs: boolean flags', () => {
  it.each<Row>([
    [['--cors-allow-all'], 'cors.allowAll', true],
    [['-a'], 'cors.allowAll', true],
    [['--cors-allow-all=false'], 'cors.allowAll', false],
    [['--cors-allow-all', 'false'], 'cors.allowAll', false],
    [['-a', 'off'], 'cors.allowAll', false],
    [['-a=no'], 'cors.allowAll', false],
    [['--no-cors-allow-all'], 'cors.allowAll', false],
    [['--cors-allow-credentials'], 'cors.allowCredentials', true],
    [['-c', 'true'], 'cors.allowCredentials', true],
    [['--directory-listing'], 'directoryListing', true],
    [['--directory-listing', 'on'], 'directoryListing', true],
    [['--directory-listing=off'], 'directoryListing', false],
    [['--no-directory-listing'], 'directoryListing', false],
  ])('%j → %s = %j', (argv, path, value) => {
    const parsed = parseArgs(argv);
    expect(parsed.problems).toEqual([]);
    expect(parsed.values.get(path)).toBe(value);
  });

  it('a boolean flag does not swallow a following non-boolean argument', () => {
    const parsed = parseArgs(['-a', 'public']);
    expect(parsed.values.get('cors.allowAll')).toBe(true);
    expect(parsed.values.get('root')).toBe('public');
  });
});

describe('parseArgs: commands and positionals', () => {
  it.each<[string[], string]>([
    [[], 'serve'],
    [['check'], 'check'],
    [['check', '--config', 'x.toml'], 'check'],
    [['--help'], 'help'],
    [['-h'], 'help'],
    [['help'], 'help'],
    [['--version'], 'version'],
    [['-v'], 'version'],
    [['check', '--help'], 'help'],
  ])('%j → %s', (argv, command) => {
    expect(parseArgs(argv).command).toBe(command);
  });

  it('a positional is the root; -- ends flags', () => {
    expect(parseArgs(['dist']).values.get('root')).toBe('dist');
    expect(parseArgs(['--', '--weird-dir']).values.get('root')).toBe('--weird-dir');
  });

  it('list flags given twice accumulate', () => {
    expect(parseArgs(['-o', 'a', '-o', 'b,c']).values.get('cors.allowOrigins')).toEqual([
      'a',
      'b',
      'c',
    ]);
  });
});

describe('parseArgs: errors', () => {
  it.each<[string[], string, string, string | undefined]>([
    [['--prot', '80'], 'RWS_CLI_UNKNOWN_FLAG', '--prot', 'did you mean --port?'],
    [
      ['--cors-allow-orign=x'],
      'RWS_CLI_UNKNOWN_FLAG',
      '--cors-allow-orign',
      'did you mean --cors-allow-origins?',
    ],
    [['--tls-cert'], 'RWS_CLI_UNKNOWN_FLAG', '--tls-cert', 'did you mean --tls-cert-file?'],
    [['--zzzzzzzz'], 'RWS_CLI_UNKNOWN_FLAG', '--zzzzzzzz', 'see rws --help'],
    [['-x'], 'RWS_CLI_UNKNOWN_FLAG', '-x', 'see rws --help'],
    [['-port', '1'], 'RWS_CLI_UNKNOWN_FLAG', '-port', 'did you mean --port?'],
    [['--port'], 'RWS_CLI_MISSING_VALUE', '--port', 'e.g. --port=8080'],
    [['--port', '--ip', '::'], 'RWS_CLI_MISSING_VALUE', '--port', 'e.g. --port=8080'],
    [['--port', 'abc'], 'RWS_CLI_INVALID_VALUE', '--port', undefined],
    [['-p=70000'], 'RWS_CLI_INVALID_VALUE', '-p', undefined],
    [['--ip', 'not-an-ip'], 'RWS_CLI_INVALID_VALUE', '--ip', undefined],
    [['--log-format', 'xml'], 'RWS_CLI_INVALID_VALUE', '--log-format', undefined],
    [['--max-body-size', 'lots'], 'RWS_CLI_INVALID_VALUE', '--max-body-size', undefined],
    [['--workers', '0'], 'RWS_CLI_INVALID_VALUE', '--workers', undefined],
    [['--directory-listing=maybe'], 'RWS_CLI_INVALID_VALUE', '--directory-listing', undefined],
    [['--no-directory-listing=on'], 'RWS_CLI_INVALID_VALUE', '--no-directory-listing', undefined],
    [['--cors-max-age', '-5'], 'RWS_CLI_MISSING_VALUE', '--cors-max-age', 'e.g. --cors-max-age=60'],
    [['chekc'], 'RWS_CLI_UNEXPECTED_ARGUMENT', 'chekc', 'did you mean check?'],
    [['check', 'dist', 'extra'], 'RWS_CLI_UNEXPECTED_ARGUMENT', 'extra', undefined],
  ])('%j → %s', (argv, code, key, hint) => {
    const { problems } = parseArgs(argv);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatchObject({ code, key, source: 'flag' });
    if (hint !== undefined) expect(problems[0]!.hint).toBe(hint);
  });

  it('reports every bad flag at once', () => {
    const { problems } = parseArgs(['--prot', '1', '--ip', 'x', '--bogus']);
    expect(problems.map((p) => p.key)).toEqual(['--prot', '--ip', '--bogus']);
  });
});
