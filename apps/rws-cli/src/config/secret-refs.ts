/**
 * Secret references in configuration values: `env://NAME` (an environment variable) and
 * `file:///absolute/path` (a file's contents, one trailing newline removed), resolved each
 * time the configuration is resolved (start and reload); `vault://`, `aws-sm://` and `azkv://`
 * are collected here and fetched by `resolveRemoteRefs` (remote-secrets.ts). A reference that cannot be resolved
 * is a problem naming the key and the reference, never a silent empty value (fail closed);
 * messages never contain the secret itself.
 */
import { fileURLToPath } from 'node:url';
import { isRemoteSecretRef, type RemoteRef } from './remote-secrets.js';
import { CONFIG_KEYS, setPath } from './schema.js';
import type { ServerConfig } from './server-config.js';

/** Where references are read from. */
export interface SecretSources {
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
}

/** What a key holds that references may appear in: strings, list items, table values. */
const KINDS = new Set(['string', 'list', 'credentials', 'headers', 'storage']);

/** True when `value` is a secret reference read from this machine. */
function isLocalSecretRef(value: string): boolean {
  return value.startsWith('env://') || value.startsWith('file://');
}

/** True when `value` is a secret reference of any scheme (local or a secret store). */
export function isSecretRef(value: string): boolean {
  return isLocalSecretRef(value) || isRemoteSecretRef(value);
}

/** The referenced value, or an error message (without the secret). */
function read(ref: string, sources: SecretSources): { value: string } | { error: string } {
  if (ref.startsWith('env://')) {
    const name = ref.slice(6);
    if (name.length === 0) return { error: `${ref}: names no environment variable` };
    const value = sources.env[name];
    if (value === undefined || value === '') {
      return { error: `${ref}: environment variable ${name} is not set` };
    }
    return { value };
  }
  let path: string;
  try {
    path = fileURLToPath(ref);
  } catch {
    return { error: `${ref}: not an absolute file URL (file:///path/to/secret)` };
  }
  try {
    return { value: sources.readFile(path).replace(/\r?\n$/, '') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | null)?.code ?? 'unreadable';
    return { error: `${ref}: cannot read ${path} (${code})` };
  }
}

function getPath(config: ServerConfig, path: string): unknown {
  let value: unknown = config;
  for (const part of path.split('.')) value = (value as Record<string, unknown>)[part];
  return value;
}

/**
 * Replaces every `env://` and `file://` reference in `config` with its value;
 * `report(path, message)` gets each one that cannot be resolved (the key keeps the reference,
 * and the configuration must not run). Store references (`vault://`, `aws-sm://`, `azkv://`)
 * go to `remote` when given, to be fetched; without it they are reported as unresolved
 * (the synchronous resolver cannot wait for a network answer).
 */
export function resolveSecretRefs(
  config: ServerConfig,
  sources: SecretSources,
  report: (path: string, message: string) => void,
  remote?: RemoteRef[],
): void {
  const visit = (path: string, raw: string, set: (value: string) => void): void => {
    if (isLocalSecretRef(raw)) {
      const r = read(raw, sources);
      if ('error' in r) report(path, r.error);
      else set(r.value);
    } else if (isRemoteSecretRef(raw)) {
      if (remote === undefined) {
        report(path, `${raw}: secret stores are read by resolveConfigAsync (as rws does)`);
      } else remote.push({ ref: raw, set, fail: (message) => report(path, message) });
    }
  };
  for (const k of CONFIG_KEYS) {
    if (!KINDS.has(k.type)) continue;
    const value = getPath(config, k.path);
    if (typeof value === 'string') visit(k.path, value, (v) => setPath(config, k.path, v));
    else if (Array.isArray(value)) {
      const copy: unknown[] = [...value];
      setPath(config, k.path, copy);
      copy.forEach((v, i) => {
        if (typeof v === 'string') {
          visit(k.path, v, (next) => {
            copy[i] = next;
          });
        }
      });
    } else if (value !== null && typeof value === 'object') {
      // A copy, so the defaults and the parsed file keep their references for a reload.
      const copy = structuredClone(value) as Record<string, unknown>;
      setPath(config, k.path, copy);
      visitTable(copy, (raw, set) => visit(k.path, raw, set));
    }
  }
}

/** Each string of `table` and of the tables nested in it (a storage source's `credentials`). */
function visitTable(
  table: Record<string, unknown>,
  visit: (raw: string, set: (value: string) => void) => void,
): void {
  for (const [name, v] of Object.entries(table)) {
    if (typeof v === 'string') {
      visit(v, (next) => {
        table[name] = next;
      });
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      visitTable(v as Record<string, unknown>, visit);
    }
  }
}
