import cluster from 'node:cluster';
import { availableParallelism, networkInterfaces } from 'node:os';
import { isRwsError, normalizeHost, type Request } from '@rws/core';
import { createLogSink, type LogSink } from '@rws/middleware/access-log';
import type { SessionStore } from '@rws/middleware/session';
import { createGateway, type Gateway, GatewayConfigError, hasGatewaySections } from '@rws/proxy';
import { type RunningServer, type ServeOptions, serve } from '@rws/server';
import { createAcmeManager } from './acme.js';
import { renderBanner } from './banner.js';
import { type ConfigProblem, formatProblem } from './config/problem.js';
import type { ResolveConfigResult } from './config/resolve-config.js';
import type { ServerConfig } from './config/server-config.js';
import { type CreateHandlerOptions, createHandler } from './create-handler.js';
import { openGatewaySessionStore } from './gateway-session-store.js';
import { describeError } from './internal/describe-error.js';
import { openBrowser, urlToOpen } from './internal/open-browser.js';
import { otlpConfigFromEnv } from './internal/otlp-config.js';
import { startOtlpTracing } from './internal/otlp-tracing.js';
import { planReload } from './internal/plan-reload.js';
import { Maintenance } from './maintenance.js';
import { toServeOptions } from './to-serve-options.js';
import { VERSION } from './version.js';

/** What `startServer` needs besides the configuration. */
export interface StartContext extends CreateHandlerOptions {
  /** The banner goes here. */
  stdout(text: string): void;
  /** Reload reports, warnings and server errors go here. */
  stderr(text: string): void;
  /**
   * Resolves the configuration again the way the running one was resolved (same argv, env
   * and working directory; the config file re-read). Called on SIGHUP.
   */
  resolve(): ResolveConfigResult | Promise<ResolveConfigResult>;
  /**
   * False when no flag, env var or file named the port: if the default port is busy, the
   * next free one is taken (and the banner says so), as serve does. Default true: a busy
   * port is an error.
   */
  isPortExplicit?: boolean | undefined;
  /** `--open` runs this command with the URL instead of the platform's opener (`RWS_OPENER`). */
  opener?: string | undefined;
  /**
   * The environment the OpenTelemetry variables are read from: with
   * `OTEL_EXPORTER_OTLP_ENDPOINT` set, every request gets a server span exported over
   * OTLP/HTTP by the OpenTelemetry SDK. Default: none (no export).
   */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** What a reload did, for the admin endpoint's `reload_config`. */
interface ReloadOutcome {
  readonly applied: boolean;
  readonly message: string;
}

/** How many ports after a busy default port are tried. */
const PORT_ATTEMPTS = 20;

/** True for the error `serve()` rejects with when `port` itself (not another port) is in use. */
function isPortInUse(err: unknown, port: number): boolean {
  if (!isRwsError(err, 'RWS_SERVER_LISTEN_FAILED')) return false;
  const cause = err.cause as { code?: unknown; port?: unknown } | undefined;
  // `port` tells the main listener from the redirect one when Node reports it.
  return cause?.code === 'EADDRINUSE' && (cause.port === undefined || cause.port === port);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function problemLines(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `  ${formatProblem(p)}\n`).join('');
}

/** True when the config file has gateway work: routes or upstreams. */
export function isGatewayMode(config: ServerConfig): boolean {
  return config.proxy !== null && config.configFile !== null && hasGatewaySections(config.proxy);
}

/**
 * Builds the gateway of `config` (its file re-read); throws `GatewayConfigError`.
 * `onCertificatesChange` hears that its `[kubernetes_ingress]` TLS certificates changed.
 */
function startGateway(
  config: ServerConfig,
  sqlSessionStore: SessionStore | undefined,
  onCertificatesChange: () => void = () => {},
): Promise<Gateway> {
  return createGateway(
    { path: config.configFile! },
    { ignoreOtherKeys: true, sqlSessionStore, onCertificatesChange },
  );
}

/**
 * The gateway's Ingress TLS certificates served by SNI (rebuilt by `reloadCertificates()`
 * when they change), when the main listener speaks TLS.
 */
function withIngressCertificates(
  options: ServeOptions,
  gateway: Gateway | null,
): Pick<ServeOptions, 'sniCertificates'> {
  const isTls = options.tlsCertFile !== undefined || options.acme !== undefined;
  if (gateway === null || gateway.config.kubernetesIngress === null || !isTls) return {};
  return { sniCertificates: () => gateway.certificates };
}

/** True in the primary of a multi-worker run: it forks the workers and serves nothing itself. */
function isClusterPrimary(config: ServerConfig): boolean {
  const workers = config.workers === 'auto' ? availableParallelism() : config.workers;
  return !cluster.isWorker && workers > 1;
}

/**
 * Serves `config` with `@rws/server` and resolves once every listener is bound, after
 * printing the startup banner (URLs, root, config file) to stdout. SIGTERM/SIGINT drain and
 * exit 0; SIGHUP re-resolves the configuration and applies it live (see `reload` in the
 * README). Rejects, with nothing listening, when a listener cannot bind or a certificate
 * cannot be loaded.
 *
 * In a `node:cluster` worker (`workers` > 1) it serves without a banner: the primary prints it.
 */
export async function startServer(
  config: ServerConfig,
  context: StartContext,
): Promise<RunningServer> {
  const { stdout, stderr } = context;
  const warn = (m: string): void => stderr(`rws: warning: ${m}\n`);
  const otlp = otlpConfigFromEnv(context.env ?? {}, warn);
  const exporter = otlp === null ? null : await startOtlpTracing(otlp, warn);
  // The access log's destination is fixed for the process (a reload keeps it): one buffered
  // sink, flushed on shutdown and on exit. A test's `writeLog` replaces it.
  const destination = config.accessLog;
  const logSink: LogSink | null =
    context.writeLog === undefined && destination !== 'off' ? createLogSink({ destination }) : null;
  const handlerOptions: CreateHandlerOptions = {
    writeLog: context.writeLog ?? logSink?.write,
    // Colour is for a terminal: never in a file.
    isTTY:
      destination === 'stdout' || destination === 'stderr'
        ? (context.isTTY ?? process[destination].isTTY === true)
        : false,
    hasAccessLog: destination !== 'off',
    ...(exporter === null ? {} : { tracing: exporter.middleware }),
  };
  let current = config;
  // Set once the server listens: Ingress certificates that change before are read at start.
  let reloadCertificates: (() => void) | null = null;
  const onCertificatesChange = (): void => reloadCertificates?.();
  // Built before anything listens: a gateway problem stops the start with every problem listed.
  let gateway: Gateway | null = null;
  // `[session] store = "sql"`: one database for the process, kept across reloads.
  const sqlSessionStore = isGatewayMode(config)
    ? openGatewaySessionStore(config, context.env ?? process.env)
    : undefined;
  if (isGatewayMode(config)) {
    try {
      if (isClusterPrimary(config)) {
        // The workers serve (and bind the TCP/UDP listeners); the primary only checks the
        // gateway builds, so a bad one stops the start here instead of in every worker.
        const probe = await createGateway(
          { path: config.configFile! },
          { ignoreOtherKeys: true, startListeners: false, sqlSessionStore },
        );
        await probe.close();
      } else gateway = await startGateway(config, sqlSessionStore, onCertificatesChange);
    } catch (err) {
      await sqlSessionStore?.close?.();
      throw err;
    }
  }
  // SIGHUPs in quick succession reload one after the other, each against the last result.
  let queue: Promise<void> = Promise.resolve();

  const onError = (err: unknown, req: Request | null): void => {
    const where = req === null ? '' : ` (${req.method} ${req.target})`;
    stderr(`rws: error${where}: ${describeError(err)}\n`);
  };

  /** Reports a failed reload on stderr; the admin endpoint's tool gets the same text. */
  const failed = (text: string): ReloadOutcome => {
    const report = `rws: reload failed: ${text}rws: still serving the previous configuration\n`;
    stderr(report);
    return { applied: false, message: report };
  };
  const reloadOnce = async (server: RunningServer): Promise<ReloadOutcome> => {
    const result = await context.resolve();
    for (const w of result.warnings) stderr(`rws: warning: ${formatProblem(w)}\n`);
    if (result.problems.length > 0) {
      const n = result.problems.length;
      return failed(
        `configuration has ${n} problem${n === 1 ? '' : 's'}:\n${problemLines(result.problems)}`,
      );
    }
    const plan = planReload(current, result.config);
    for (const change of plan.needsRestart) {
      stderr(`rws: warning: reload: ${change} needs a restart; not applied\n`);
    }
    // The gateway reloads in place, so unchanged upstreams keep their connections and state.
    let next: Gateway | null = null;
    try {
      // A cluster primary has no gateway of its own: each worker reloads its own.
      if (isGatewayMode(plan.config) && !isClusterPrimary(plan.config)) {
        if (gateway === null)
          next = await startGateway(plan.config, sqlSessionStore, onCertificatesChange);
        else {
          const r = await gateway.reload();
          if (!r.isApplied) throw new GatewayConfigError(r.problems);
          next = gateway;
        }
      }
    } catch (err) {
      return failed(
        err instanceof GatewayConfigError
          ? `configuration has ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}:\n${problemLines(err.problems)}`
          : `${message(err)}\n`,
      );
    }
    try {
      const handler = maintenance.wrap(
        createHandler(plan.config, { ...handlerOptions, gateway: next ?? undefined }),
      );
      await server.reload({ ...serveOptions(plan.config, next), handler });
    } catch (err) {
      return failed(`${message(err)}\n`);
    }
    if (gateway !== null && next !== gateway) void gateway.close();
    gateway = next;
    current = plan.config;
    const done = `rws: reloaded configuration (config: ${current.configFile ?? 'none'})\n`;
    stderr(done);
    const skipped = plan.needsRestart.map((c) => `${c} needs a restart; not applied\n`).join('');
    return { applied: true, message: done + skipped };
  };
  /** One reload after the ones already queued (SIGHUP, the admin endpoint). */
  const reloadNow = (server: RunningServer): Promise<ReloadOutcome> => {
    const run = queue.then(() => reloadOnce(server));
    queue = run.then(
      () => {},
      () => {},
    );
    return run;
  };
  const maintenance = new Maintenance();
  let server: RunningServer | undefined;
  // [admin] mcp_token: the admin listener also serves the MCP endpoint (admin-mcp.ts),
  // loaded only then so that every other start stays as quick as it was.
  const adminMcp =
    config.adminMcpToken === null || config.admin === null
      ? null
      : (await import('./admin-mcp.js')).createAdminMcpHandler(config.adminMcpToken, {
          config: () => current,
          server: () => server ?? null,
          gateway: () => gateway,
          reload: () =>
            server === undefined
              ? Promise.resolve({ applied: false, message: 'the server is not started yet' })
              : reloadNow(server),
          maintenance,
        });

  // One manager for the process's life: [acme] is restart-only, so a reload keeps it.
  const acme = createAcmeManager(config);
  const serveOptions = (c: ServerConfig, gw: Gateway | null): ServeOptions => ({
    ...toServeOptions(c),
    ...(acme === null ? {} : { acme }),
    ...withRouteHosts(toServeOptions(c).allowedHosts, gw),
    ...withIngressCertificates({ ...toServeOptions(c), ...(acme === null ? {} : { acme }) }, gw),
    ...withAdminMcp(c),
    handleSignals: true,
    // Per-backend health, ejections and counters of the gateway's upstreams, read on every
    // scrape from the generation in force (a reload swaps them with the gateway).
    ...(gw === null ? {} : { metrics: { collectors: [() => upstreamMetrics(gw)] } }),
    onError,
    onShutdown: async () => {
      await gateway?.close();
      await sqlSessionStore?.close?.();
      // The spans of the drained requests still go out.
      await exporter?.close();
      await logSink?.flush();
    },
    // "received SIGTERM, draining 2 connections", "stopped".
    onLog: (line) => stderr(`rws: ${line}\n`),
    onReload: async (running) => {
      await reloadNow(running);
    },
  });
  const withAdminMcp = (c: ServerConfig): Pick<ServeOptions, 'admin'> => {
    const admin = toServeOptions(c).admin;
    if (adminMcp === null || admin === undefined || admin === false) return {};
    return { admin: { ...admin, handler: adminMcp } };
  };

  const handler = maintenance.wrap(
    createHandler(config, { ...handlerOptions, gateway: gateway ?? undefined }),
  );
  const workers = config.workers === 'auto' ? availableParallelism() : config.workers;
  // Only a single process falls back: cluster workers each bind on their own, and must agree.
  const canFallBack =
    context.isPortExplicit === false && config.port !== 0 && workers === 1 && !cluster.isWorker;
  // The configuration keeps the asked-for port, so a reload does not see a port change.
  let port = config.port;
  for (let attempt = 0; server === undefined; attempt++) {
    try {
      server = await serve(handler, { ...serveOptions(config, gateway), port });
    } catch (err) {
      if (
        !canFallBack ||
        attempt + 1 >= PORT_ATTEMPTS ||
        port >= 65535 ||
        !isPortInUse(err, port)
      ) {
        await gateway?.close();
        await sqlSessionStore?.close?.();
        await exporter?.close();
        await logSink?.close();
        throw err;
      }
      port++;
    }
  }
  const listening = server;
  reloadCertificates = () => {
    listening.reloadCertificates().catch((err: unknown) => onError(err, null));
  };
  if (
    gateway !== null &&
    gateway.certificates.length > 0 &&
    !('sniCertificates' in serveOptions(config, gateway))
  ) {
    warn(
      '[kubernetes_ingress] TLS certificates are not served: rws listens without TLS (set tls_cert_file/tls_key_file or [acme])',
    );
  }
  if (!cluster.isWorker) {
    stdout(
      renderBanner({
        version: VERSION,
        root: config.root,
        configFile: config.configFile,
        urls: server.urls,
        workers,
        busyPort: port === config.port ? null : config.port,
        interfaces: networkInterfaces(),
      }),
    );
    for (const l of gateway?.listeners ?? []) {
      const host = l.host.includes(':') ? `[${l.host}]` : l.host;
      stdout(
        `  ${l.kind}_proxy ${l.name ?? ''}${l.name === null ? '' : ' '}on ${host}:${l.port}\n`,
      );
    }
    const url = config.open ? urlToOpen(server.urls) : null;
    if (url !== null) openBrowser(url, context.opener, (m) => stderr(`rws: warning: ${m}\n`));
  }
  return server;
}

/** Every upstream's `rws_upstream_backend_*` families, for `/metrics`. */
function upstreamMetrics(gateway: Gateway): string {
  let out = '';
  for (const upstream of gateway.upstreams.values()) out += upstream.metrics();
  return out;
}

/**
 * The host names the gateway's routes match (`[route.match] host`) are names this server is
 * meant to be reached by, so the DNS-rebinding guard answers them too (a loopback-bound
 * gateway would otherwise refuse its own routes with 421).
 */
function withRouteHosts(
  allowed: ServeOptions['allowedHosts'],
  gateway: Gateway | null,
): Pick<ServeOptions, 'allowedHosts'> {
  if (gateway === null || allowed === 'any')
    return allowed === undefined ? {} : { allowedHosts: allowed };
  // Ingress hosts come and go with the cluster: without an explicit list, every Host is served
  // (a list of only the [[route]] hosts would answer the Ingress hosts 421).
  if (gateway.config.kubernetesIngress !== null && allowed === undefined) {
    return { allowedHosts: 'any' };
  }
  const names = new Set(allowed ?? []);
  for (const route of gateway.config.routes) {
    const host = route.match.host;
    if (host !== null) names.add(normalizeHost(host));
  }
  return names.size === 0 ? {} : { allowedHosts: [...names] };
}
