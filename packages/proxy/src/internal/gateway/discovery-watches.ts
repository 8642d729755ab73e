/**
 * The gateway's live sources: one `watchDiscovery` per `[upstream.discovery]` and one Ingress
 * router for `[kubernetes_ingress]`. They outlive reloads: after each swap `sync()` keeps the
 * watches whose upstream object and settings stayed, starts the new ones (waiting for their
 * first answer) and stops the rest.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Handler, Request, Response } from '@rws/core';
import type { KeyPath } from '../../config/config-problem.js';
import type {
  GatewayConfig,
  GatewayDiscovery,
  GatewayKubernetesIngress,
} from '../../config/gateway-config.js';
import { consulSource } from '../../discovery/consul.js';
import { dnsSource } from '../../discovery/dns.js';
import { dockerSource } from '../../discovery/docker.js';
import { etcdSource } from '../../discovery/etcd.js';
import { fileSource } from '../../discovery/file.js';
import { kubernetesSource } from '../../discovery/kubernetes.js';
import { type IngressTls, kubernetesIngressSource } from '../../discovery/kubernetes-ingress.js';
import { type DiscoverySource, type DiscoveryWatch, watchDiscovery } from '../../discovery.js';
import { createIngressRouter, type IngressRouter } from '../../ingress-router.js';
import type { Upstream } from '../../upstream.js';
import { discoveryError } from '../discovery/control-http.js';

/** Where sources report: the upstream (or `kubernetes_ingress`) and what failed. */
export type DiscoveryErrorHandler = (error: Error, where: string) => void;

interface Context {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** A dropped Ingress router serves requests already running for this long. */
const DRAIN_MS = 30_000;

/** Config problems only the environment can show (a Consul `token_env` that is unset). */
export function checkDiscoveryEnv(
  config: GatewayConfig,
  env: Readonly<Record<string, string | undefined>>,
  problem: (path: KeyPath, message: string) => void,
): void {
  config.upstreams.forEach((u, i) => {
    const d = u.discovery;
    const [key, name] =
      d?.type === 'consul'
        ? ['token_env', d.tokenEnv]
        : d?.type === 'etcd'
          ? ['password_env', d.passwordEnv]
          : ['', null];
    if (name === null) return;
    const value = env[name];
    if (value === undefined || value === '') {
      problem(
        ['upstream', i, 'discovery', key],
        `environment variable ${name} is not set or empty`,
      );
    }
  });
}

/** The PEM files given, read now (a source is built at start and on reload, not per request). */
function pemFiles(
  files: Record<'ca' | 'cert' | 'key', string | undefined>,
): Partial<Record<'ca' | 'cert' | 'key', Buffer>> {
  const out: Partial<Record<'ca' | 'cert' | 'key', Buffer>> = {};
  for (const [k, path] of Object.entries(files) as ['ca' | 'cert' | 'key', string | undefined][]) {
    if (path === undefined) continue;
    try {
      out[k] = readFileSync(path);
    } catch (err) {
      throw discoveryError(
        'etcd',
        `cannot read the ${k}_file ${path}: ${(err as Error).message}`,
        err,
      );
    }
  }
  return out;
}

function sourceFor(d: GatewayDiscovery, ctx: Context): DiscoverySource {
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(ctx.cwd, p));
  const file = (p: string | null): string | undefined => (p === null ? undefined : at(p));
  const timeoutMs = d.timeoutMs;
  switch (d.type) {
    case 'etcd':
      return etcdSource({
        endpoints: d.endpoints,
        prefix: d.prefix,
        timeoutMs,
        ...(d.username === null ? {} : { username: d.username }),
        ...(d.passwordEnv === null ? {} : { password: ctx.env[d.passwordEnv] ?? '' }),
        ...pemFiles({ ca: file(d.caFile), cert: file(d.certFile), key: file(d.keyFile) }),
      });
    case 'consul':
      return consulSource({
        address: d.address,
        service: d.service,
        tag: d.tag ?? undefined,
        datacenter: d.datacenter ?? undefined,
        token: d.tokenEnv === null ? undefined : ctx.env[d.tokenEnv],
        scheme: d.scheme,
        waitSecs: d.waitSecs,
        timeoutMs,
      });
    case 'docker':
      return dockerSource({
        upstream: d.label,
        socketPath: at(d.socket),
        network: d.network ?? undefined,
        port: d.port,
        timeoutMs,
      });
    case 'kubernetes':
      return kubernetesSource({
        namespace: d.namespace,
        service: d.service,
        port: d.port,
        scheme: d.scheme,
        apiServer: d.apiServer ?? undefined,
        tokenFile: file(d.tokenFile),
        caFile: file(d.caFile),
        env: ctx.env,
        timeoutMs,
      });
    case 'dns':
      return dnsSource({
        hostname: d.hostname,
        type: d.recordType,
        port: d.port ?? undefined,
        scheme: d.scheme,
        servers: d.servers.length === 0 ? undefined : d.servers,
        timeoutMs,
      });
    case 'file':
      return fileSource(at(d.path));
  }
}

function ingressRouterFor(
  k: GatewayKubernetesIngress,
  ctx: Context,
  onError: DiscoveryErrorHandler,
  onUpdate: () => void,
): IngressRouter {
  const at = (p: string | null): string | undefined =>
    p === null ? undefined : isAbsolute(p) ? p : resolve(ctx.cwd, p);
  const source = kubernetesIngressSource({
    ingressClass: k.ingressClass,
    namespace: k.namespace ?? undefined,
    apiServer: k.apiServer ?? undefined,
    tokenFile: at(k.tokenFile),
    caFile: at(k.caFile),
    env: ctx.env,
    timeoutMs: k.timeoutMs,
  });
  return createIngressRouter(source, {
    refreshMs: k.refreshMs,
    onError: (e) => onError(e, 'kubernetes_ingress'),
    onUpdate,
  });
}

/** The gateway's discovery watches and Ingress router, kept across reloads. */
export interface DiscoveryWatches {
  /**
   * Aligns the watches with `config` and the upstream objects now in force; resolves once new
   * sources answered (or failed) the first time.
   */
  sync(
    config: GatewayConfig,
    upstreams: ReadonlyMap<string, Upstream>,
    ctx: Context,
  ): Promise<void>;
  /** Serves a request through the Ingress routes, or passes it to `next`. */
  handle(req: Request, next: Handler): Promise<Response>;
  /** The Ingress TLS certificates in force (empty without `[kubernetes_ingress]`). */
  readonly certificates: readonly IngressTls[];
  close(): Promise<void>;
}

/**
 * `onCertificatesChange` runs when the Ingress TLS certificates in force change (a Secret
 * rotated, an Ingress added or dropped), so a TLS listener can rebuild its SNI contexts.
 */
export function createDiscoveryWatches(
  onError: DiscoveryErrorHandler,
  onCertificatesChange: () => void = () => {},
): DiscoveryWatches {
  let watches = new Map<Upstream, { key: string; watch: DiscoveryWatch }>();
  let ingress: { key: string; router: IngressRouter } | null = null;
  const retiring = new Set<IngressRouter>();
  let lastTls = '[]';
  const certificates = (): readonly IngressTls[] => ingress?.router.snapshot.tls ?? [];
  const checkCertificates = (): void => {
    const next = JSON.stringify(certificates());
    if (next === lastTls) return;
    lastTls = next;
    onCertificatesChange();
  };

  return {
    async sync(config, upstreams, ctx) {
      const next = new Map<Upstream, { key: string; watch: DiscoveryWatch }>();
      const starting: Promise<void>[] = [];
      for (const u of config.upstreams) {
        const upstream = upstreams.get(u.name);
        if (u.discovery === null || upstream === undefined) continue;
        // The static list is part of the key: a reload that changes it re-applies discovery.
        const key = JSON.stringify([u.discovery, u.backends.map((b) => b.url), ctx.cwd]);
        const had = watches.get(upstream);
        if (had !== undefined && had.key === key) {
          next.set(upstream, had);
          continue;
        }
        const where = `upstream ${u.name}`;
        let source: DiscoverySource;
        try {
          source = sourceFor(u.discovery, ctx);
        } catch (err) {
          // Validation catches what a source refuses; should one slip through, report it.
          onError(err as Error, where);
          continue;
        }
        const watch = watchDiscovery(upstream, source, {
          refreshMs: u.discovery.refreshMs,
          onError: (e) => onError(e, where),
        });
        next.set(upstream, { key, watch });
        starting.push(watch.ready);
      }
      for (const [upstream, w] of watches) if (next.get(upstream) !== w) w.watch.close();
      watches = next;

      const k = config.kubernetesIngress;
      const key = k === null ? null : JSON.stringify([k, ctx.cwd]);
      if (ingress !== null && ingress.key !== key) {
        const old = ingress.router;
        retiring.add(old);
        setTimeout(() => {
          retiring.delete(old);
          void old.close();
        }, DRAIN_MS).unref();
        ingress = null;
      }
      if (k !== null && key !== null && ingress === null) {
        ingress = { key, router: ingressRouterFor(k, ctx, onError, checkCertificates) };
        starting.push(ingress.router.ready);
      }
      await Promise.all(starting);
      checkCertificates();
    },
    get certificates() {
      return certificates();
    },
    async handle(req, next) {
      return ingress === null ? next(req) : ingress.router.handle(req, next);
    },
    async close() {
      for (const w of watches.values()) w.watch.close();
      watches.clear();
      const routers = [...retiring, ...(ingress === null ? [] : [ingress.router])];
      retiring.clear();
      ingress = null;
      await Promise.all(routers.map((r) => r.close()));
    },
  };
}
