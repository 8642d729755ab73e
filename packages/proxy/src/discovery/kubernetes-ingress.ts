import { discoveryError } from '../internal/discovery/control-http.js';
import {
  type KubernetesApiOptions,
  kubeEndpoint,
  kubeList,
  kubeWatch,
} from '../internal/discovery/kube-client.js';
import { serviceBackends } from '../internal/discovery/kube-service.js';
import { createTlsSecretCache } from '../internal/discovery/kube-tls-secrets.js';
import type { BackendOptions } from '../upstream.js';

/** Options of `kubernetesIngressSource`. */
export interface KubernetesIngressOptions extends KubernetesApiOptions {
  /** Only this namespace. Default: every namespace the service account may list. */
  namespace?: string | undefined;
  /** Only Ingresses of this class (`spec.ingressClassName`). Default `rws`. */
  ingressClass?: string | undefined;
}

/** How an Ingress path matches (networking.k8s.io/v1). */
export type IngressPathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/** One Ingress rule path with the ready backends of its Service. */
export interface IngressRoute {
  /** `namespace/name` of the Ingress. */
  readonly ingress: string;
  /** Lower-case host (`*.example.com` allowed), or null for any. */
  readonly host: string | null;
  readonly path: string;
  /** `ImplementationSpecific` is matched as `Prefix` here. */
  readonly pathType: IngressPathType;
  /** `namespace/service:port`. */
  readonly service: string;
  readonly backends: readonly BackendOptions[];
}

/**
 * A TLS entry of an Ingress with its Secret's certificate and key (PEM): the Secret as it is
 * now, or its last good pair when it was removed or turned invalid.
 */
export interface IngressTls {
  readonly ingress: string;
  readonly hosts: readonly string[];
  readonly secret: string;
  readonly cert: string;
  readonly key: string;
}

/** What the Ingresses of the class say now. */
export interface IngressSnapshot {
  /** In match order: Exact before Prefix, longer paths first. */
  readonly routes: readonly IngressRoute[];
  readonly tls: readonly IngressTls[];
}

/** Options of `IngressSource#resolve`. */
export interface IngressResolveOptions {
  signal?: AbortSignal | undefined;
  /**
   * Hears what did not stop the resolution: a TLS Secret that is missing or invalid (its last
   * good certificate stays in the snapshot). Reported once per distinct reason.
   */
  onWarning?: ((error: Error) => void) | undefined;
}

/** Routes (not only backends) from Kubernetes Ingress objects. */
export interface IngressSource {
  readonly name: string;
  resolve(options?: IngressResolveOptions): Promise<IngressSnapshot>;
  watch(onChange: () => void, onError?: (error: Error) => void): () => void;
}

interface ServiceBackend {
  service?: { name?: string; port?: { number?: number; name?: string } };
}

interface Ingress {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: {
    ingressClassName?: string;
    defaultBackend?: ServiceBackend;
    tls?: { hosts?: string[]; secretName?: string }[];
    rules?: {
      host?: string;
      http?: { paths?: { path?: string; pathType?: string; backend?: ServiceBackend }[] };
    }[];
  };
}

const PATH_TYPES = new Set(['Exact', 'Prefix', 'ImplementationSpecific']);

/** Ingress precedence: Exact before Prefix, then the longer path (the Ingress spec's rule). */
function byPrecedence(a: IngressRoute, b: IngressRoute): number {
  if ((a.host === null) !== (b.host === null)) return a.host === null ? 1 : -1;
  if (a.path.length !== b.path.length) return b.path.length - a.path.length;
  if (a.pathType !== b.pathType) return a.pathType === 'Exact' ? -1 : 1;
  return a.ingress.localeCompare(b.ingress);
}

/**
 * Routes from Kubernetes Ingress objects (networking.k8s.io/v1) of one class: each rule path
 * becomes a route to the ready EndpointSlice addresses of its Service, and each TLS entry
 * brings its `kubernetes.io/tls` Secret's certificate (checked; a Secret that goes away or
 * turns invalid keeps its last good one). Ingresses, EndpointSlices and TLS Secrets are
 * listed, then watched, so a change applies without a restart.
 */
export function kubernetesIngressSource(options: KubernetesIngressOptions = {}): IngressSource {
  const ingressClass = options.ingressClass ?? 'rws';
  const name = `kubernetes-ingress:${options.namespace ?? '*'}:${ingressClass}`;
  const timeoutMs = options.timeoutMs ?? 5000;
  const ep = kubeEndpoint(options, name);
  const scope =
    options.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(options.namespace)}`;
  const ingressPath = `/apis/networking.k8s.io/v1${scope}/ingresses`;
  const secrets = createTlsSecretCache(ep, name, timeoutMs);

  return {
    name,
    async resolve({ signal, onWarning } = {}) {
      const list = await kubeList<Ingress>(ep, name, ingressPath, timeoutMs, signal);
      const routes: IngressRoute[] = [];
      const tls: IngressTls[] = [];
      const cache = new Map<string, Promise<BackendOptions[]>>();
      for (const ing of list.items ?? []) {
        const cls =
          ing.spec?.ingressClassName ?? ing.metadata?.annotations?.['kubernetes.io/ingress.class'];
        if (cls !== ingressClass) continue;
        const ns = ing.metadata?.namespace ?? options.namespace ?? 'default';
        const id = `${ns}/${ing.metadata?.name ?? '?'}`;
        const backendsOf = async (b: ServiceBackend | undefined) => {
          const svc = b?.service;
          const port = svc?.port?.number ?? svc?.port?.name;
          if (svc?.name === undefined || port === undefined) {
            throw discoveryError(name, `ingress ${id}: a backend without service name and port`);
          }
          const key = `${ns}/${svc.name}:${port}`;
          let p = cache.get(key);
          if (p === undefined) {
            p = serviceBackends(
              ep,
              name,
              { namespace: ns, service: svc.name, port, scheme: 'http' },
              timeoutMs,
              signal,
            );
            cache.set(key, p);
          }
          return { service: key, backends: await p };
        };
        for (const rule of ing.spec?.rules ?? []) {
          const host = rule.host === undefined || rule.host === '' ? null : rule.host.toLowerCase();
          for (const p of rule.http?.paths ?? []) {
            const pathType = p.pathType ?? 'ImplementationSpecific';
            if (!PATH_TYPES.has(pathType)) {
              throw discoveryError(
                name,
                `ingress ${id}: unknown pathType ${JSON.stringify(pathType)}`,
              );
            }
            const path = p.path ?? '/';
            if (!path.startsWith('/')) {
              throw discoveryError(
                name,
                `ingress ${id}: path ${JSON.stringify(path)} must start with /`,
              );
            }
            routes.push({
              ingress: id,
              host,
              path,
              pathType: pathType as IngressPathType,
              ...(await backendsOf(p.backend)),
            });
          }
        }
        if (ing.spec?.defaultBackend !== undefined) {
          routes.push({
            ingress: id,
            host: null,
            path: '/',
            pathType: 'Prefix',
            ...(await backendsOf(ing.spec.defaultBackend)),
          });
        }
        for (const t of ing.spec?.tls ?? []) {
          if (t.secretName === undefined) continue;
          const pem = await secrets.read(ns, t.secretName, {
            ingress: id,
            signal,
            warn: onWarning,
          });
          if (pem === null) continue;
          tls.push({
            ingress: id,
            hosts: (t.hosts ?? []).map((h) => h.toLowerCase()),
            secret: `${ns}/${t.secretName}`,
            ...pem,
          });
        }
      }
      secrets.prune();
      return { routes: routes.sort(byPrecedence), tls };
    },
    watch(onChange, onError) {
      const slices = `/apis/discovery.k8s.io/v1${scope}/endpointslices`;
      // TLS Secrets too, so a rotated certificate is served without waiting for a refresh.
      const tlsSecrets = `/api/v1${scope}/secrets?fieldSelector=type%3Dkubernetes.io%2Ftls`;
      return kubeWatch(ep, name, [ingressPath, slices, tlsSecrets], timeoutMs, onChange, onError);
    },
  };
}

/** Whether `route` matches a request's host (lower case, no port) and path. */
export function isIngressMatch(route: IngressRoute, host: string, path: string): boolean {
  if (route.host !== null) {
    if (route.host.startsWith('*.')) {
      // A wildcard covers exactly one label (the Ingress spec's rule).
      const rest = host.slice(host.indexOf('.'));
      if (host.indexOf('.') <= 0 || rest !== route.host.slice(1)) return false;
    } else if (route.host !== host) return false;
  }
  if (route.pathType === 'Exact') return path === route.path;
  // Prefix matches element by element: /foo matches /foo and /foo/bar, not /foobar.
  const prefix = route.path.endsWith('/') ? route.path.slice(0, -1) : route.path;
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}
