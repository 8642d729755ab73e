/**
 * `[acme]` settings: the TOML table, env and flags resolve into `config.acme`, bad values are
 * reported by key before anything listens, and the serve options turn TLS on with ACME
 * supplying the certificate (issue #22).
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig, toServeOptions } from '../src/index.js';
import { CWD, fsInput } from './helpers.js';

const FILE = `${CWD}/rws.config.toml`;

function resolveWith(toml: string, env: Record<string, string> = {}, argv: string[] = []) {
  return resolveConfig({ argv, env, cwd: CWD, ...fsInput({ files: { [FILE]: toml } }) });
}

describe('[acme] configuration', () => {
  it('reads the [acme] table, with paths relative to the file', () => {
    const r = resolveWith(
      [
        '[acme]',
        'domains = ["example.com", "www.example.com"]',
        'email = "ops@example.com"',
        'staging = true',
        'challenge_port = 8080',
        'renew_before_days = 20',
        'cert_path = "tls/cert.pem"',
        'key_path = "tls/key.pem"',
        'account_key_path = "acct.key"',
        '',
      ].join('\n'),
    );
    expect(r.problems).toEqual([]);
    expect(r.config.acme).toEqual({
      domains: ['example.com', 'www.example.com'],
      email: 'ops@example.com',
      staging: true,
      directory: null,
      certPath: `${CWD}/tls/cert.pem`,
      keyPath: `${CWD}/tls/key.pem`,
      challengePort: 8080,
      renewBeforeDays: 20,
      accountKeyPath: `${CWD}/acct.key`,
      storageDir: null,
      storage: null,
      challenges: [],
      dnsProvider: null,
      dnsServer: null,
      dnsZone: null,
      dnsTsigKeyName: null,
      dnsTsigSecret: null,
      dnsTsigAlgorithm: 'hmac-sha256',
    });
  });

  it('env beats the file, flags beat env', () => {
    const r = resolveWith(
      '[acme]\ndomains = ["file.example"]\nchallenge_port = 81\n',
      { RWS_CONFIG_ACME_DOMAINS: 'env.example', RWS_CONFIG_ACME_CHALLENGE_PORT: '82' },
      ['--acme-challenge-port', '83'],
    );
    expect(r.problems).toEqual([]);
    expect(r.config.acme.domains).toEqual(['env.example']);
    expect(r.config.acme.challengePort).toBe(83);
  });

  it('reports every bad value by key', () => {
    const r = resolveWith(
      [
        '[acme]',
        'domains = ["*.example.com", "bad name"]',
        'directory = "ftp://ca.example/dir"',
        'email = "nobody"',
        'cert_path = "c.pem"',
        'colour = "blue"',
        '',
      ].join('\n'),
    );
    const lines = r.problems.map((p) => `${p.key}: ${p.message}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^acme\.colour: unknown key/),
        expect.stringContaining('"*.example.com": wildcards need the DNS-01 challenge'),
        expect.stringContaining('"bad name" is not a DNS name'),
        expect.stringContaining('"ftp://ca.example/dir" is not an http(s) URL'),
        'acme.email: is not an email address',
        expect.stringContaining('cert_path and key_path go together'),
      ]),
    );
  });

  it('turns TLS on without certificate files, the challenge port as the redirect listener', () => {
    const r = resolveWith('[acme]\ndomains = ["example.com"]\n');
    expect(r.problems).toEqual([]);
    const options = toServeOptions(r.config);
    expect(options.tlsCertFile).toBeUndefined();
    expect(options.httpRedirectPort).toBe(80);
    expect(options.http2).toBe(true);
  });

  it('tls_cert_file without [acme] cert_path is where ACME writes: not required to exist yet', () => {
    const r = resolveWith(
      'tls_cert_file = "out/cert.pem"\ntls_key_file = "out/key.pem"\nhttp_redirect_port = 8080\n[acme]\ndomains = ["example.com"]\n',
    );
    expect(r.problems).toEqual([]);
    const options = toServeOptions(r.config);
    expect(options.tlsCertFile).toBeUndefined();
    expect(options.httpRedirectPort).toBe(8080);
  });

  it('[acme.storage]: a bucket whose keys are secret references, resolved (issue #22)', () => {
    const r = resolveWith(
      [
        '[acme]',
        'domains = ["example.com"]',
        'challenges = ["tls-alpn-01"]',
        '[acme.storage]',
        'driver = "s3"',
        'bucket = "certs"',
        'endpoint = "http://127.0.0.1:9000"',
        'prefix = "rws/acme"',
        'access_key_id = "env://ACME_KEY_ID"',
        'secret_access_key = "env://ACME_SECRET"',
        '',
      ].join('\n'),
      { ACME_KEY_ID: 'AKIDX', ACME_SECRET: 'the-secret' },
    );
    expect(r.problems).toEqual([]);
    expect(r.config.acme.challenges).toEqual(['tls-alpn-01']);
    expect(r.config.acme.storage).toEqual({
      driver: 's3',
      bucket: 'certs',
      endpoint: 'http://127.0.0.1:9000',
      region: null,
      forcePathStyle: null,
      prefix: 'rws/acme/',
      credentials: { accessKeyId: 'AKIDX', secretAccessKey: 'the-secret', sessionToken: null },
    });
  });

  it('[acme.storage]: a local root is relative to the file', () => {
    const r = resolveWith(
      '[acme]\ndomains = ["example.com"]\nstorage = { driver = "local", root = "certs" }\n',
    );
    expect(r.problems).toEqual([]);
    expect(r.config.acme.storage).toEqual({ driver: 'local', root: `${CWD}/certs`, prefix: '' });
  });

  it('[acme.storage]: every problem by key, a literal secret refused and never echoed', () => {
    const r = resolveWith(
      [
        '[acme]',
        'domains = ["example.com"]',
        'storage_dir = "state"',
        'challenges = ["dns-01"]',
        '[acme.storage]',
        'driver = "s3"',
        'buckt = "certs"',
        'access_key_id = "AKIDLITERAL"',
        'secret_access_key = "literal-secret-value"',
        '',
      ].join('\n'),
    );
    const lines = r.problems.map((p) => `${p.key}: ${p.message}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^acme\.storage: .*buckt: unknown key \(did you mean "bucket"\?\)/),
        expect.stringContaining('is missing bucket'),
        expect.stringContaining(
          'secret_access_key: must be a secret reference (env://NAME, file:///path',
        ),
      ]),
    );
    expect(lines.join('\n')).not.toContain('literal-secret-value');
    const ok = resolveWith(
      '[acme]\ndomains = ["example.com"]\nstorage_dir = "state"\nchallenges = ["dns-02"]\nstorage = { driver = "local", root = "." }\n',
    );
    expect(ok.problems.map((p) => `${p.key}: ${p.message}`)).toEqual([
      'acme.challenges: "dns-02" is not a challenge type rws answers (one of http-01, tls-alpn-01, dns-01)',
      'acme.storage_dir: is for the directory store; [acme.storage] keeps everything in its bucket',
    ]);
  });

  it('[acme.storage] is a table only: no flag or environment variable', () => {
    const r = resolveWith('[acme]\ndomains = ["example.com"]\nstorage = "s3://certs"\n');
    expect(r.problems.map((p) => `${p.key}: ${p.message}`)).toEqual([
      'acme.storage: must be a table ({ driver = "s3", bucket = "…" }), got a string',
    ]);
  });

  it('DNS-01 over RFC 2136: wildcards allowed with dns_provider, its keys checked', () => {
    const ok = resolveWith(
      [
        '[acme]',
        'domains = ["example.com", "*.example.com"]',
        'dns_provider = "rfc2136"',
        'dns_server = "ns1.example.com:53"',
        'dns_zone = "example.com"',
        'dns_tsig_key_name = "acme-update"',
        'dns_tsig_secret = "env://TSIG_SECRET"',
        '',
      ].join('\n'),
      { TSIG_SECRET: 'c2VjcmV0LWtleS1ieXRlcw==' },
    );
    expect(ok.problems).toEqual([]);
    expect(ok.config.acme).toMatchObject({
      dnsProvider: 'rfc2136',
      dnsTsigSecret: 'c2VjcmV0LWtleS1ieXRlcw==',
      dnsTsigAlgorithm: 'hmac-sha256',
    });
    const bad = resolveWith(
      [
        '[acme]',
        'domains = ["*.example.com"]',
        'challenges = ["dns-01"]',
        'dns_zone = "example.com"',
        '',
      ].join('\n'),
    );
    expect(bad.problems.map((p) => `${p.key}: ${p.message}`)).toEqual([
      'acme.domains: "*.example.com": wildcards need the DNS-01 challenge: set dns_provider (rfc2136) and its keys',
      'acme.challenges: dns-01 needs dns_provider (rfc2136) and its keys',
      'acme.dns_zone: dns_zone is for dns_provider = "rfc2136", which is not set',
    ]);
    const missing = resolveWith(
      '[acme]\ndomains = ["example.com"]\ndns_provider = "rfc2136"\ndns_tsig_secret = "not base64!"\n',
    );
    expect(missing.problems.map((p) => `${p.key}: ${p.message}`)).toEqual([
      'acme.dns_server: dns_provider = "rfc2136" needs dns_server',
      'acme.dns_zone: dns_provider = "rfc2136" needs dns_zone',
      'acme.dns_tsig_key_name: dns_provider = "rfc2136" needs dns_tsig_key_name',
      'acme.dns_tsig_secret: is not base64 (as tsig-keygen prints it)',
    ]);
  });
});
