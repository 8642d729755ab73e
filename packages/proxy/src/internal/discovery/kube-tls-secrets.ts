/**
 * The `kubernetes.io/tls` Secrets an Ingress's `spec.tls` names: read through the API with the
 * service-account token, checked (OpenSSL must accept the chain and the key must match it),
 * and remembered, so a Secret that disappears or turns invalid keeps its last good
 * certificate in service while the reason is reported once.
 */
import { createSecureContext } from 'node:tls';
import { type ControlEndpoint, discoveryError, requestJson } from './control-http.js';

/** A certificate chain and its key, PEM. */
interface TlsPem {
  readonly cert: string;
  readonly key: string;
}

interface Secret {
  data?: Record<string, string>;
}

/** Reads and checks one Secret; throws a message saying what is wrong with it. */
async function readTlsSecret(
  ep: ControlEndpoint,
  source: string,
  namespace: string,
  secretName: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<TlsPem> {
  const { body } = await requestJson<Secret>(ep, {
    source,
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(secretName)}`,
    timeoutMs,
    signal,
  });
  const crt = body.data?.['tls.crt'];
  const key = body.data?.['tls.key'];
  if (crt === undefined || key === undefined) {
    throw discoveryError(source, 'has no tls.crt and tls.key');
  }
  const pem = {
    cert: Buffer.from(crt, 'base64').toString('utf8'),
    key: Buffer.from(key, 'base64').toString('utf8'),
  };
  try {
    // The same check the TLS listener makes, so a bad Secret never reaches it.
    createSecureContext(pem);
  } catch (err) {
    throw discoveryError(
      source,
      `tls.crt/tls.key are not a usable certificate and key: ${(err as Error).message}`,
      err,
    );
  }
  return pem;
}

/** The Secrets of one source, with the last good pair of each. */
export interface TlsSecretCache {
  /**
   * The Secret's pair now, or its last good one when it cannot be read or is invalid (null
   * when it never was good); `warn` hears why, once per distinct reason.
   */
  read(
    namespace: string,
    secretName: string,
    context: {
      ingress: string;
      signal?: AbortSignal | undefined;
      warn?: ((error: Error) => void) | undefined;
    },
  ): Promise<TlsPem | null>;
  /** Forgets the Secrets not read since the last `prune()` (no Ingress names them now). */
  prune(): void;
}

export function createTlsSecretCache(
  ep: ControlEndpoint,
  source: string,
  timeoutMs: number,
): TlsSecretCache {
  const good = new Map<string, TlsPem>();
  const warned = new Map<string, string>();
  const seen = new Set<string>();
  return {
    async read(namespace, secretName, { ingress, signal, warn }) {
      const id = `${namespace}/${secretName}`;
      seen.add(id);
      try {
        const pem = await readTlsSecret(ep, source, namespace, secretName, timeoutMs, signal);
        good.set(id, pem);
        warned.delete(id);
        return pem;
      } catch (err) {
        if (signal?.aborted === true) throw err;
        const last = good.get(id) ?? null;
        const why = (err as Error).message.replace(`discovery ${source}: `, '');
        const message = `ingress ${ingress}: secret ${id}: ${why}; ${last === null ? 'its hosts get no certificate from it' : 'the last good certificate stays in service'}`;
        if (warned.get(id) !== message) {
          warned.set(id, message);
          warn?.(discoveryError(source, message, err));
        }
        return last;
      }
    },
    prune() {
      for (const id of good.keys()) if (!seen.has(id)) good.delete(id);
      for (const id of warned.keys()) if (!seen.has(id)) warned.delete(id);
      seen.clear();
    },
  };
}
