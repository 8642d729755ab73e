/** A Service's ready endpoints: the Service's port mapped through its EndpointSlices. */
import type { BackendOptions } from '../../upstream.js';
import type { ControlEndpoint } from './control-http.js';
import { discoveryError, requestJson } from './control-http.js';
import { kubeList } from './kube-client.js';

interface ServiceObject {
  spec?: { ports?: { name?: string; port?: number }[] };
}

interface EndpointSlice {
  ports?: { name?: string | null; port?: number }[] | null;
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean | null } }[] | null;
}

/** `namespace/name:port`; `port` is the Service port's number or name. */
export async function serviceBackends(
  ep: ControlEndpoint,
  source: string,
  ref: { namespace: string; service: string; port: number | string; scheme: 'http' | 'https' },
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<BackendOptions[]> {
  const ns = encodeURIComponent(ref.namespace);
  const svcName = encodeURIComponent(ref.service);
  const { body: svc } = await requestJson<ServiceObject>(ep, {
    source,
    path: `/api/v1/namespaces/${ns}/services/${svcName}`,
    timeoutMs,
    signal,
  });
  const sp = (svc.spec?.ports ?? []).find((p) =>
    typeof ref.port === 'number' ? p.port === ref.port : p.name === ref.port,
  );
  if (sp === undefined) {
    throw discoveryError(
      source,
      `service ${ref.namespace}/${ref.service} has no port ${JSON.stringify(ref.port)}`,
    );
  }
  const portName = sp.name ?? '';
  const selector = encodeURIComponent(`kubernetes.io/service-name=${ref.service}`);
  const slices = await kubeList<EndpointSlice>(
    ep,
    source,
    `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=${selector}`,
    timeoutMs,
    signal,
  );
  const urls = new Set<string>();
  for (const slice of slices.items ?? []) {
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName)?.port;
    if (port === undefined) continue;
    for (const e of slice.endpoints ?? []) {
      // `ready` unset means ready (the EndpointSlice API's rule).
      if (e.conditions?.ready === false) continue;
      for (const a of e.addresses ?? []) {
        urls.add(`${ref.scheme}://${a.includes(':') ? `[${a}]` : a}:${port}`);
      }
    }
  }
  return [...urls].sort().map((url) => ({ url }));
}
