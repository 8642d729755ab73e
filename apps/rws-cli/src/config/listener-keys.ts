/**
 * Keys of the listener: address and port, the served root, TLS, connection limits and the
 * health/metrics/admin endpoints (the first part of `CONFIG_KEYS`, in `--help` order).
 */
import type { KeyInit } from './config-key.js';

/** Listener, TLS, limit and endpoint keys, in `--help` order. */
export const LISTENER_KEYS: readonly KeyInit[] = [
  {
    path: 'ip',
    short: 'i',
    type: 'ip',
    default: '127.0.0.1',
    placeholder: '<address>',
    description: 'IP address to listen on (IPv6 allowed, e.g. ::).',
    isReloadable: false,
  },
  {
    path: 'port',
    short: 'p',
    type: 'port',
    default: 7878,
    placeholder: '<port>',
    description:
      'TCP port; 0 picks a free port. When no port is set and 7878 is busy, the next free one is used.',
    isReloadable: false,
  },
  {
    path: 'root',
    type: 'path',
    default: '.',
    placeholder: '<dir>',
    description: 'Directory served as static files (default: the current directory).',
    isReloadable: false,
  },
  {
    path: 'tlsCertFile',
    short: 's',
    type: 'path',
    default: null,
    placeholder: '<file>',
    description: 'PEM certificate chain; with --tls-key-file serves HTTPS (HTTP/1.1 and HTTP/2).',
    isReloadable: true,
  },
  {
    path: 'tlsKeyFile',
    short: 'k',
    type: 'path',
    default: null,
    placeholder: '<file>',
    description: 'PEM private key of --tls-cert-file.',
    isReloadable: true,
  },
  {
    path: 'tlsClientCaFile',
    type: 'path',
    default: null,
    placeholder: '<file>',
    description: 'PEM CA bundle; when set, clients must present a certificate it signed (mTLS).',
    isReloadable: true,
  },
  {
    path: 'httpRedirectPort',
    type: 'port',
    default: null,
    placeholder: '<port>',
    description: 'Also listen on this plain-HTTP port and redirect (301) to HTTPS.',
    isReloadable: false,
  },
  {
    path: 'tlsCiphers',
    type: 'string',
    default: null,
    placeholder: '<list>',
    description:
      'OpenSSL cipher list for TLS 1.2 (plus TLS_* 1.3 suites); default: Mozilla intermediate (ECDHE with AES-GCM/ChaCha20).',
    isReloadable: true,
  },
  {
    path: 'tlsMinVersion',
    type: 'enum',
    values: ['1.2', '1.3'],
    default: '1.2',
    placeholder: '<1.2|1.3>',
    description: 'Oldest TLS version accepted.',
    isReloadable: true,
  },
  {
    path: 'handshakeTimeoutMs',
    type: 'integer',
    default: 10_000,
    placeholder: '<ms>',
    description:
      'Time a TLS client has to send its first byte, and then to finish the handshake; 0 = no limit.',
    isReloadable: false,
  },
  {
    path: 'ocspStapling',
    type: 'boolean',
    default: true,
    placeholder: '[bool]',
    description:
      'Staple OCSP responses to TLS handshakes when a certificate names an OCSP responder (fetched in the background, refreshed before nextUpdate; a down responder never fails a handshake); --ocsp-stapling off turns it off.',
    isReloadable: false,
  },
  {
    path: 'http2',
    type: 'boolean',
    default: true,
    placeholder: '[bool]',
    description:
      'Serve HTTP/2 (ALPN h2) beside HTTP/1.1 on the TLS port, WebSockets included (RFC 8441 extended CONNECT); --http2 off (or --no-http2) serves HTTP/1.1 only. No effect without a certificate.',
    isReloadable: false,
  },
  {
    path: 'http3',
    type: 'boolean',
    default: true,
    placeholder: '[bool]',
    description:
      'Serve HTTP/3 (QUIC, ALPN h3) on UDP at the TLS port number, advertised with Alt-Svc; --http3 off (or --no-http3) turns it off. No effect without a certificate or with more than one worker.',
    isReloadable: false,
  },
  {
    path: 'hsts',
    type: 'string',
    default: null,
    placeholder: '<value>',
    description:
      'Strict-Transport-Security for TLS responses, e.g. max-age=31536000; default none (it would pin the name to HTTPS).',
    isReloadable: true,
  },
  {
    path: 'allowedHosts',
    type: 'list',
    default: [],
    placeholder: '<list>',
    description:
      'Host names answered besides loopback names (DNS rebinding guard; others get 421); *.example.com for subdomains; any = no check.',
    isReloadable: true,
  },
  {
    path: 'maxConnections',
    type: 'integer',
    default: null,
    placeholder: '<n>',
    description:
      'Open connections allowed; more are closed at once (default 80% of the open-file limit; 0 = no limit).',
    isReloadable: true,
  },
  {
    path: 'bodyTimeoutMs',
    type: 'integer',
    default: 60_000,
    placeholder: '<ms>',
    description:
      'Longest wait for the next bytes of a request body (408, or close); 0 = only the request timeout.',
    isReloadable: true,
  },
  {
    path: 'healthzPath',
    type: 'endpoint',
    default: null,
    placeholder: '<path|off>',
    description: 'Liveness endpoint on the main listener (default /healthz; off with --admin).',
    isReloadable: true,
  },
  {
    path: 'readyzPath',
    type: 'endpoint',
    default: null,
    placeholder: '<path|off>',
    description: 'Readiness endpoint on the main listener (default /readyz; off with --admin).',
    isReloadable: true,
  },
  {
    path: 'metricsPath',
    type: 'endpoint',
    default: null,
    placeholder: '<path|off>',
    description:
      'Prometheus metrics on the main listener (default /metrics on a loopback address, off otherwise and with --admin).',
    isReloadable: true,
  },
  {
    path: 'admin',
    // In the file it sits in the [admin] table beside the gateway's reload keys.
    toml: 'admin.listen',
    tomlAliases: [],
    type: 'address',
    default: null,
    placeholder: '<[host:]port>',
    description:
      'Separate listener for /healthz, /readyz and /metrics (host defaults to 127.0.0.1).',
    isReloadable: false,
  },
  {
    path: 'adminMcpToken',
    toml: 'admin.mcp_token',
    tomlAliases: [],
    type: 'string',
    default: null,
    placeholder: '<token>',
    description:
      'Serve an MCP endpoint at /mcp on the admin listener (tools: status, config, metrics, routes, upstream health, reload, maintenance mode), protected by this bearer token (16+ characters; use a reference such as env://RWS_ADMIN_TOKEN).',
    isReloadable: false,
  },
];
