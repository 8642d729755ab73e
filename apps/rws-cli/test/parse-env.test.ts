import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, parseEnv } from '../src/index.js';

describe('parseEnv', () => {
  it.each<[string, string, string, unknown]>([
    ['RWS_CONFIG_IP', '::', 'ip', '::'],
    ['RWS_CONFIG_PORT', '9000', 'port', 9000],
    ['RWS_CONFIG_ROOT', '/var/www', 'root', '/var/www'],
    ['RWS_CONFIG_TLS_CERT_FILE', 'c.pem', 'tlsCertFile', 'c.pem'],
    ['RWS_CONFIG_TLS_KEY_FILE', 'k.pem', 'tlsKeyFile', 'k.pem'],
    ['RWS_CONFIG_TLS_CLIENT_CA_FILE', 'ca.pem', 'tlsClientCaFile', 'ca.pem'],
    ['RWS_CONFIG_HTTP_REDIRECT_PORT', '8080', 'httpRedirectPort', 8080],
    [
      'RWS_CONFIG_TLS_CIPHERS',
      'ECDHE-RSA-AES128-GCM-SHA256',
      'tlsCiphers',
      'ECDHE-RSA-AES128-GCM-SHA256',
    ],
    ['RWS_CONFIG_TLS_MIN_VERSION', '1.3', 'tlsMinVersion', '1.3'],
    ['RWS_CONFIG_HANDSHAKE_TIMEOUT_MS', '5000', 'handshakeTimeoutMs', 5000],
    ['RWS_CONFIG_HSTS', 'max-age=60', 'hsts', 'max-age=60'],
    ['RWS_CONFIG_OCSP_STAPLING', 'off', 'ocspStapling', false],
    ['RWS_CONFIG_HTTP2', 'off', 'http2', false],
    ['RWS_CONFIG_HTTP3', 'off', 'http3', false],
    ['RWS_CONFIG_ALLOWED_HOSTS', 'a.test,*.b.test', 'allowedHosts', ['a.test', '*.b.test']],
    ['RWS_CONFIG_MAX_CONNECTIONS', '100', 'maxConnections', 100],
    ['RWS_CONFIG_BODY_TIMEOUT_MS', '30000', 'bodyTimeoutMs', 30000],
    ['RWS_CONFIG_HEALTHZ_PATH', '/_/health', 'healthzPath', '/_/health'],
    ['RWS_CONFIG_READYZ_PATH', 'off', 'readyzPath', false],
    ['RWS_CONFIG_METRICS_PATH', '/_/metrics', 'metricsPath', '/_/metrics'],
    ['RWS_CONFIG_ADMIN', '[::1]:9100', 'admin', { host: '::1', port: 9100 }],
    ['RWS_CONFIG_ADMIN_MCP_TOKEN', 'a-long-enough-token', 'adminMcpToken', 'a-long-enough-token'],
    ['RWS_CONFIG_CORS_ALLOW_ALL', 'false', 'cors.allowAll', false],
    [
      'RWS_CONFIG_CORS_ALLOW_ORIGINS',
      'https://a,https://b',
      'cors.allowOrigins',
      ['https://a', 'https://b'],
    ],
    ['RWS_CONFIG_CORS_ALLOW_METHODS', 'GET', 'cors.allowMethods', ['GET']],
    ['RWS_CONFIG_CORS_ALLOW_HEADERS', 'x-a', 'cors.allowHeaders', ['x-a']],
    ['RWS_CONFIG_CORS_ALLOW_CREDENTIALS', 'true', 'cors.allowCredentials', true],
    ['RWS_CONFIG_CORS_EXPOSE_HEADERS', 'x-b', 'cors.exposeHeaders', ['x-b']],
    ['RWS_CONFIG_CORS_MAX_AGE', '5', 'cors.maxAge', 5],
    ['RWS_CONFIG_MAX_BODY_SIZE', '1k', 'maxBodySize', 1024],
    ['RWS_CONFIG_MAX_BODY_SIZE_IN_BYTES', '2048', 'maxBodySize', 2048],
    ['RWS_CONFIG_LOG_FORMAT', 'pretty', 'logFormat', 'pretty'],
    ['RWS_CONFIG_ACCESS_LOG', 'off', 'accessLog', 'off'],
    ['RWS_CONFIG_SPA_FALLBACK', 'index.html', 'spaFallback', 'index.html'],
    ['RWS_CONFIG_SPA_FALLBACK_EXCLUDE_PREFIXES', '/api', 'spaFallbackExcludePrefixes', ['/api']],
    ['RWS_CONFIG_DIRECTORY_LISTING', 'off', 'directoryListing', false],
    ['RWS_CONFIG_WORKERS', '4', 'workers', 4],
    ['RWS_CONFIG_CACHE_MAX_AGE', '3600', 'cacheMaxAge', 3600],
    ['RWS_CONFIG_CACHE_IMMUTABLE', 'on', 'cacheImmutable', true],
    ['RWS_CONFIG_DOTFILES', 'deny', 'dotfiles', 'deny'],
    ['RWS_CONFIG_COMPRESSION', 'off', 'compression', false],
    [
      'RWS_CONFIG_HEADERS',
      'X-Frame-Options: DENY\nPermissions-Policy: camera=(), geolocation=()\n',
      'headers',
      { 'X-Frame-Options': 'DENY', 'Permissions-Policy': 'camera=(), geolocation=()' },
    ],
    ['RWS_CONFIG_BASIC_AUTH', 'alice:pa:ss\nbob:x\n', 'basicAuth', { alice: 'pa:ss', bob: 'x' }],
    ['RWS_CONFIG_BASIC_AUTH_FILE', 'users.htpasswd', 'basicAuthFile', 'users.htpasswd'],
    ['RWS_CONFIG_BASIC_AUTH_REALM', 'team', 'basicAuthRealm', 'team'],
    ['RWS_CONFIG_SHUTDOWN_GRACE_MS', '500', 'shutdownGraceMs', 500],
    ['RWS_CONFIG_OPEN', 'true', 'open', true],
    ['RWS_CONFIG_FILE', 'x.toml', 'configFile', 'x.toml'],
    ['RWS_CONFIG_ACME_DOMAINS', 'a.test,b.test', 'acme.domains', ['a.test', 'b.test']],
    ['RWS_CONFIG_ACME_EMAIL', 'ops@a.test', 'acme.email', 'ops@a.test'],
    ['RWS_CONFIG_ACME_STAGING', 'true', 'acme.staging', true],
    ['RWS_CONFIG_ACME_DIRECTORY', 'https://ca.test/dir', 'acme.directory', 'https://ca.test/dir'],
    ['RWS_CONFIG_ACME_CERT_PATH', 'c.pem', 'acme.certPath', 'c.pem'],
    ['RWS_CONFIG_ACME_KEY_PATH', 'k.pem', 'acme.keyPath', 'k.pem'],
    ['RWS_CONFIG_ACME_CHALLENGE_PORT', '8080', 'acme.challengePort', 8080],
    ['RWS_CONFIG_ACME_RENEW_BEFORE_DAYS', '20', 'acme.renewBeforeDays', 20],
    ['RWS_CONFIG_ACME_ACCOUNT_KEY_PATH', 'acct.key', 'acme.accountKeyPath', 'acct.key'],
    ['RWS_CONFIG_ACME_STORAGE_DIR', '/var/lib/rws', 'acme.storageDir', '/var/lib/rws'],
    ['RWS_CONFIG_ACME_CHALLENGES', 'tls-alpn-01', 'acme.challenges', ['tls-alpn-01']],
    ['RWS_CONFIG_ACME_DNS_PROVIDER', 'rfc2136', 'acme.dnsProvider', 'rfc2136'],
    ['RWS_CONFIG_ACME_DNS_SERVER', 'ns1.example:53', 'acme.dnsServer', 'ns1.example:53'],
    ['RWS_CONFIG_ACME_DNS_ZONE', 'example.com', 'acme.dnsZone', 'example.com'],
    ['RWS_CONFIG_ACME_DNS_TSIG_KEY_NAME', 'acme', 'acme.dnsTsigKeyName', 'acme'],
    ['RWS_CONFIG_ACME_DNS_TSIG_SECRET', 'c2VjcmV0', 'acme.dnsTsigSecret', 'c2VjcmV0'],
    ['RWS_CONFIG_ACME_DNS_TSIG_ALGORITHM', 'hmac-sha512', 'acme.dnsTsigAlgorithm', 'hmac-sha512'],
  ])('%s=%s → %s', (name, raw, path, value) => {
    const parsed = parseEnv({ [name]: raw });
    expect(parsed.problems).toEqual([]);
    expect(parsed.values.get(path)).toEqual(value);
  });

  it('every key that has an env var is covered above', () => {
    const names = CONFIG_KEYS.map((k) => k.env).filter((e) => e !== null && !e.includes('{N}'));
    expect(names.length).toBe(64);
  });

  it('reads virtual hosts until the first missing DOMAIN', () => {
    const parsed = parseEnv({
      RWS_CONFIG_VIRTUAL_HOST_0_DOMAIN: 'a.example',
      RWS_CONFIG_VIRTUAL_HOST_0_CERT_FILE: 'a.crt',
      RWS_CONFIG_VIRTUAL_HOST_0_KEY_FILE: 'a.key',
      RWS_CONFIG_VIRTUAL_HOST_1_DOMAIN: 'b.example',
      RWS_CONFIG_VIRTUAL_HOST_1_CERT_FILE: 'b.crt',
      RWS_CONFIG_VIRTUAL_HOST_1_KEY_FILE: 'b.key',
      RWS_CONFIG_VIRTUAL_HOST_3_DOMAIN: 'skipped.example',
    });
    expect(parsed.problems).toEqual([]);
    expect(parsed.values.get('virtualHosts')).toEqual([
      { domain: 'a.example', certFile: 'a.crt', keyFile: 'a.key' },
      { domain: 'b.example', certFile: 'b.crt', keyFile: 'b.key' },
    ]);
  });

  it('a virtual host without its files is a problem', () => {
    const parsed = parseEnv({ RWS_CONFIG_VIRTUAL_HOST_0_DOMAIN: 'a.example' });
    expect(parsed.problems.map((p) => p.key)).toEqual([
      'RWS_CONFIG_VIRTUAL_HOST_0_CERT_FILE',
      'RWS_CONFIG_VIRTUAL_HOST_0_KEY_FILE',
    ]);
  });

  it('bad values are problems; empty values are unset; unknown RWS_CONFIG_* warn', () => {
    const parsed = parseEnv({
      RWS_CONFIG_PORT: 'eighty',
      RWS_CONFIG_IP: '',
      RWS_CONFIG_PROT: '1',
      HOME: '/root',
    });
    expect(parsed.problems).toMatchObject([
      { code: 'RWS_CLI_INVALID_VALUE', source: 'env', key: 'RWS_CONFIG_PORT' },
    ]);
    expect(parsed.values.has('ip')).toBe(false);
    expect(parsed.warnings).toMatchObject([
      { key: 'RWS_CONFIG_PROT', hint: 'did you mean RWS_CONFIG_PORT?' },
    ]);
  });
});
