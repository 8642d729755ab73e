import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  defaultConfig,
  formatProblem,
  loadConfig,
  resolveConfig,
} from '../src/index.js';
import { CWD, fsInput } from './helpers.js';

const FILE = `${CWD}/rws.config.toml`;

describe('resolveConfig: defaults', () => {
  it('no flags, no env, no file → the defaults, root = cwd', () => {
    const r = resolveConfig({ argv: [], env: {}, cwd: CWD, ...fsInput() });
    expect(r.problems).toEqual([]);
    expect(r.config).toEqual(defaultConfig(CWD));
    expect(r.config).toMatchObject({
      ip: '127.0.0.1',
      port: 7878,
      root: CWD,
      logFormat: 'auto',
      directoryListing: true,
      workers: 1,
      maxBodySize: 0,
      configFile: null,
      proxy: null,
      cors: { allowAll: false, maxAge: 86400, allowOrigins: [] },
    });
  });
});

describe('resolveConfig: precedence flags > env > file > defaults', () => {
  const files = {
    [FILE]: 'port = 1000\nip = "0.0.0.0"\nlog_format = "combined"\n[cors]\nmax_age = 1\n',
  };

  it.each<[string, string[], Record<string, string>, number]>([
    ['file only', [], {}, 1000],
    ['env beats file', [], { RWS_CONFIG_PORT: '2000' }, 2000],
    ['flag beats env and file', ['--port', '3000'], { RWS_CONFIG_PORT: '2000' }, 3000],
  ])('%s', (_name, argv, env, port) => {
    const r = resolveConfig({ argv, env, cwd: CWD, ...fsInput({ files }) });
    expect(r.problems).toEqual([]);
    expect(r.config.port).toBe(port);
    expect(r.config.ip).toBe('0.0.0.0');
    expect(r.config.configFile).toBe(FILE);
  });

  it('each layer sets only what it names', () => {
    const r = resolveConfig({
      argv: ['--cors-max-age=3'],
      env: { RWS_CONFIG_LOG_FORMAT: 'pretty' },
      cwd: CWD,
      ...fsInput({ files }),
    });
    expect(r.config.cors.maxAge).toBe(3);
    expect(r.config.logFormat).toBe('pretty');
    expect(r.config.port).toBe(1000);
    expect(r.config.cors.allowAll).toBe(false);
  });

  it('--config beats RWS_CONFIG_FILE beats ./rws.config.toml', () => {
    const all = {
      [FILE]: 'port = 1\n',
      [`${CWD}/env.toml`]: 'port = 2\n',
      '/etc/rws/flag.toml': 'port = 3\n',
    };
    const base = { cwd: CWD, ...fsInput({ files: all }) };
    expect(resolveConfig({ ...base, argv: [], env: {} }).config.port).toBe(1);
    expect(
      resolveConfig({ ...base, argv: [], env: { RWS_CONFIG_FILE: 'env.toml' } }).config.port,
    ).toBe(2);
    expect(
      resolveConfig({
        ...base,
        argv: ['--config', '/etc/rws/flag.toml'],
        env: { RWS_CONFIG_FILE: 'env.toml' },
      }).config.port,
    ).toBe(3);
  });

  it('relative paths: flags and env against cwd, file values against the file', () => {
    const files = {
      '/etc/rws/rws.toml': 'root = "www"\n',
      '/etc/rws/c.pem': 'x',
      '/etc/rws/k.pem': 'x',
    };
    const r = resolveConfig({
      argv: ['--config', '/etc/rws/rws.toml', '--tls-key-file', '../../etc/rws/k.pem'],
      env: { RWS_CONFIG_TLS_CERT_FILE: '/etc/rws/c.pem' },
      cwd: CWD,
      ...fsInput({ files, dirs: ['/etc/rws/www'] }),
    });
    expect(r.problems).toEqual([]);
    expect(r.config.root).toBe('/etc/rws/www');
    expect(r.config.tlsKeyFile).toBe('/etc/rws/k.pem');
    expect(r.config.tlsCertFile).toBe('/etc/rws/c.pem');
  });
});

describe('resolveConfig: cross-checks', () => {
  it('an explicit config file that does not exist', () => {
    const r = resolveConfig({ argv: ['--config', 'nope.toml'], env: {}, cwd: CWD, ...fsInput() });
    expect(r.problems).toMatchObject([{ code: 'RWS_CLI_CONFIG_NOT_FOUND', key: '--config' }]);
    const e = resolveConfig({
      argv: [],
      env: { RWS_CONFIG_FILE: 'nope.toml' },
      cwd: CWD,
      ...fsInput(),
    });
    expect(e.problems).toMatchObject([
      { code: 'RWS_CLI_CONFIG_NOT_FOUND', key: 'RWS_CONFIG_FILE' },
    ]);
  });

  it('cert without key (and key without cert), with the source of the value', () => {
    const files = { [FILE]: 'ip = "::"\ntls_cert_file = "c.pem"\n', [`${CWD}/c.pem`]: 'x' };
    const r = resolveConfig({ argv: [], env: {}, cwd: CWD, ...fsInput({ files }) });
    expect(r.problems).toMatchObject([
      {
        code: 'RWS_CLI_TLS_PAIR_INCOMPLETE',
        key: 'tls_cert_file',
        line: 2,
        file: 'rws.config.toml',
      },
    ]);
    const k = resolveConfig({
      argv: ['-k', 'k.pem'],
      env: {},
      cwd: CWD,
      ...fsInput({ files: { [`${CWD}/k.pem`]: 'x' } }),
    });
    expect(k.problems).toMatchObject([
      { code: 'RWS_CLI_TLS_PAIR_INCOMPLETE', key: '--tls-key-file', source: 'flag' },
    ]);
  });

  it('missing referenced files: certs, CA, virtual host files, root', () => {
    const files = {
      [FILE]: `tls_cert_file = "c.pem"
tls_key_file = "k.pem"
tls_client_ca_file = "ca.pem"
root = "missing-dir"
[[virtual_host]]
domain = "a.example"
cert_file = "a.crt"
key_file = "a.key"
`,
    };
    const r = resolveConfig({ argv: [], env: {}, cwd: CWD, ...fsInput({ files }) });
    expect(r.problems.map((p) => [p.code, p.key, p.line])).toEqual([
      ['RWS_CLI_FILE_NOT_FOUND', 'tls_cert_file', 1],
      ['RWS_CLI_FILE_NOT_FOUND', 'tls_key_file', 2],
      ['RWS_CLI_FILE_NOT_FOUND', 'tls_client_ca_file', 3],
      ['RWS_CLI_FILE_NOT_FOUND', 'virtual_host[0].cert_file', 5],
      ['RWS_CLI_FILE_NOT_FOUND', 'virtual_host[0].key_file', 5],
      ['RWS_CLI_FILE_NOT_FOUND', 'root', 4],
    ]);
    expect(r.problems[0]!.message).toBe(`file not found: ${CWD}/c.pem`);
  });

  it('mTLS without TLS; redirect port equal to port; warnings for no-op settings', () => {
    const files = { [`${CWD}/ca.pem`]: 'x', [`${CWD}/c.pem`]: 'x', [`${CWD}/k.pem`]: 'x' };
    const r = resolveConfig({
      argv: ['--tls-client-ca-file', 'ca.pem', '--http-redirect-port', '80'],
      env: {},
      cwd: CWD,
      ...fsInput({ files }),
    });
    expect(r.problems).toMatchObject([
      { code: 'RWS_CLI_TLS_PAIR_INCOMPLETE', key: '--tls-client-ca-file' },
    ]);
    expect(r.warnings).toMatchObject([
      { key: '--http-redirect-port', message: 'has no effect without TLS' },
    ]);
    const same = resolveConfig({
      argv: ['-s', 'c.pem', '-k', 'k.pem', '-p', '8443', '--http-redirect-port', '8443'],
      env: {},
      cwd: CWD,
      ...fsInput({ files }),
    });
    expect(same.problems).toMatchObject([
      { code: 'RWS_CLI_INVALID_VALUE', key: '--http-redirect-port' },
    ]);
  });

  it('collects problems from every layer at once', () => {
    const files = { [FILE]: 'prot = 1\n' };
    const r = resolveConfig({
      argv: ['--bogus'],
      env: { RWS_CONFIG_PORT: 'x' },
      cwd: CWD,
      ...fsInput({ files }),
    });
    expect(r.isUsageError).toBe(true);
    expect(r.problems.map((p) => p.source)).toEqual(['flag', 'env', 'file']);
  });

  it('loadConfig throws a ConfigError listing every problem', () => {
    try {
      loadConfig({ argv: ['-p', 'x'], env: { RWS_CONFIG_IP: 'y' }, cwd: CWD, ...fsInput() });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.code).toBe('RWS_CLI_INVALID_CONFIG');
      expect(e.problems).toHaveLength(2);
      expect(e.message).toContain('configuration has 2 problems');
    }
  });

  it('gateway tables are validated by @rws/proxy, with key path and line (issue #10)', () => {
    const bad = { [FILE]: 'port = 8080\n[[route]]\n[route.match]\npath = "/*"\n' };
    const r = resolveConfig({ argv: [], env: {}, cwd: CWD, ...fsInput({ files: bad }) });
    expect(r.problems.map(formatProblem)).toEqual([
      'rws.config.toml:2: route[0]: is missing [route.action]',
    ]);
    expect(r.problems[0]?.code).toBe('RWS_PROXY_CONFIG_MISSING_VALUE');
    const good = {
      [FILE]: '[[route]]\n[route.match]\npath = "/*"\n[route.action]\ntype = "respond"\n',
    };
    const ok = resolveConfig({ argv: [], env: {}, cwd: CWD, ...fsInput({ files: good }) });
    expect(ok.problems).toEqual([]);
    expect(ok.warnings).toEqual([]);
    expect(ok.config.proxy).toEqual({
      route: [{ match: { path: '/*' }, action: { type: 'respond' } }],
    });
    expect(ok.config.isRootSet).toBe(false);
  });
});

describe('resolveConfig: [admin] mcp_token (issue #19)', () => {
  const resolveWith = (toml: string, env: Record<string, string> = {}) =>
    resolveConfig({ argv: [], env, cwd: CWD, ...fsInput({ files: { [FILE]: toml } }) });

  it('takes a token from a secret reference, next to the admin listener', () => {
    const r = resolveWith('[admin]\nlisten = "9100"\nmcp_token = "env://ADMIN_TOKEN"\n', {
      ADMIN_TOKEN: 'a-long-enough-token',
    });
    expect(r.problems).toEqual([]);
    expect(r.config.adminMcpToken).toBe('a-long-enough-token');
  });

  it('refuses a token without the admin listener, and a short one', () => {
    const alone = resolveWith('[admin]\nmcp_token = "a-long-enough-token"\n');
    expect(alone.problems.map(formatProblem)).toEqual([
      expect.stringContaining('needs the admin listener'),
    ]);
    const short = resolveWith('[admin]\nlisten = "9100"\nmcp_token = "short"\n');
    expect(short.problems.map(formatProblem)).toEqual([
      expect.stringContaining('must be at least 16 characters'),
    ]);
  });
});
