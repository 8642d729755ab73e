import type { DiscoverySource } from '../discovery.js';
import {
  type KubernetesApiOptions,
  kubeEndpoint,
  kubeWatch,
} from '../internal/discovery/kube-client.js';
import { serviceBackends } from '../internal/discovery/kube-service.js';
import { invalidOption } from '../internal/proxy-error.js';

export type { KubernetesApiOptions } from '../internal/discovery/kube-client.js';

/** Options of `kubernetesSource`. */
export interface KubernetesSourceOptions extends KubernetesApiOptions {
  namespace: string;
  service: string;
  /** The Service port, by number or name. */
  port: number | string;
  /** Default `http`. */
  scheme?: 'http' | 'https' | undefined;
}

/**
 * Backends of a Kubernetes Service: the ready addresses of its EndpointSlices on the target
 * port behind the named Service port, watched (`?watch=1`) so rollouts apply as they happen.
 * Authenticates as the pod's service account unless told otherwise.
 */
export function kubernetesSource(options: KubernetesSourceOptions): DiscoverySource {
  for (const key of ['namespace', 'service'] as const) {
    if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(options[key])) {
      throw invalidOption(key, options[key], 'a Kubernetes object name');
    }
  }
  const name = `kubernetes:${options.namespace}/${options.service}:${options.port}`;
  const timeoutMs = options.timeoutMs ?? 5000;
  const ep = kubeEndpoint(options, name);
  const ns = encodeURIComponent(options.namespace);
  const ref = {
    namespace: options.namespace,
    service: options.service,
    port: options.port,
    scheme: options.scheme ?? 'http',
  };
  const selector = encodeURIComponent(`kubernetes.io/service-name=${options.service}`);
  return {
    name,
    resolve: ({ signal } = {}) => serviceBackends(ep, name, ref, timeoutMs, signal),
    watch: (onChange, onError) =>
      kubeWatch(
        ep,
        name,
        [`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=${selector}`],
        timeoutMs,
        onChange,
        onError,
      ),
  };
}
