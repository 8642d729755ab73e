import type { HealthOptions, ServeOptions } from '@rws/server';
import { isAcmeOn, isTlsFromAcme } from './acme.js';
import type { ServerConfig } from './config/server-config.js';

/**
 * The `@rws/server` options of a configuration: listener, TLS (certificate, SNI virtual
 * hosts, mTLS CA, ciphers, handshake timeout), the HTTP→HTTPS redirect listener, HSTS, the
 * Host check, health endpoints and the admin listener, limits and workers. Hooks (signals,
 * reload, errors, log lines) are added by `startServer`.
 */
export function toServeOptions(config: ServerConfig): ServeOptions {
  const options: ServeOptions = {
    host: config.ip,
    port: config.port,
    workers: config.workers,
    graceMs: config.shutdownGraceMs,
    limits: {
      // 0 means "no global cap" in rws; the transport reads 0 literally (every body too
      // large), so pass the largest exact integer instead.
      maxBodyBytes: config.maxBodySize === 0 ? Number.MAX_SAFE_INTEGER : config.maxBodySize,
      bodyTimeoutMs: config.bodyTimeoutMs,
    },
    handshakeTimeoutMs: config.handshakeTimeoutMs,
  };
  // null: the server's default (80% of the open-file limit).
  if (config.maxConnections !== null && options.limits !== undefined) {
    options.limits.maxConnections = config.maxConnections;
  }
  if (config.allowedHosts.length > 0) {
    options.allowedHosts = config.allowedHosts.some((h) => h.toLowerCase() === 'any')
      ? 'any'
      : config.allowedHosts;
  }
  if (config.admin !== null) options.admin = { host: config.admin.host, port: config.admin.port };
  // Only the paths that were set: the server picks the defaults (and turns them off when an
  // admin listener serves them instead).
  const health: HealthOptions = {};
  if (config.healthzPath !== null) health.healthz = config.healthzPath;
  if (config.readyzPath !== null) health.readyz = config.readyzPath;
  if (config.metricsPath !== null) health.metrics = config.metricsPath;
  if (Object.keys(health).length > 0) options.health = health;
  const hasFiles = config.tlsCertFile !== null && config.tlsKeyFile !== null;
  if (hasFiles || isAcmeOn(config)) {
    // With ACME writing tls_cert_file itself, the server takes the certificate from ACME.
    if (hasFiles && !isTlsFromAcme(config)) {
      options.tlsCertFile = config.tlsCertFile ?? undefined;
      options.tlsKeyFile = config.tlsKeyFile ?? undefined;
    }
    if (config.tlsClientCaFile !== null) options.tlsClientCaFile = config.tlsClientCaFile;
    if (config.virtualHosts.length > 0) {
      options.virtualHosts = config.virtualHosts.map((h) => ({
        domain: h.domain,
        certFile: h.certFile,
        keyFile: h.keyFile,
      }));
    }
    // Without TLS the redirect port has nothing to redirect to (the resolver warns).
    if (config.httpRedirectPort !== null) options.httpRedirectPort = config.httpRedirectPort;
    if (config.tlsCiphers !== null) options.tlsCiphers = config.tlsCiphers;
    options.tlsMinVersion = config.tlsMinVersion === '1.3' ? 'TLSv1.3' : 'TLSv1.2';
    if (config.hsts !== null) options.hsts = config.hsts;
    options.http2 = config.http2;
    // RFC 8441 extended CONNECT, so browsers open WebSockets as streams of their HTTP/2
    // connection instead of a separate HTTP/1.1 one. On whenever HTTP/2 is (as Caddy does):
    // the gateway's proxy carries the HTTP/2 form to HTTP/1.1 WebSocket backends, and a
    // handler without WebSocket routes refuses it just as it refuses an HTTP/1.1 Upgrade.
    options.enableConnectProtocol = config.http2;
    options.ocspStapling = config.ocspStapling;
    // The challenge port is the plain-HTTP listener: HTTP-01 answers, redirects for the rest.
    if (isAcmeOn(config)) {
      options.httpRedirectPort = config.httpRedirectPort ?? config.acme.challengePort;
    }
    // Workers would share the UDP port without routing by connection ID (planned). With ACME,
    // HTTP/3 serves the certificate ACME keeps (and each renewal) as HTTPS does.
    if (config.workers === 1) options.http3 = config.http3;
  }
  return options;
}
