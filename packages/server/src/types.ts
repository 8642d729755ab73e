/**
 * Options and the running-server handle of `serve()`.
 */
import type { Handler, MaybePromise, Request } from '@rws/core';
import type { Metrics } from './metrics.js';

/** Something `serve()` can run: a core `Handler`, or an object exposing one (an `App`). */
export type Servable = Handler | { readonly handler: Handler };

/** A certificate served for one SNI name (exact, or a one-label wildcard like `*.example.com`). */
export interface VirtualHost {
  /** `api.example.com`, or `*.example.com` (matches exactly one extra label, RFC 6125 §6.4.3). */
  domain: string;
  /** PEM certificate chain file. */
  certFile: string;
  /** PEM private key file. */
  keyFile: string;
}

/** Paths of the built-in endpoints; `false` turns one off. */
export interface HealthOptions {
  /** Liveness: 200 `OK` while the process serves. Default `/healthz`. */
  healthz?: string | false | undefined;
  /** Readiness: 200 `OK`, 503 `not ready` while draining. Default `/readyz`. */
  readyz?: string | false | undefined;
  /** Prometheus text exposition. Default `/metrics` (only when `metrics` is on). */
  metrics?: string | false | undefined;
}

/**
 * HTTP/1.1 limits and timeouts (see `@rws/http1`). Sizes are bytes, times milliseconds.
 * Hot-reloadable: a `reload()` applies them to new connections; open ones keep theirs.
 */
export interface ServerLimits {
  maxHeaderBytes?: number | undefined;
  maxUrlBytes?: number | undefined;
  maxHeaderCount?: number | undefined;
  maxBodyBytes?: number | undefined;
  bodyHighWaterMark?: number | undefined;
  headersTimeoutMs?: number | undefined;
  keepAliveTimeoutMs?: number | undefined;
  requestTimeoutMs?: number | undefined;
  /** Longest time the client may leave response bytes unread before the connection is dropped. */
  sendTimeoutMs?: number | undefined;
  maxRequestsPerConnection?: number | undefined;
  /** Open connections on the main listener; more are refused (closed at once). 0 = no limit. */
  maxConnections?: number | undefined;
}

/** Options of `serve()`. Every option is optional; the defaults serve plain HTTP on 127.0.0.1:7878. */
export interface ServeOptions {
  /** Interface to bind: `127.0.0.1` (default), `0.0.0.0`, `::`, `::1`, … */
  host?: string | undefined;
  /** TCP port; 0 picks a free one. Default 7878. */
  port?: number | undefined;
  /** PEM certificate chain file; with `tlsKeyFile`, the main listener speaks TLS. */
  tlsCertFile?: string | undefined;
  /** PEM private key file of `tlsCertFile`. */
  tlsKeyFile?: string | undefined;
  /** Certificates chosen by SNI server name; the default certificate answers everything else. */
  virtualHosts?: readonly VirtualHost[] | undefined;
  /** PEM CA bundle: clients must present a certificate that verifies against it (mTLS). */
  tlsClientCaFile?: string | undefined;
  /** Port of an extra plain-HTTP listener (same host) that redirects everything to HTTPS. */
  httpRedirectPort?: number | undefined;
  /**
   * `Strict-Transport-Security` value added to TLS responses that do not set one; `false` sends
   * none. Default `max-age=31536000` (RFC 6797 §6.1).
   */
  hsts?: string | false | undefined;
  /** Built-in endpoints; `false` turns all of them off. Default: all on at their default paths. */
  health?: HealthOptions | false | undefined;
  /** Collect request metrics (and serve them on the metrics path). Default true. */
  metrics?: boolean | undefined;
  /** HTTP/1.1 limits and timeouts. */
  limits?: ServerLimits | undefined;
  /** Value of the `Server` response header, or false (default) for none. */
  serverHeader?: string | false | undefined;
  /**
   * Serve HTTP/2 (@rws/h2) on the TLS port: ALPN `h2` is offered before `http/1.1`, so
   * clients that speak both pick HTTP/2. Default true; ignored without TLS.
   */
  http2?: boolean | undefined;
  /**
   * Accept cleartext HTTP/2 with prior knowledge (h2c, RFC 9113 §3.3) on a plain port: a
   * connection that starts with the HTTP/2 preface goes to @rws/h2, anything else to
   * HTTP/1.1. Default false.
   */
  h2c?: boolean | undefined;
  /** How long `close()` and a shutdown signal let in-flight requests finish. Default 10 000 ms. */
  graceMs?: number | undefined;
  /**
   * On close or a shutdown signal, how long to keep accepting and serving with `/readyz`
   * answering 503 before the listener closes, so a load balancer polling `/readyz` stops
   * sending traffic first (Caddy's `shutdown_delay`). Default 0.
   */
  shutdownDelayMs?: number | undefined;
  /**
   * Handle SIGTERM/SIGINT (drain, then exit 0; a second signal exits at once with 128+signo)
   * and SIGHUP (`onReload`). Default false; the `rws` CLI turns it on. A cluster primary
   * defaults to true.
   */
  handleSignals?: boolean | undefined;
  /**
   * Runs on SIGHUP (and on a reload message in a cluster worker). Typically re-reads the
   * config and calls `server.reload()`. A throw or rejection is reported through `onError`;
   * the running configuration stays. Default: `server.reloadCertificates()`.
   */
  onReload?: ((server: RunningServer) => MaybePromise<void>) | undefined;
  /** Runs after a signal-triggered drain, before the process exits (close pools, flush logs). */
  onShutdown?: (() => MaybePromise<void>) | undefined;
  /** Receives handler errors, TLS load/reload errors and listener errors. Default `console.error`. */
  onError?: ((err: unknown, req: Request | null) => void) | undefined;
  /**
   * Worker processes (node:cluster) sharing the port. Default 1 (no cluster); `'auto'` uses
   * `os.availableParallelism()`. With more than one, `serve()` in the primary forks the running
   * script and never runs the handler itself.
   */
  workers?: number | 'auto' | undefined;
}

/** Options of `reload()`: a complete new set of options, plus optionally a new handler. */
export interface ReloadOptions extends ServeOptions {
  /** The new handler (or App). Omitted: the current one stays. */
  handler?: Servable | undefined;
}

/** Options of `RunningServer.close()`. */
export interface ServerCloseOptions {
  /** How long in-flight requests may run before their connections are destroyed. */
  graceMs?: number | undefined;
  /** Overrides the `shutdownDelayMs` option for this close. */
  shutdownDelayMs?: number | undefined;
}

/** One listening endpoint. */
export interface ServerUrl {
  /** `http://127.0.0.1:7878`, `https://[::1]:8443`, … */
  readonly url: string;
  /** The application protocols served there (ALPN ids): `['http/1.1']` for now. */
  readonly protocols: readonly string[];
  readonly transport: 'tcp' | 'udp';
  /** True for the plain-HTTP listener that only redirects to HTTPS. */
  readonly isRedirect: boolean;
}

/** What `serve()` resolves with. */
export interface RunningServer {
  /** The main URL (TLS when a certificate is configured). */
  readonly url: string;
  /** Every listening endpoint. */
  readonly urls: readonly ServerUrl[];
  /** The bound address of the main listener. */
  readonly address: { readonly host: string; readonly port: number; readonly family: string };
  /** True while listening and not draining (what `/readyz` reports). */
  readonly isReady: boolean;
  /** True once `close()` (or a shutdown signal) started. */
  readonly isDraining: boolean;
  /**
   * This process's metrics collector (what `/metrics` renders), or null when metrics are off
   * and in a cluster primary (each worker counts its own).
   */
  readonly metrics: Metrics | null;
  /** Resolves once the server has closed. */
  readonly closed: Promise<void>;
  /**
   * Stops accepting, turns `/readyz` 503, lets in-flight requests finish for up to `graceMs`,
   * closes idle keep-alive connections, then destroys what is left. Idempotent.
   */
  close(options?: ServerCloseOptions): Promise<void>;
  /**
   * Applies new options atomically: handler, HSTS, health/metrics paths, limits, certificates
   * (re-read). Options that need a restart reject with `RWS_SERVER_RELOAD_NEEDS_RESTART`; a
   * bad certificate rejects with `RWS_SERVER_TLS_LOAD_FAILED`. On rejection nothing changed.
   */
  reload(options: ReloadOptions): Promise<void>;
  /** Re-reads every certificate and key file; open connections keep their session. */
  reloadCertificates(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
