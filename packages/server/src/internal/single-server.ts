/**
 * One server process: the main listener (node:net; with TLS, each connection is sniffed and
 * handed to a non-listening node:tls server, then to the ALPN dispatch), the optional
 * HTTP→HTTPS redirect and admin listeners, the HTTP/1.1 codec, the request chain, reload and
 * graceful close. `serve()` returns it directly when there are no cluster workers.
 */
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import {
  createServer as createTlsServer,
  type TLSSocket,
  type Server as TlsServer,
} from 'node:tls';
import { compose, type Handler, Headers, RwsError } from '@rws/core';
import type { Http2Server } from '@rws/h2';
import type { Http3Server, Http3TlsOptions } from '@rws/h3';
import { Http1Server } from '@rws/http1';
import { Metrics } from '@rws/middleware/metrics';
import { AlpnDispatch } from '../alpn-dispatch.js';
import { ERROR_CODES } from '../errors.js';
import type {
  ReloadOptions,
  RunningServer,
  Servable,
  ServerCloseOptions,
  ServerUrl,
} from '../types.js';
import { acmeAlpnServer } from './acme/alpn-server.js';
import { isAcmeTlsHello } from './acme/client-hello.js';
import { withHttp01 } from './acme/http01.js';
import { createH2Codec, h2cUpgradeHandler, sniffPreface } from './h2-codec.js';
import { altSvcValue, http3TlsOptions, listenHttp3, withAltSvc } from './h3-listener.js';
import { hostCheckMiddleware } from './host-check.js';
import { OcspStapler } from './ocsp/stapler.js';
import { type ResolvedOptions, resolveOptions, restartOnlyChanges, toHandler } from './options.js';
import { adminHandler, buildPipeline } from './pipeline.js';
import { redirectHandler } from './redirect.js';
import { installSignalHandlers } from './signals.js';
import {
  loadTlsContexts,
  type QuicCertificates,
  selectContext,
  type TlsContexts,
} from './tls-contexts.js';

/** `http://host:port` with IPv6 literals in brackets (RFC 3986 §3.2.2). */
function formatUrl(scheme: string, address: string, port: number): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `${scheme}://${host}:${port}`;
}

/**
 * `RWS_SERVER_LISTEN_FAILED` for a failed bind, saying why in words (the node error stays as
 * `cause`, so callers can test `cause.code === 'EADDRINUSE'`).
 */
export function listenError(err: unknown, host: string, port: number, what: string): RwsError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  let reason: string;
  if (code === 'EADDRINUSE') reason = `port ${port} is already in use`;
  else if (code === 'EADDRNOTAVAIL') reason = `address ${host} is not an address of this machine`;
  else if (code === 'EACCES' && port > 0 && port < 1024) {
    reason = `port ${port} needs privileges (ports below 1024 need root or CAP_NET_BIND_SERVICE; use a port from 1024 up)`;
  } else if (code === 'EACCES') reason = `permission denied for ${host}:${port}`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') reason = `cannot resolve host ${host}`;
  else reason = err instanceof Error ? err.message : String(err);
  return new RwsError(
    ERROR_CODES.LISTEN_FAILED,
    `cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port} (${what}): ${reason}`,
    { cause: err },
  );
}

function listen(server: NetServer, port: number, host: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(listenError(err, host, port, what));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}

/** A single-process server. Create it with `SingleServer.start()`. */
export class SingleServer implements RunningServer {
  #options: ResolvedOptions;
  #app: Handler;
  /** One collector for the server's life, so counters survive reloads that toggle metrics. */
  readonly #metrics: Metrics = new Metrics({
    onCollectorError: (err) => this.#options.onError(err, null),
  });
  #pipeline: Handler;
  /** The codec instance new connections go to; replaced on reload (limits may change). */
  #http1: Http1Server;
  /** Earlier codec instances, still serving the connections they own. */
  #retired = new Set<Http1Server>();
  /** The HTTP/2 codec (TLS with `http2`, or `h2c`), or null. Its handler is `#entry`. */
  #h2: Http2Server | null;
  /** HTTP/3 on UDP at the TLS port number (`http3`), or null. */
  #h3: Http3Server | null = null;
  /** The main listener: always node:net; TLS connections are sniffed, then go to `#tlsServer`. */
  #listener: NetServer;
  /** Runs TLS handshakes on sockets the main listener accepted; never listens itself. */
  #tlsServer: TlsServer | null = null;
  /** Fetches and caches OCSP responses for the TLS certificates, or null when stapling is off. */
  #ocsp: OcspStapler | null = null;
  /** Answers plain HTTP sent to the TLS port (400 with a hint, or the HTTPS redirect). */
  #plainOnTls: Http1Server | null = null;
  #redirect: Http1Server | null = null;
  #admin: Http1Server | null = null;
  #tls: TlsContexts | null;
  #sockets = new Set<Socket>();
  #isListening = false;
  #isDraining = false;
  #closePromise: Promise<void> | null = null;
  #resolveClosed!: () => void;
  #uninstallSignals: (() => void) | null = null;
  #isSignalShutdown = false;
  /** ALPN ids of the main listener (what `urls` reports). */
  #protocols: readonly string[] = ['http/1.1'];
  /** Read once listening, so they stay valid after close (for logs). */
  #urls: readonly ServerUrl[] = [];
  #address: { readonly host: string; readonly port: number; readonly family: string };
  /** The `Alt-Svc` value of the HTTP/3 listener (set with `#h3`). */
  #altSvc = '';
  readonly closed: Promise<void>;

  private constructor(app: Handler, options: ResolvedOptions, tls: TlsContexts | null) {
    this.#options = options;
    this.#app = app;
    this.#tls = tls;
    this.#address = { host: options.host, port: options.port, family: '' };
    this.#metrics.setCollectors(options.metricsCollectors);
    this.#pipeline = buildPipeline(
      app,
      options,
      this.#isReadyFn,
      options.metrics ? this.#metrics : null,
      this.#portFn,
    );
    this.#h2 = createH2Codec(this.#entry, options);
    this.#http1 = this.#createHttp1(options);
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#listener = tls === null ? this.#createPlainListener() : this.#createTlsListener(tls);
    this.#applyListenerLimits(options);
  }

  /**
   * Validates options, loads certificates, and listens. Nothing listens when anything fails.
   * `signalMode` is `'worker'` in a cluster worker (signals always handled, SIGHUP ignored).
   */
  static async start(
    app: Servable,
    options: ResolvedOptions,
    signalMode: 'auto' | 'worker' = 'auto',
  ): Promise<SingleServer> {
    const handler = toHandler(app);
    await options.acme?.prepare();
    const tls =
      options.tls === null ? null : await loadTlsContexts(options.tls, options.acme, options.http3);
    const server = new SingleServer(handler, options, tls);
    try {
      await server.#listen();
    } catch (err) {
      server.#ocsp?.close(); // Its first fetch already started.
      throw err;
    }
    options.acme?.start({
      reloadCertificates: () => server.reloadCertificates(),
      onLog: (message) => server.#options.onLog(message),
      onError: (err) => server.#options.onError(err, null),
    });
    if (signalMode === 'worker') server.#installSignals(true);
    else if (options.handleSignals === true) server.#installSignals(false);
    return server;
  }

  // --------------------------------------------------------------- RunningServer

  get url(): string {
    return this.#urls[0]?.url ?? '';
  }

  get urls(): readonly ServerUrl[] {
    return this.#urls;
  }

  get address(): { readonly host: string; readonly port: number; readonly family: string } {
    return this.#address;
  }

  get isReady(): boolean {
    return this.#isListening && !this.#isDraining;
  }

  get isDraining(): boolean {
    return this.#isDraining;
  }

  /** The metrics collector, or null when metrics are off. */
  get metrics(): Metrics | null {
    return this.#options.metrics ? this.#metrics : null;
  }

  close(options: ServerCloseOptions = {}): Promise<void> {
    this.#closePromise ??= this.#close(
      options.graceMs ?? this.#options.graceMs,
      options.shutdownDelayMs ?? this.#options.shutdownDelayMs,
    );
    return this.#closePromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async reload(options: ReloadOptions): Promise<void> {
    if (this.#isDraining) {
      throw new RwsError(ERROR_CODES.CLOSED, 'reload() on a server that is closing');
    }
    const { handler, ...rest } = options;
    // Build everything first; only swap when nothing failed, so a bad reload changes nothing.
    const next = resolveOptions(rest);
    const changed = restartOnlyChanges(this.#options, next);
    if (changed.length > 0) {
      throw new RwsError(
        ERROR_CODES.RELOAD_NEEDS_RESTART,
        `reload() cannot change ${changed.join(', ')}; restart the server to apply it`,
      );
    }
    const app = handler === undefined ? this.#app : toHandler(handler);
    const tls = next.tls === null ? null : await loadTlsContexts(next.tls, next.acme, next.http3);
    if (this.#isDraining) {
      throw new RwsError(ERROR_CODES.CLOSED, 'reload() on a server that is closing');
    }
    const metrics = next.metrics ? this.#metrics : null;
    const pipeline = buildPipeline(app, next, this.#isReadyFn, metrics, this.#portFn);

    this.#options = next;
    this.#app = app;
    this.#pipeline = pipeline;
    this.#metrics.setCollectors(next.metricsCollectors);
    if (tls !== null) this.#applyTls(tls);
    this.#retired.add(this.#http1);
    this.#http1 = this.#createHttp1(next);
    this.#applyListenerLimits(next);
    this.#pruneRetired();
  }

  async reloadCertificates(): Promise<void> {
    if (this.#isDraining) {
      throw new RwsError(ERROR_CODES.CLOSED, 'reloadCertificates() on a server that is closing');
    }
    const config = this.#options.tls;
    if (config === null) return;
    this.#applyTls(await loadTlsContexts(config, this.#options.acme, this.#options.http3));
  }

  // --------------------------------------------------------------- internals

  #isReadyFn = (): boolean => this.isReady;

  #portFn = (): number => this.#address.port;

  /** Every codec instance calls this one function, so a reload swaps the chain for all. */
  #entry: Handler = (req) =>
    this.#h3 === null ? this.#pipeline(req) : withAltSvc(this.#pipeline(req), this.#altSvc);

  #createHttp1(options: ResolvedOptions): Http1Server {
    const { maxConnections: _perListener, ...limits } = options.limits;
    // A plain port with h2c also switches `Upgrade: h2c` requests to HTTP/2.
    const h2c = options.tls === null ? this.#h2 : null;
    return new Http1Server(h2c === null ? this.#entry : h2cUpgradeHandler(this.#entry, h2c), {
      ...limits,
      serverHeader: options.serverHeader,
      onError: options.onError,
    });
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    this.#metrics.connectionOpened();
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.#metrics.connectionClosed();
    });
  }

  #createPlainListener(): NetServer {
    // allowHalfOpen: a client may half-close after its request and still read the response.
    const server = createNetServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      this.#track(socket);
      const h2 = this.#h2;
      if (h2 === null) this.#http1.handleConnection(socket);
      else {
        sniffPreface(
          socket,
          (s) => h2.handleConnection(s),
          (s) => this.#http1.handleConnection(s),
        );
      }
    });
    return server;
  }

  #createTlsListener(tls: TlsContexts): NetServer {
    const dispatch = new AlpnDispatch();
    const h2 = this.#h2;
    if (h2 !== null) dispatch.register('h2', (socket) => h2.handleConnection(socket));
    dispatch.register('http/1.1', (socket) => this.#http1.handleConnection(socket));
    this.#plainOnTls = new Http1Server(this.#plainOnTlsHandler(), {
      onError: (err, req) => this.#options.onError(err, req),
      keepAliveTimeoutMs: 5_000,
      headersTimeoutMs: this.#options.handshakeTimeoutMs,
    });
    dispatch.registerPlaintext((socket) => this.#plainOnTls?.handleConnection(socket));
    this.#protocols = dispatch.protocols;
    const isMutual = this.#options.tls?.clientCaFile != null;
    const handshakeTimeoutMs = this.#options.handshakeTimeoutMs;
    const tlsServer = createTlsServer({
      ...tls.defaultOptions,
      ALPNProtocols: dispatch.protocols,
      SNICallback: (servername, cb) => {
        const current = this.#tls;
        cb(null, current === null ? undefined : selectContext(current, servername));
      },
      requestCert: isMutual,
      rejectUnauthorized: isMutual,
      allowHalfOpen: true,
      noDelay: true,
      // node:tls reads 0 as "use the 120 s default": a huge value stands for "no limit".
      handshakeTimeout: handshakeTimeoutMs > 0 ? handshakeTimeoutMs : 2 ** 31 - 1,
    });
    tlsServer.on('secureConnection', (socket: TLSSocket) => dispatch.dispatch(socket));
    tlsServer.on('tlsClientError', (_err: Error, socket: TLSSocket) => {
      this.#metrics.recordError('tls_handshake');
      socket.destroy();
    });
    this.#tlsServer = tlsServer;
    this.#startOcsp(tlsServer, tls);
    const acme = this.#options.acme;
    const alpnServer = acme === null ? null : acmeAlpnServer(acme);
    const toTls = (socket: Socket, firstBytes: Buffer): void => {
      // A TLS-ALPN-01 validation needs the validation certificate, chosen before the handshake.
      if (alpnServer !== null && isAcmeTlsHello(firstBytes)) alpnServer.emit('connection', socket);
      else tlsServer.emit('connection', socket);
    };
    return createNetServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      this.#track(socket);
      dispatch.sniff(socket, toTls, handshakeTimeoutMs);
    });
  }

  /**
   * Plain HTTP on the TLS port: the HTTPS redirect when a redirect port is configured (the
   * client evidently speaks HTTP to this host), else 400 with a hint, as nginx answers.
   */
  #plainOnTlsHandler(): Handler {
    if (this.#options.httpRedirectPort !== null) return this.#redirectHandler();
    const acme = this.#options.acme;
    const refuse: Handler = () => ({
      status: 400,
      headers: new Headers([
        ['content-type', 'text/plain; charset=utf-8'],
        ['connection', 'close'],
      ]),
      body: 'plain HTTP request sent to an HTTPS port\n',
    });
    return acme === null ? refuse : withHttp01(refuse, acme);
  }

  /** The HTTPS redirect, answering HTTP-01 validations first when ACME is on. */
  #redirectHandler(): Handler {
    const handler = redirectHandler(this.#portFn, this.#options.host, this.#redirectNames);
    const acme = this.#options.acme;
    return acme === null ? handler : withHttp01(handler, acme);
  }

  /** Host names the redirect may send clients to: allowed hosts, then SNI domains. */
  #redirectNames = (): string[] => {
    const names = [...(this.#options.allowedHosts ?? [])];
    for (const vh of this.#options.tls?.virtualHosts ?? []) names.push(vh.domain.toLowerCase());
    // A wildcard is no host name to redirect to.
    names.push(...(this.#options.acme?.domains ?? []).filter((d) => !d.startsWith('*.')));
    return names;
  };

  /** Staples cached OCSP responses to handshakes that ask for one (never waits for a fetch). */
  #startOcsp(tlsServer: TlsServer, tls: TlsContexts): void {
    const config = this.#options.tls?.ocsp ?? null;
    if (config === null) return;
    const stapler = new OcspStapler({
      ...config,
      onLog: (message) => this.#options.onLog(message),
      onError: (err) => this.#options.onError(err, null),
    });
    this.#ocsp = stapler;
    stapler.update(tls.chains);
    tlsServer.on('OCSPRequest', (certificate: Buffer, _issuer: Buffer, done) => {
      done(null, stapler.staple(certificate));
    });
  }

  #applyTls(tls: TlsContexts): void {
    // First, as it may still throw (nothing changed then): new QUIC handshakes use the new
    // certificates, client CA and names; open HTTP/3 connections keep theirs.
    if (this.#h3 !== null && tls.quic !== null) this.#h3.setTls(this.#http3Tls(tls.quic));
    this.#tls = tls;
    this.#ocsp?.update(tls.chains);
    // Only new handshakes use the new default context; open connections keep their session.
    this.#tlsServer?.setSecureContext(tls.defaultOptions);
  }

  #http3Tls(quic: QuicCertificates): Http3TlsOptions {
    return http3TlsOptions(quic, () => this.#ocsp);
  }

  #applyListenerLimits(options: ResolvedOptions): void {
    const max = options.limits.maxConnections ?? 0;
    // net.Server refuses (closes) connections above maxConnections before any byte is read.
    this.#listener.maxConnections = max > 0 ? max : Number.POSITIVE_INFINITY;
  }

  #pruneRetired(): void {
    for (const old of this.#retired) {
      if (old.connectionCount === 0) {
        this.#retired.delete(old);
        void old.close({ graceMs: 0 });
      }
    }
  }

  async #listen(): Promise<void> {
    const { host, port, httpRedirectPort } = this.#options;
    await listen(this.#listener, port, host, this.#tls === null ? 'http' : 'https');
    this.#listener.on('error', (err) => this.#options.onError(err, null));
    if (httpRedirectPort !== null) {
      const redirect = new Http1Server(this.#redirectHandler(), {
        onError: (err, req) => this.#options.onError(err, req),
        keepAliveTimeoutMs: 5_000,
      });
      try {
        await redirect.listen({ port: httpRedirectPort, host });
      } catch (err) {
        await new Promise<void>((resolve) => this.#listener.close(() => resolve()));
        throw listenError(err, host, httpRedirectPort, 'http redirect');
      }
      this.#redirect = redirect;
    }
    const adminOptions = this.#options.admin;
    if (adminOptions !== null) {
      // The same DNS-rebinding guard as the site: a page must not read /metrics through a
      // name it made resolve to 127.0.0.1.
      let adminPort = adminOptions.port;
      const hostCheck = hostCheckMiddleware(
        this.#options.allowedHosts,
        adminOptions.host,
        () => adminPort,
      );
      const handler = adminHandler(this.#isReadyFn, () => this.metrics, adminOptions.handler);
      const admin = new Http1Server(hostCheck === null ? handler : compose([hostCheck], handler), {
        onError: (err, req) => this.#options.onError(err, req),
        keepAliveTimeoutMs: 5_000,
      });
      try {
        await admin.listen({ port: adminOptions.port, host: adminOptions.host });
      } catch (err) {
        await new Promise<void>((resolve) => this.#listener.close(() => resolve()));
        await this.#redirect?.close({ graceMs: 0 });
        throw listenError(err, adminOptions.host, adminOptions.port, 'admin');
      }
      adminPort = admin.address()?.port ?? adminPort;
      this.#admin = admin;
    }
    const main = this.#listener.address() as AddressInfo;
    this.#address = { host: main.address, port: main.port, family: main.family };
    const quic = this.#tls?.quic ?? null;
    if (this.#options.http3 && quic !== null) {
      this.#altSvc = altSvcValue(main.port);
      try {
        this.#h3 = await listenHttp3(
          (req) => this.#pipeline(req),
          this.#options,
          this.#http3Tls(quic),
          host,
          main.port,
        );
      } catch (err) {
        await new Promise<void>((resolve) => this.#listener.close(() => resolve()));
        await this.#redirect?.close({ graceMs: 0 });
        await this.#admin?.close({ graceMs: 0 });
        throw listenError(err, host, main.port, 'http3 (udp)');
      }
    }
    const urls: ServerUrl[] = [
      {
        url: formatUrl(this.#tls === null ? 'http' : 'https', main.address, main.port),
        protocols: this.#protocols,
        transport: 'tcp',
        isRedirect: false,
      },
    ];
    const redirect = this.#redirect?.address();
    if (redirect != null) {
      urls.push({
        url: formatUrl('http', redirect.address, redirect.port),
        protocols: ['http/1.1'],
        transport: 'tcp',
        isRedirect: true,
      });
    }
    const admin = this.#admin?.address();
    if (admin != null) {
      urls.push({
        url: formatUrl('http', admin.address, admin.port),
        protocols: ['http/1.1'],
        transport: 'tcp',
        isRedirect: false,
        isAdmin: true,
      });
    }
    this.#urls = urls;
    this.#isListening = true;
  }

  #installSignals(isWorker: boolean): void {
    this.#uninstallSignals = installSignalHandlers({
      shutdown: async (signal) => {
        // Keep the handlers while draining: a second signal must still force the exit.
        this.#isSignalShutdown = true;
        const n = this.#sockets.size;
        this.#options.onLog(`received ${signal}, draining ${n} connection${n === 1 ? '' : 's'}`);
        await this.close();
        await this.#options.onShutdown?.();
        this.#options.onLog('stopped');
      },
      reload: () => this.runReloadHook(),
      onError: (err) => this.#options.onError(err, null),
      ignoreHangup: isWorker,
    });
  }

  /** What SIGHUP does: the `onReload` hook, or a certificate reload. */
  async runReloadHook(): Promise<void> {
    const hook = this.#options.onReload;
    if (hook === null) await this.reloadCertificates();
    else await hook(this);
  }

  async #close(graceMs: number, delayMs: number): Promise<void> {
    this.#isDraining = true;
    // The GOAWAY equivalent: every request's `drain` signal aborts now, so SSE streams and
    // tunnels wind down during the delay instead of holding the close for its grace period.
    for (const codec of [this.#http1, ...this.#retired]) codec.drain();
    this.#h2?.drain();
    this.#h3?.drain();
    // /readyz answers 503 from now on; keep serving for a while so load balancers notice.
    if (delayMs > 0 && this.#isListening) await new Promise((r) => setTimeout(r, delayMs));
    const listener = this.#listener;
    // Stop accepting: the port closes now, so new connections are refused.
    const listenerClosed = this.#isListening
      ? new Promise<void>((resolve) => listener.close(() => resolve()))
      : Promise.resolve();
    const redirectClosed = this.#redirect?.close({ graceMs: Math.min(graceMs, 1000) });
    // The admin listener answers /readyz 503 until the main listener is gone, then goes too.
    const adminClosed = this.#admin?.close({ graceMs: Math.min(graceMs, 1000) });
    const grace = setTimeout(() => {
      for (const socket of this.#sockets) socket.destroy();
    }, graceMs);
    const codecs = [this.#http1, ...this.#retired];
    if (this.#plainOnTls !== null) codecs.push(this.#plainOnTls);
    await Promise.all([
      ...codecs.map((codec) => codec.close({ graceMs })),
      this.#h2?.close({ graceMs }),
      this.#h3?.close({ graceMs }),
    ]);
    // Whatever is left never reached the codec (a TLS handshake in progress): drop it.
    for (const socket of this.#sockets) socket.destroy();
    await listenerClosed;
    await redirectClosed;
    await adminClosed;
    clearTimeout(grace);
    if (!this.#isSignalShutdown) this.#uninstallSignals?.();
    this.#ocsp?.close();
    await this.#options.acme?.close();
    this.#resolveClosed();
  }
}
