/**
 * Options and the running-server handle of `serve()`.
 */
import type { Handler, MaybePromise, Request } from '@rws/core';
import type { Metrics, MetricsCollector } from '@rws/middleware/metrics';
import type { AcmeManager } from './acme-manager.js';

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

/**
 * A certificate held in memory (PEM) for some SNI host names, such as a Kubernetes Ingress's
 * TLS Secret; `sniCertificates` supplies them.
 */
export interface SniCertificate {
  /** `api.example.com`, or `*.example.com`; lower or mixed case. */
  readonly hosts: readonly string[];
  /** PEM certificate chain, leaf first. */
  readonly cert: string | Buffer;
  /** PEM private key. */
  readonly key: string | Buffer;
}

/** Paths of the built-in endpoints; `false` turns one off. */
export interface HealthOptions {
  /** Liveness: 200 `OK` while the process serves. Default `/healthz`. */
  healthz?: string | false | undefined;
  /** Readiness: 200 `OK`, 503 `not ready` while draining. Default `/readyz`. */
  readyz?: string | false | undefined;
  /**
   * Prometheus text exposition (only when `metrics` is on). Default `/metrics` when the server
   * is bound to a loopback address, off otherwise: request counts and paths are not for anyone
   * who can reach the port. Set a path to serve it on a public address anyway.
   */
  metrics?: string | false | undefined;
}

/**
 * A separate listener for `/healthz`, `/readyz` and `/metrics` (plain HTTP), so probes and
 * scrapers never share paths with the site and can be firewalled apart from it.
 */
export interface AdminOptions {
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string | undefined;
  /** TCP port; 0 picks a free one. */
  port: number;
  /**
   * Serves what the built-in endpoints do not (other paths, other methods), e.g. an admin MCP
   * endpoint. Default: 404 for those.
   */
  handler?: Handler | undefined;
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
  /**
   * Default limit of `req.body.bytes()`/`text()`/`json()`/`form()` (413 past it); separate
   * from `maxBodyBytes`. Default 1 MiB.
   */
  bodyLimit?: number | undefined;
  bodyHighWaterMark?: number | undefined;
  headersTimeoutMs?: number | undefined;
  keepAliveTimeoutMs?: number | undefined;
  requestTimeoutMs?: number | undefined;
  /** Longest time the client may leave response bytes unread before the connection is dropped. */
  sendTimeoutMs?: number | undefined;
  maxRequestsPerConnection?: number | undefined;
  /**
   * Longest wait for the next bytes of a request body (or of the rest being discarded after
   * the response), like nginx's `client_body_timeout`: 408 when nothing was answered yet, else
   * the connection closes. Default 60 000 ms.
   */
  bodyTimeoutMs?: number | undefined;
  /**
   * Open connections on the main listener; more are closed at once, while the established
   * ones keep being answered. Default: 80% of the process's open-file limit (read from
   * /proc/self/limits on Linux; 4096 elsewhere). 0 = no limit.
   */
  maxConnections?: number | undefined;
}

/** `metrics` as an object: metrics on, with extra families. */
export interface ServeMetricsOptions {
  /**
   * Functions returning Prometheus text exposition, merged into `/metrics` (each family's
   * HELP/TYPE once). One that throws or returns malformed text is left out of that scrape and
   * reported to `onError` (`RWS_MIDDLEWARE_METRICS_COLLECTOR_FAILED`).
   */
  collectors?: readonly MetricsCollector[] | undefined;
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
  /**
   * In-memory certificates chosen by SNI, read whenever the TLS contexts are built (start,
   * `reload()`, `reloadCertificates()`): call `reloadCertificates()` after they change.
   * `virtualHosts` and ACME domains win over them for the same name. Needs TLS on (a default
   * certificate or ACME). A pair OpenSSL refuses fails the build and keeps the running contexts.
   */
  sniCertificates?: (() => readonly SniCertificate[]) | undefined;
  /** PEM CA bundle: clients must present a certificate that verifies against it (mTLS). */
  tlsClientCaFile?: string | undefined;
  /** Port of an extra plain-HTTP listener (same host) that redirects everything to HTTPS. */
  httpRedirectPort?: number | undefined;
  /**
   * OpenSSL cipher list for TLS 1.2 (and `TLS_*` TLS 1.3 suites). Default: the Mozilla
   * "intermediate" profile, ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 only (no CBC,
   * no SHA-1 MACs, no suites without forward secrecy), plus every TLS 1.3 suite.
   */
  tlsCiphers?: string | undefined;
  /**
   * OCSP stapling on the TLS port (default on, as in Caddy): for each certificate whose chain
   * includes its issuer and whose Authority Information Access names an OCSP responder, the
   * server fetches a signed response, staples it to handshakes of clients that ask
   * (`status_request`), and refreshes it halfway to its `nextUpdate`. A responder that is
   * down never delays or fails a handshake. `false` turns it off. Read at start.
   */
  ocspStapling?: boolean | OcspStaplingOptions | undefined;
  /** Oldest TLS version accepted: `'TLSv1.2'` (default) or `'TLSv1.3'`. */
  tlsMinVersion?: 'TLSv1.2' | 'TLSv1.3' | undefined;
  /**
   * Time a client on the TLS port has to send its first byte, and then to complete the
   * handshake; a client that stays silent is closed. Default 10 000 ms.
   */
  handshakeTimeoutMs?: number | undefined;
  /**
   * `Strict-Transport-Security` value added to TLS responses that do not set one (e.g.
   * `max-age=31536000`). Default: none, because a certificate for localhost or a test name
   * would pin that name to HTTPS in browsers for as long as `max-age` says (RFC 6797 §6.1).
   */
  hsts?: string | false | undefined;
  /**
   * Host names requests may name (DNS rebinding guard): exact names, or `*.example.com` for
   * any subdomain; the port in `Host` is not compared for these. When the server is bound to a
   * loopback address, `localhost`, `*.localhost`, `127.x.x.x` and `[::1]` (with the listen port
   * or none) are always allowed. Any other `Host` is answered 421. Default: none listed, so a
   * loopback-bound server answers only loopback names and other servers answer any Host;
   * `'any'` turns the check off.
   */
  allowedHosts?: readonly string[] | 'any' | undefined;
  /**
   * Built-in endpoints on the main listener; `false` turns all of them off. Default:
   * `/healthz` and `/readyz` on, `/metrics` on only when bound to a loopback address; all off
   * when `admin` is set (unless given here explicitly).
   */
  health?: HealthOptions | false | undefined;
  /** A separate listener serving `/healthz`, `/readyz` and `/metrics`. Default: none. */
  admin?: AdminOptions | false | undefined;
  /**
   * Receives the server's lifecycle lines ("received SIGTERM, draining 3 connections",
   * "stopped"). Default: none (a library prints nothing on its own).
   */
  onLog?: ((message: string) => void) | undefined;
  /**
   * Collect request metrics (and serve them on the metrics path and the admin listener's
   * `/metrics`). Default true. An object turns them on with extra families: `collectors` are
   * functions returning Prometheus text (e.g. `() => upstream.metrics()` of @rws/proxy), read
   * on every scrape and merged into the exposition; `reload()` replaces them.
   */
  metrics?: boolean | ServeMetricsOptions | undefined;
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
   * Serve HTTP/3 (@rws/h3) on UDP at the TLS port's number, advertised to HTTP/1.1 and
   * HTTP/2 clients with `Alt-Svc: h3=":<port>"; ma=86400`. Needs TLS; default false. The
   * default certificate is used (SNI virtual hosts, mTLS and certificate reload over h3 are
   * planned).
   */
  http3?: boolean | undefined;
  /**
   * Accept cleartext HTTP/2 (h2c) on a plain port, beside HTTP/1.1: a connection that starts
   * with the HTTP/2 preface (prior knowledge, RFC 9113 §3.3) goes to @rws/h2, and an HTTP/1.1
   * request asking for `Upgrade: h2c` (RFC 7540 §3.2) gets 101 and continues as HTTP/2.
   * Default false.
   */
  h2c?: boolean | undefined;
  /**
   * On HTTP/2 (TLS with `http2`, or `h2c`) and HTTP/3 (`http3`), advertise
   * SETTINGS_ENABLE_CONNECT_PROTOCOL and accept extended CONNECT (RFC 8441, RFC 9220), so a
   * client opens its WebSockets as streams of the connection it already has (a handler
   * answering with `upgradeWebSocket` serves every form). Without it browsers open a separate HTTP/1.1 connection per WebSocket. Default
   * false: a handler that upgrades only HTTP/1.1 requests would refuse the HTTP/2 form
   * (@rws/proxy's `reverseProxy` and gateway take both; the `rws` CLI turns this on with HTTP/2).
   */
  enableConnectProtocol?: boolean | undefined;
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
  /**
   * Certificates from an ACME CA (RFC 8555) for the manager's domains: the server turns TLS
   * on (the ACME certificate is the default one unless `tlsCertFile` is given), answers
   * HTTP-01 at `/.well-known/acme-challenge/` on every plain-HTTP listener (main, redirect)
   * and TLS-ALPN-01 (`acme-tls/1`) on the TLS port, and starts and stops the manager with
   * itself. Restart-only.
   */
  acme?: AcmeManager | undefined;
}

/** Tuning of `ServeOptions.ocspStapling`. */
export interface OcspStaplingOptions {
  /** Longest wait for the responder's answer. Default 10 000 ms. */
  timeoutMs?: number | undefined;
  /** First retry delay after a failed fetch, doubling up to `retryMaxMs`. Default 60 000 ms. */
  retryMinMs?: number | undefined;
  /** Longest retry delay. Default 3 600 000 ms (1 hour). */
  retryMaxMs?: number | undefined;
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
  /** True for the admin listener (`/healthz`, `/readyz`, `/metrics` only). */
  readonly isAdmin?: boolean | undefined;
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
