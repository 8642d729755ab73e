import { describe, expect, it } from 'vitest';
import { parseToml } from '../src/index.js';

describe('parseToml: values', () => {
  it('reads every top-level key, the [cors] table and [[virtual_host]]', () => {
    const text = `
ip = "0.0.0.0"
port = 8443
root = "public"
tls_cert_file = "cert.pem"
tls_key_file = "key.pem"
tls_client_ca_file = "ca.pem"
http_redirect_port = 8080
max_body_size = "10mb"
log_format = "combined"
spa_fallback = "index.html"
spa_fallback_exclude_prefixes = ["/api", "/auth"]
directory_listing = "off"
workers = "auto"

[cors]
allow_all = false
allow_origins = ["https://a.example"]
allow_methods = "GET,POST"
allow_headers = ["x-a"]
allow_credentials = true
expose_headers = ["x-total"]
max_age = 600

[[virtual_host]]
domain = "a.example"
cert_file = "a.crt"
key_file = "a.key"

[[virtual_host]]
domain = "b.example"
cert_file = "b.crt"
key_file = "b.key"
`;
    const parsed = parseToml(text, 'rws.config.toml');
    expect(parsed.problems).toEqual([]);
    expect(parsed.warnings).toEqual([]);
    expect(Object.fromEntries(parsed.values)).toEqual({
      ip: '0.0.0.0',
      port: 8443,
      root: 'public',
      tlsCertFile: 'cert.pem',
      tlsKeyFile: 'key.pem',
      tlsClientCaFile: 'ca.pem',
      httpRedirectPort: 8080,
      maxBodySize: 10 * 1024 * 1024,
      logFormat: 'combined',
      spaFallback: 'index.html',
      spaFallbackExcludePrefixes: ['/api', '/auth'],
      directoryListing: false,
      workers: 'auto',
      'cors.allowAll': false,
      'cors.allowOrigins': ['https://a.example'],
      'cors.allowMethods': ['GET', 'POST'],
      'cors.allowHeaders': ['x-a'],
      'cors.allowCredentials': true,
      'cors.exposeHeaders': ['x-total'],
      'cors.maxAge': 600,
      virtualHosts: [
        { domain: 'a.example', certFile: 'a.crt', keyFile: 'a.key' },
        { domain: 'b.example', certFile: 'b.crt', keyFile: 'b.key' },
      ],
    });
    expect(parsed.proxy).toBeNull();
  });

  it('accepts the flat cors_* forms of the reference; [cors] wins over them', () => {
    const parsed = parseToml(
      'cors_allow_all = false\ncors_max_age = 5\ncors_allow_origins = "a,b"\n[cors]\nmax_age = 7\n',
      'f.toml',
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.values.get('cors.allowAll')).toBe(false);
    expect(parsed.values.get('cors.allowOrigins')).toEqual(['a', 'b']);
    expect(parsed.values.get('cors.maxAge')).toBe(7);
  });

  it('passes [[route]] / [[upstream]] on as proxy data, validated by @rws/proxy (issue #10)', () => {
    const text = `port = 1
[[upstream]]
name = "api"
backends = ["10.0.0.1:80"]

[[route]]
[route.match]
path = "/v1/*"
[route.action]
type = "proxy"
upstream = "api"
`;
    const parsed = parseToml(text, 'f.toml');
    expect(parsed.problems).toEqual([]);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.proxy).toEqual({
      upstream: [{ name: 'api', backends: ['10.0.0.1:80'] }],
      route: [{ match: { path: '/v1/*' }, action: { type: 'proxy', upstream: 'api' } }],
    });
    const bad = parseToml(text.replace('upstream = "api"', 'upstream = "apii"'), 'f.toml');
    expect(bad.problems.map((p) => [p.code, p.key, p.line, p.hint])).toEqual([
      ['RWS_PROXY_CONFIG_UNKNOWN_UPSTREAM', 'route[0].action.upstream', 11, 'did you mean "api"?'],
    ]);
  });

  it('warns about the reference keys rws ignores', () => {
    const parsed = parseToml('thread_count = 200\n', 'f.toml');
    expect(parsed.problems).toEqual([]);
    expect(parsed.warnings).toMatchObject([{ key: 'thread_count', line: 1 }]);
  });
});

describe('parseToml: every error kind, with key path and line', () => {
  it('reports every problem at once', () => {
    const text = `# rws config
ip = "0.0.0.0"
prot = 8080
port = 70000
log_format = "xml"
max_body_size = "lots"
workers = 0
directory_listing = "maybe"
spa_fallback = 3

[cors]
allow_al = true
max_age = -1
allow_origins = [1, 2]

[[virtual_host]]
domain = "a.example"
cert_fil = "a.crt"

[acme]
domain = ["x"]
challenge_port = 70000
`;
    const { problems } = parseToml(text, 'rws.config.toml');
    const rows = problems.map((p) => [p.code, p.key, p.line, p.hint ?? null]);
    expect(rows).toEqual([
      ['RWS_CLI_UNKNOWN_KEY', 'prot', 3, 'did you mean "port"?'],
      ['RWS_CLI_INVALID_VALUE', 'port', 4, null],
      ['RWS_CLI_INVALID_VALUE', 'log_format', 5, null],
      ['RWS_CLI_INVALID_VALUE', 'max_body_size', 6, null],
      ['RWS_CLI_INVALID_VALUE', 'workers', 7, null],
      ['RWS_CLI_INVALID_VALUE', 'directory_listing', 8, null],
      ['RWS_CLI_INVALID_VALUE', 'spa_fallback', 9, null],
      ['RWS_CLI_UNKNOWN_KEY', 'cors.allow_al', 12, 'did you mean "allow_all"?'],
      ['RWS_CLI_INVALID_VALUE', 'cors.max_age', 13, null],
      ['RWS_CLI_INVALID_VALUE', 'cors.allow_origins', 14, null],
      ['RWS_CLI_UNKNOWN_KEY', 'virtual_host[0].cert_fil', 18, 'did you mean "cert_file"?'],
      ['RWS_CLI_MISSING_VALUE', 'virtual_host[0]', 16, null],
      ['RWS_CLI_MISSING_VALUE', 'virtual_host[0]', 16, null],
      ['RWS_CLI_UNKNOWN_KEY', 'acme.domain', 21, 'did you mean "domains"?'],
      ['RWS_CLI_INVALID_VALUE', 'acme.challenge_port', 22, null],
    ]);
    expect(problems.every((p) => p.source === 'file' && p.file === 'rws.config.toml')).toBe(true);
    expect(problems[1]!.message).toBe('must be a port number from 0 to 65535, got 70000');
    expect(problems[2]!.message).toBe('must be one of auto, json, combined, pretty, got "xml"');
  });

  it('finds the line of the second [[virtual_host]]', () => {
    const text =
      '[[virtual_host]]\ndomain="a"\ncert_file="a"\nkey_file="a"\n\n[[virtual_host]]\ndomain="b"\ncert_file=1\nkey_file="b"\n';
    const { problems } = parseToml(text, 'f.toml');
    expect(problems).toMatchObject([{ key: 'virtual_host[1].cert_file', line: 8 }]);
  });

  it('wrong table shapes', () => {
    const { problems } = parseToml('cors = 1\nvirtual_host = "x"\n', 'f.toml');
    expect(problems.map((p) => [p.key, p.line, p.code])).toEqual([
      ['cors', 1, 'RWS_CLI_INVALID_VALUE'],
      ['virtual_host', 2, 'RWS_CLI_INVALID_VALUE'],
    ]);
  });

  it('TOML syntax errors carry the line', () => {
    const { problems } = parseToml('port = 1\nip = "unterminated\n', 'f.toml');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'RWS_CLI_TOML_SYNTAX', line: 2, file: 'f.toml' });
  });

  it('inline tables report the line of their parent key', () => {
    const { problems } = parseToml('ip = "::"\ncors = { allow_al = true }\n', 'f.toml');
    expect(problems).toMatchObject([
      { key: 'cors.allow_al', line: 2, hint: 'did you mean "allow_all"?' },
    ]);
  });

  it('port 0 ("any") is allowed', () => {
    expect(parseToml('port = 0\n', 'f.toml').problems).toEqual([]);
  });
});
