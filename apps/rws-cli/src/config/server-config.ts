/** The resolved configuration of the rws binary, as the key paths of `CONFIG_KEYS` fill it. */
import type { AcmeConfig } from './acme-keys.js';

/** One `[[virtual_host]]`: a TLS certificate chosen by SNI for `domain`. */
export interface VirtualHost {
  domain: string;
  certFile: string;
  keyFile: string;
}

/** CORS settings. */
export interface CorsConfig {
  allowAll: boolean;
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  allowCredentials: boolean;
  exposeHeaders: string[];
  maxAge: number;
}

/** Tables of the gateway configuration (`[[route]]`, `[[upstream]]`, …); @rws/proxy validates and runs them. */
export interface ProxyConfigRaw {
  [table: string]: unknown;
}

/** The resolved configuration of the rws binary. */
export interface ServerConfig {
  ip: string;
  port: number;
  /** Absolute directory served as static files. */
  root: string;
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
  tlsClientCaFile: string | null;
  httpRedirectPort: number | null;
  /** Mozilla-intermediate ciphers when null. */
  tlsCiphers: string | null;
  tlsMinVersion: '1.2' | '1.3';
  handshakeTimeoutMs: number;
  /** `Strict-Transport-Security` value, or null for none. */
  hsts: string | null;
  /** Staple OCSP responses from the certificates' responders (default on). */
  ocspStapling: boolean;
  /** Offer HTTP/2 (ALPN `h2`) beside HTTP/1.1 on the TLS port. */
  http2: boolean;
  /** Serve HTTP/3 on UDP at the TLS port number (one worker only). */
  http3: boolean;
  /** Extra Host names answered; `['any']` turns the Host check off. */
  allowedHosts: string[];
  /** Open connections allowed; null = 80% of the open-file limit, 0 = no limit. */
  maxConnections: number | null;
  bodyTimeoutMs: number;
  /** Main-listener health paths: null = the server's default, false = off. */
  healthzPath: string | false | null;
  readyzPath: string | false | null;
  metricsPath: string | false | null;
  /** The admin listener (`/healthz`, `/readyz`, `/metrics`), or null. */
  admin: { host: string; port: number } | null;
  /** Bearer token of the admin listener's MCP endpoint (`/mcp`); null: no endpoint. */
  adminMcpToken: string | null;
  cors: CorsConfig;
  /** Largest accepted request body in bytes; 0 = no global cap. */
  maxBodySize: number;
  /** `auto`: pretty (coloured) on a terminal, JSON otherwise. */
  logFormat: 'auto' | 'json' | 'combined' | 'pretty';
  /**
   * Where access-log lines go: `off`, `stdout` (default), `stderr`, or a file (absolute;
   * appended to, written in batches off the event loop).
   */
  accessLog: string;
  spaFallback: string | null;
  spaFallbackExcludePrefixes: string[];
  directoryListing: boolean;
  /** `Cache-Control: public, max-age=N` of files; 0 = `max-age=0, must-revalidate`. */
  cacheMaxAge: number;
  /** Fingerprinted file names get `public, max-age=31536000, immutable`. */
  cacheImmutable: boolean;
  dotfiles: 'ignore' | 'deny' | 'allow';
  /** On-the-fly compression and precompressed siblings. */
  compression: boolean;
  /** Headers set on every response of the handler, by name as written. */
  headers: Record<string, string>;
  /** Basic-auth users (user → plain password) for the whole site; empty = none from config. */
  basicAuth: Record<string, string>;
  /** An htpasswd file of basic-auth users (absolute), or null. */
  basicAuthFile: string | null;
  /** The realm of the basic-auth challenge. */
  basicAuthRealm: string;
  /** How long a shutdown (SIGTERM/SIGINT) lets in-flight requests finish. */
  shutdownGraceMs: number;
  /** Open the served URL in a browser once listening. */
  open: boolean;
  workers: number | 'auto';
  virtualHosts: VirtualHost[];
  /** `[acme]`: certificates from an ACME CA; on when `acme.domains` is not empty. */
  acme: AcmeConfig;
  /** The config file that was read (absolute), or null. */
  configFile: string | null;
  /** `[[route]]`, `[[upstream]]`, … tables (the gateway); null when the file has none. */
  proxy: ProxyConfigRaw | null;
  /**
   * True when `root` was set (flag, env or file) rather than defaulted to the working
   * directory. In gateway mode only an explicit root serves the requests no route matched.
   */
  isRootSet: boolean;
}
