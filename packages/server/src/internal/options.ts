/**
 * Validates `ServeOptions` into one resolved object. Every problem is collected and reported
 * at once (one `RWS_SERVER_INVALID_OPTIONS` naming each bad key), so a config is fixed in one
 * round, and nothing listens before the options are known to be good.
 */
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { type Handler, type MaybePromise, type Request, RwsError } from '@rws/core';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_TLS_CIPHERS } from '@rws/http1';
import type { MetricsCollector } from '@rws/middleware/metrics';
import { AcmeManager } from '../acme-manager.js';
import { ERROR_CODES } from '../errors.js';
import type {
  RunningServer,
  Servable,
  ServeOptions,
  ServerLimits,
  SniCertificate,
  VirtualHost,
} from '../types.js';
import { defaultMaxConnections } from './fd-limit.js';
import { isLoopbackAddress } from './host-check.js';
import { type ResolvedOcsp, resolveOcspStapling } from './ocsp/resolve.js';

export interface ResolvedTls {
  /** Null when ACME supplies the default certificate. */
  certFile: string | null;
  keyFile: string | null;
  clientCaFile: string | null;
  virtualHosts: readonly VirtualHost[];
  /** In-memory SNI certificates, read at each context build; null when none. */
  sniCertificates: (() => readonly SniCertificate[]) | null;
  ciphers: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** OCSP stapling settings, or null when it is off. */
  ocsp: ResolvedOcsp | null;
}

interface ResolvedHealth {
  healthz: string | null;
  readyz: string | null;
  metrics: string | null;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  tls: ResolvedTls | null;
  httpRedirectPort: number | null;
  handshakeTimeoutMs: number;
  hsts: string | null;
  /** Allowed Host names (lower case), or null for no check. See `ServeOptions.allowedHosts`. */
  allowedHosts: readonly string[] | null;
  health: ResolvedHealth;
  admin: { host: string; port: number; handler: Handler | null } | null;
  onLog: (message: string) => void;
  metrics: boolean;
  /** `metrics.collectors`, or none. */
  metricsCollectors: readonly MetricsCollector[];
  limits: ServerLimits;
  serverHeader: string | false;
  http2: boolean;
  /** HTTP/3 on UDP beside the TLS port (needs TLS). */
  http3: boolean;
  h2c: boolean;
  enableConnectProtocol: boolean;
  graceMs: number;
  shutdownDelayMs: number;
  handleSignals: boolean | null;
  onReload: ((server: RunningServer) => MaybePromise<void>) | null;
  onShutdown: (() => MaybePromise<void>) | null;
  onError: (err: unknown, req: Request | null) => void;
  workers: number;
  acme: AcmeManager | null;
}

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 7878;
const DEFAULT_GRACE_MS = 10_000;

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535;
}

function defaultOnError(err: unknown): void {
  console.error('[@rws/server]', err);
}

const LIMIT_KEYS = [
  'maxHeaderBytes',
  'maxUrlBytes',
  'maxHeaderCount',
  'maxBodyBytes',
  'bodyLimit',
  'bodyHighWaterMark',
  'headersTimeoutMs',
  'keepAliveTimeoutMs',
  'requestTimeoutMs',
  'sendTimeoutMs',
  'bodyTimeoutMs',
  'maxRequestsPerConnection',
  'maxConnections',
] as const;

function isPath(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0 && value.charCodeAt(0) === 47; // '/'
}

/** Checks a virtual host domain: a DNS name, optionally with one leading `*.` label. */
function isDomain(domain: unknown): boolean {
  if (typeof domain !== 'string' || domain.length === 0 || domain.length > 253) return false;
  const name = domain.startsWith('*.') ? domain.slice(2) : domain;
  if (name.length === 0) return false;
  for (const label of name.split('.')) {
    if (label.length === 0 || label.length > 63) return false;
    for (let i = 0; i < label.length; i++) {
      const c = label.charCodeAt(i) | 0x20;
      const isAlnum =
        (c >= 97 && c <= 122) || (label.charCodeAt(i) >= 48 && label.charCodeAt(i) <= 57);
      if (!isAlnum && label.charCodeAt(i) !== 45) return false; // letters, digits, '-'
    }
  }
  return true;
}

/** Resolves and validates `options`; throws one error listing every problem. */
export function resolveOptions(options: ServeOptions = {}): ResolvedOptions {
  const problems: string[] = [];
  const host = options.host ?? DEFAULT_HOST;
  if (typeof host !== 'string' || host.length === 0)
    problems.push('host: must be a non-empty string');
  const port = options.port ?? DEFAULT_PORT;
  if (!isPort(port)) problems.push(`port: must be an integer 0-65535, got ${String(port)}`);

  let tls: ResolvedTls | null = null;
  const { tlsCertFile, tlsKeyFile } = options;
  const hasCert = typeof tlsCertFile === 'string' && tlsCertFile.length > 0;
  const hasKey = typeof tlsKeyFile === 'string' && tlsKeyFile.length > 0;
  const acme = options.acme ?? null;
  if (acme !== null && !(acme instanceof AcmeManager)) {
    problems.push('acme: must be an AcmeManager');
  }
  if (hasCert !== hasKey) {
    problems.push('tlsCertFile/tlsKeyFile: both must be given to enable TLS');
  } else if ((hasCert && hasKey) || acme !== null) {
    const virtualHosts = options.virtualHosts ?? [];
    if (!Array.isArray(virtualHosts)) problems.push('virtualHosts: must be an array');
    else {
      virtualHosts.forEach((vh: VirtualHost, i: number) => {
        if (!isDomain(vh?.domain)) {
          problems.push(`virtualHosts[${i}].domain: not a DNS name or *.wildcard`);
        }
        if (typeof vh?.certFile !== 'string' || vh.certFile.length === 0) {
          problems.push(`virtualHosts[${i}].certFile: must be a file path`);
        }
        if (typeof vh?.keyFile !== 'string' || vh.keyFile.length === 0) {
          problems.push(`virtualHosts[${i}].keyFile: must be a file path`);
        }
      });
    }
    const ca = options.tlsClientCaFile;
    if (ca !== undefined && (typeof ca !== 'string' || ca.length === 0)) {
      problems.push('tlsClientCaFile: must be a file path');
    }
    const ciphers = options.tlsCiphers ?? DEFAULT_TLS_CIPHERS;
    if (typeof ciphers !== 'string' || ciphers.trim().length === 0) {
      problems.push('tlsCiphers: must be a non-empty OpenSSL cipher list');
    }
    const minVersion = options.tlsMinVersion ?? 'TLSv1.2';
    if (minVersion !== 'TLSv1.2' && minVersion !== 'TLSv1.3') {
      problems.push(`tlsMinVersion: must be 'TLSv1.2' or 'TLSv1.3', got ${String(minVersion)}`);
    }
    const sni = options.sniCertificates;
    if (sni !== undefined && typeof sni !== 'function') {
      problems.push('sniCertificates: must be a function returning the certificates');
    }
    tls = {
      sniCertificates: typeof sni === 'function' ? sni : null,
      certFile: hasCert ? (tlsCertFile as string) : null,
      keyFile: hasKey ? (tlsKeyFile as string) : null,
      clientCaFile: typeof ca === 'string' && ca.length > 0 ? ca : null,
      virtualHosts: Array.isArray(virtualHosts) ? virtualHosts.slice() : [],
      ciphers,
      minVersion,
      ocsp: resolveOcspStapling(options.ocspStapling, problems),
    };
  }
  if (tls === null) {
    if (options.virtualHosts !== undefined && options.virtualHosts.length > 0) {
      problems.push('virtualHosts: needs tlsCertFile and tlsKeyFile (the default certificate)');
    }
    if (options.tlsClientCaFile !== undefined) {
      problems.push('tlsClientCaFile: needs tlsCertFile and tlsKeyFile');
    }
    if (options.sniCertificates !== undefined) {
      problems.push('sniCertificates: needs tlsCertFile and tlsKeyFile (or acme)');
    }
    if (options.httpRedirectPort !== undefined) {
      problems.push('httpRedirectPort: needs tlsCertFile and tlsKeyFile');
    }
  }
  const redirect = options.httpRedirectPort;
  if (redirect !== undefined && !isPort(redirect)) {
    problems.push(`httpRedirectPort: must be an integer 0-65535, got ${String(redirect)}`);
  }

  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  if (
    typeof handshakeTimeoutMs !== 'number' ||
    !Number.isFinite(handshakeTimeoutMs) ||
    handshakeTimeoutMs < 0
  ) {
    problems.push('handshakeTimeoutMs: must be a number >= 0');
  }

  const hstsOption = options.hsts;
  let hsts: string | null = null;
  if (hstsOption === false) hsts = null;
  else if (typeof hstsOption === 'string') {
    if (hstsOption.length === 0 || hstsOption.includes('\r') || hstsOption.includes('\n')) {
      problems.push('hsts: must be a non-empty header value or false');
    }
    hsts = hstsOption;
  } else if (hstsOption !== undefined) problems.push('hsts: must be a string or false');

  const listedHosts = resolveAllowedHosts(options.allowedHosts, problems);
  // The ACME domains are this server's names: requests for them pass the Host check.
  const acmeDomains = acme instanceof AcmeManager ? acme.domains : [];
  const allowedHosts =
    listedHosts === null || acmeDomains.length === 0
      ? listedHosts
      : [...new Set([...listedHosts, ...acmeDomains])];

  let admin: ResolvedOptions['admin'] = null;
  const adminOption = options.admin;
  if (adminOption !== undefined && adminOption !== false) {
    if (adminOption === null || typeof adminOption !== 'object') {
      problems.push('admin: must be { host?, port } or false');
    } else {
      const adminHost = adminOption.host ?? DEFAULT_HOST;
      if (typeof adminHost !== 'string' || adminHost.length === 0) {
        problems.push('admin.host: must be a non-empty string');
      }
      if (!isPort(adminOption.port)) {
        problems.push(`admin.port: must be an integer 0-65535, got ${String(adminOption.port)}`);
      }
      const extra = adminOption.handler ?? null;
      if (extra !== null && typeof extra !== 'function') {
        problems.push('admin.handler: must be a handler function');
      }
      admin = { host: adminHost, port: adminOption.port, handler: extra };
    }
  }

  const metricsOption = options.metrics ?? true;
  let metrics = true;
  let metricsCollectors: readonly MetricsCollector[] = [];
  if (typeof metricsOption === 'boolean') metrics = metricsOption;
  else if (typeof metricsOption !== 'object' || metricsOption === null) {
    problems.push('metrics: must be a boolean or { collectors }');
  } else {
    const collectors = metricsOption.collectors ?? [];
    if (!Array.isArray(collectors) || collectors.some((c) => typeof c !== 'function')) {
      problems.push('metrics.collectors: must be an array of functions');
    } else metricsCollectors = collectors;
  }
  const health: ResolvedHealth = { healthz: null, readyz: null, metrics: null };
  // With an admin listener the endpoints live there; the site keeps only what is asked for.
  if (options.health !== false && (admin === null || options.health !== undefined)) {
    const h = options.health ?? {};
    const pick = (key: 'healthz' | 'readyz' | 'metrics'): string | null => {
      const value = h[key];
      if (value === false) return null;
      if (value === undefined) {
        if (admin !== null) return null;
        // Metrics tell who asks for what: only on a loopback address unless asked for.
        if (key === 'metrics' && typeof host === 'string' && !isLoopbackAddress(host)) {
          return null;
        }
        return `/${key}`;
      }
      if (!isPath(value)) problems.push(`health.${key}: must start with / (or be false)`);
      return value;
    };
    health.healthz = pick('healthz');
    health.readyz = pick('readyz');
    health.metrics = pick('metrics');
    if (metrics === false) health.metrics = null;
  }

  const limits: ServerLimits = { maxConnections: defaultMaxConnections() };
  const rawLimits = options.limits ?? {};
  for (const key of LIMIT_KEYS) {
    const value = rawLimits[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      problems.push(`limits.${key}: must be a number >= 0`);
    } else limits[key] = value;
  }

  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0) {
    problems.push('graceMs: must be a number >= 0');
  }
  const shutdownDelayMs = options.shutdownDelayMs ?? 0;
  if (
    typeof shutdownDelayMs !== 'number' ||
    !Number.isFinite(shutdownDelayMs) ||
    shutdownDelayMs < 0
  ) {
    problems.push('shutdownDelayMs: must be a number >= 0');
  }
  let workers = 1;
  const w = options.workers;
  if (w === 'auto') workers = availableParallelism();
  else if (w !== undefined) {
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 1) {
      problems.push(`workers: must be an integer >= 1 or 'auto', got ${String(w)}`);
    } else workers = w;
  }
  const serverHeader = options.serverHeader ?? false;
  if (serverHeader !== false && typeof serverHeader !== 'string') {
    problems.push('serverHeader: must be a string or false');
  }
  if (options.http3 === true && tls === null) {
    problems.push('http3: needs tlsCertFile and tlsKeyFile, or acme (QUIC always uses TLS)');
  }
  if (options.http3 === true && workers > 1) {
    // Workers would share one UDP port without routing by connection ID (planned).
    problems.push('http3: not supported with workers > 1 yet');
  }
  for (const key of ['http2', 'http3', 'h2c', 'enableConnectProtocol'] as const) {
    const flag = options[key];
    if (flag !== undefined && typeof flag !== 'boolean') problems.push(`${key}: must be a boolean`);
  }
  for (const key of ['onReload', 'onShutdown', 'onError', 'onLog'] as const) {
    const fn = options[key];
    if (fn !== undefined && typeof fn !== 'function') problems.push(`${key}: must be a function`);
  }

  if (problems.length > 0) {
    throw new RwsError(
      ERROR_CODES.INVALID_OPTIONS,
      `invalid serve() options:\n  - ${problems.join('\n  - ')}`,
    );
  }
  return {
    host,
    port,
    tls,
    httpRedirectPort: redirect ?? null,
    handshakeTimeoutMs,
    hsts,
    allowedHosts,
    health,
    admin,
    onLog: options.onLog ?? noop,
    metrics,
    metricsCollectors,
    limits,
    serverHeader,
    http2: options.http2 !== false,
    http3: options.http3 === true,
    h2c: options.h2c === true,
    enableConnectProtocol: options.enableConnectProtocol === true,
    graceMs,
    shutdownDelayMs,
    handleSignals: options.handleSignals ?? null,
    onReload: options.onReload ?? null,
    onShutdown: options.onShutdown ?? null,
    onError: options.onError ?? defaultOnError,
    workers,
    acme: acme instanceof AcmeManager ? acme : null,
  };
}

function noop(): void {}

/** Validates `allowedHosts`: null (no list) unless names were given or the check is off. */
function resolveAllowedHosts(
  value: ServeOptions['allowedHosts'],
  problems: string[],
): readonly string[] | null {
  if (value === undefined) return [];
  if (value === 'any') return null;
  if (!Array.isArray(value)) {
    problems.push("allowedHosts: must be an array of host names or 'any'");
    return [];
  }
  const names: string[] = [];
  value.forEach((name: unknown, i: number) => {
    const isName =
      typeof name === 'string' && (isDomain(name) || isIP(name) !== 0 || isBracketedV6(name));
    if (!isName) problems.push(`allowedHosts[${i}]: not a host name, *.wildcard or IP address`);
    else names.push(name.toLowerCase());
  });
  return names;
}

function isBracketedV6(name: string): boolean {
  return name.startsWith('[') && name.endsWith(']') && isIP(name.slice(1, -1)) === 6;
}

/** The handler of a `Servable` (a handler, or an App exposing `handler`). */
export function toHandler(app: Servable): Handler {
  if (typeof app === 'function') return app;
  if (app !== null && typeof app === 'object' && typeof app.handler === 'function') {
    return app.handler;
  }
  throw new RwsError(
    ERROR_CODES.INVALID_OPTIONS,
    'serve() needs a handler function or an object with a handler (an App)',
  );
}

/** Names of options that differ between `a` and `b` but only apply at start. */
export function restartOnlyChanges(a: ResolvedOptions, b: ResolvedOptions): string[] {
  const changed: string[] = [];
  if (a.host !== b.host) changed.push('host');
  if (a.port !== b.port) changed.push('port');
  if ((a.tls === null) !== (b.tls === null)) changed.push('tlsCertFile/tlsKeyFile (TLS on/off)');
  if ((a.tls?.clientCaFile == null) !== (b.tls?.clientCaFile == null)) {
    changed.push('tlsClientCaFile (mTLS on/off)');
  }
  if (a.httpRedirectPort !== b.httpRedirectPort) changed.push('httpRedirectPort');
  if (a.handshakeTimeoutMs !== b.handshakeTimeoutMs) changed.push('handshakeTimeoutMs');
  if (a.admin?.host !== b.admin?.host || a.admin?.port !== b.admin?.port) changed.push('admin');
  if (a.workers !== b.workers) changed.push('workers');
  if (a.http2 !== b.http2) changed.push('http2');
  if (a.http3 !== b.http3) changed.push('http3');
  if (a.h2c !== b.h2c) changed.push('h2c');
  if (a.enableConnectProtocol !== b.enableConnectProtocol) changed.push('enableConnectProtocol');
  if (a.acme !== b.acme) changed.push('acme');
  return changed;
}
