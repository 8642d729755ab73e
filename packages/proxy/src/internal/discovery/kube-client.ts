/**
 * Talking to the Kubernetes API: in-cluster service-account auth (the token file is re-read
 * for every request because kubelet rotates it) and list + watch of a resource collection.
 */
import { readFile } from 'node:fs/promises';
import {
  type ControlEndpoint,
  discoveryError,
  keepStreaming,
  requestJson,
  streamJsonLines,
} from './control-http.js';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** How to reach the API server; every field defaults to the in-cluster service account. */
export interface KubernetesApiOptions {
  /** `https://host:port`. Default from `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT`. */
  apiServer?: string | undefined;
  /** Bearer token file. Default `/var/run/secrets/kubernetes.io/serviceaccount/token`. */
  tokenFile?: string | undefined;
  /** CA of the API server. Default `…/serviceaccount/ca.crt`. */
  caFile?: string | undefined;
  /** Where `KUBERNETES_SERVICE_*` are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Per-request deadline. Default 5000. */
  timeoutMs?: number | undefined;
}

export interface KubeList<T> {
  metadata?: { resourceVersion?: string };
  items?: T[];
}

export function kubeEndpoint(options: KubernetesApiOptions, source: string): ControlEndpoint {
  const env = options.env ?? process.env;
  // Read at request time, so a missing variable fails resolve() (reported) and not a factory.
  const apiServer = (): string => {
    if (options.apiServer !== undefined) return options.apiServer;
    const host = env['KUBERNETES_SERVICE_HOST'];
    const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
    if (host === undefined || host === '') {
      throw discoveryError(
        source,
        'not in a cluster: KUBERNETES_SERVICE_HOST is not set (set apiServer)',
      );
    }
    return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  };
  const tokenFile = options.tokenFile ?? `${SA_DIR}/token`;
  const caFile = options.caFile ?? `${SA_DIR}/ca.crt`;
  let ca: Buffer | undefined;
  return {
    get url() {
      return apiServer();
    },
    get ca() {
      return ca;
    },
    headers: async () => {
      ca ??= await readFile(caFile).catch((err: Error) => {
        throw discoveryError(source, `cannot read the CA file ${caFile}: ${err.message}`, err);
      });
      const token = (
        await readFile(tokenFile, 'utf8').catch((err: Error) => {
          throw discoveryError(source, `cannot read the token file ${tokenFile}`, err);
        })
      ).trim();
      return { authorization: `Bearer ${token}` };
    },
  };
}

/** Lists `path` (a collection URL, query allowed). */
export async function kubeList<T>(
  ep: ControlEndpoint,
  source: string,
  path: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<KubeList<T>> {
  return (await requestJson<KubeList<T>>(ep, { source, path, timeoutMs, signal })).body;
}

/**
 * Watches the collections in `paths` (`?watch=1`); each event calls `onChange`. A broken
 * watch (or 410 Gone, an expired resourceVersion) is reported and started again.
 */
export function kubeWatch(
  ep: ControlEndpoint,
  source: string,
  paths: readonly string[],
  timeoutMs: number,
  onChange: () => void,
  onError: ((error: Error) => void) | undefined,
): () => void {
  const stops = paths.map((path) =>
    keepStreaming(
      (signal) =>
        streamJsonLines(ep, {
          source,
          // timeoutSeconds: the server ends the watch after 5 minutes and it is opened again, so
          // a watch never outlives a silently dropped connection by long.
          path: `${path}${path.includes('?') ? '&' : '?'}watch=1&timeoutSeconds=300`,
          timeoutMs,
          signal,
          idleMs: 0,
          onValue: (v) => {
            const e = v as { type?: string; object?: { code?: number } };
            if (e.type === 'ERROR') throw new Error(`watch error ${e.object?.code ?? ''}`);
            onChange();
          },
        }),
      (error) => {
        if (error !== null) onError?.(error);
        onChange();
      },
    ),
  );
  return () => {
    for (const stop of stops) stop();
  };
}
