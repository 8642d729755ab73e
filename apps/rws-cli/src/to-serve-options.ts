import type { ServeOptions } from '@rws/server';
import type { ServerConfig } from './config/schema.js';

/**
 * The `@rws/server` options of a configuration: listener, TLS (certificate, SNI virtual
 * hosts, mTLS CA), the HTTP→HTTPS redirect listener, the body limit and workers. Hooks
 * (signals, reload, errors) are added by `startServer`.
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
    },
  };
  if (config.tlsCertFile !== null && config.tlsKeyFile !== null) {
    options.tlsCertFile = config.tlsCertFile;
    options.tlsKeyFile = config.tlsKeyFile;
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
  }
  return options;
}
