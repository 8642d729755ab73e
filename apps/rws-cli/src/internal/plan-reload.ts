import { isDeepStrictEqual } from 'node:util';
import { CONFIG_KEYS, setPath } from '../config/schema.js';
import type { ServerConfig } from '../config/server-config.js';

/** What a reload applies, and what it leaves for a restart. */
export interface ReloadPlan {
  /** The configuration to run: the new one, with restart-only values kept from the old. */
  config: ServerConfig;
  /** One line per restart-only change that was not applied, e.g. `port (7878 → 8080)`. */
  needsRestart: string[];
}

function getPath(config: ServerConfig, path: string): unknown {
  let value: unknown = config;
  for (const part of path.split('.')) value = (value as Record<string, unknown>)[part];
  return value;
}

function show(value: unknown): string {
  if (value === null) return 'unset';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Merges a freshly resolved configuration into the running one. Keys marked
 * `isReloadable: false` in `CONFIG_KEYS` (ip, port, root, redirect port, workers) keep their
 * running value, and so does turning TLS or mTLS on or off: those need new listeners, which a
 * live reload never opens. Certificate paths and contents, CORS, the log format, the body
 * limit and the static options change live.
 */
export function planReload(current: ServerConfig, next: ServerConfig): ReloadPlan {
  const config = structuredClone(next);
  const needsRestart: string[] = [];
  for (const k of CONFIG_KEYS) {
    // The file name is informational (a file created since the start is simply read now).
    if (k.isReloadable || k.path === 'configFile') continue;
    const before = getPath(current, k.path);
    const after = getPath(next, k.path);
    if (isDeepStrictEqual(before, after)) continue;
    setPath(config, k.path, structuredClone(before));
    // Secrets (and a storage table's resolved keys): say that it changed, never what it holds.
    const change =
      k.isSecret || k.type === 'storage' ? 'changed' : `${show(before)} → ${show(after)}`;
    needsRestart.push(`${k.toml ?? k.path} (${change})`);
  }
  const hadTls = current.tlsCertFile !== null;
  if (hadTls !== (next.tlsCertFile !== null)) {
    config.tlsCertFile = current.tlsCertFile;
    config.tlsKeyFile = current.tlsKeyFile;
    config.tlsClientCaFile = current.tlsClientCaFile;
    config.virtualHosts = structuredClone(current.virtualHosts);
    needsRestart.push(`TLS (${hadTls ? 'on → off' : 'off → on'})`);
  } else if ((current.tlsClientCaFile !== null) !== (next.tlsClientCaFile !== null)) {
    config.tlsClientCaFile = current.tlsClientCaFile;
    needsRestart.push(
      `client certificates (mTLS ${current.tlsClientCaFile !== null ? 'on → off' : 'off → on'})`,
    );
  }
  return { config, needsRestart };
}
