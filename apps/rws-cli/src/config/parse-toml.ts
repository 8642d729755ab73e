/**
 * `rws.config.toml`: parsed with smol-toml, then checked against `CONFIG_KEYS`. Every problem
 * is collected (unknown keys with a did-you-mean, wrong types, out-of-range values), each with
 * its key path and the line it is on.
 */
import {
  findTomlLine as findLine,
  hasGatewaySections,
  type KeyPath,
  keyPathName as keyName,
  parseGatewayConfig,
  tomlLineOf,
} from '@rws/proxy';
import { parse, TomlError } from 'smol-toml';
import { checkDatabaseTable } from '../database-config.js';
import { ERROR_CODES } from '../errors.js';
import { didYouMean } from '../internal/did-you-mean.js';
import type { ConfigKey } from './config-key.js';
import type { ConfigProblem } from './problem.js';
import { CONFIG_KEYS, LEGACY_KEYS, PROXY_TABLES } from './schema.js';
import type { ProxyConfigRaw, VirtualHost } from './server-config.js';
import { coerce } from './values.js';

/** File values by `ConfigKey.path`, the pass-through proxy tables, problems and warnings. */
export interface ParsedToml {
  values: Map<string, unknown>;
  /** Where each value was set: its TOML key path and line. */
  origins: Map<string, { key: string; line: number | undefined }>;
  proxy: ProxyConfigRaw | null;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

/** TOML dotted name → key, for the top level (incl. flat aliases) and for `[cors]`. */
const TOP = new Map<string, ConfigKey>();
const CORS = new Map<string, ConfigKey>();
const ACME = new Map<string, ConfigKey>();
/** Tables whose keys are rws settings: `[cors]`, `[acme]`. */
const TABLES: ReadonlyMap<string, Map<string, ConfigKey>> = new Map([
  ['cors', CORS],
  ['acme', ACME],
]);
/** `[admin]` keys rws reads itself (`listen`); the rest of the table is the gateway's. */
const ADMIN = new Map<string, ConfigKey>();
for (const k of CONFIG_KEYS) {
  if (k.toml === null || k.type === 'virtualHosts') continue;
  if (k.toml.startsWith('cors.')) CORS.set(k.toml.slice(5), k);
  else if (k.toml.startsWith('acme.')) ACME.set(k.toml.slice(5), k);
  else if (k.toml.startsWith('admin.')) ADMIN.set(k.toml.slice(6), k);
  else TOP.set(k.toml, k);
  for (const alias of k.tomlAliases) TOP.set(alias, k);
}
const TOP_NAMES = [...TOP.keys(), 'cors', 'acme', 'database', 'virtual_host', ...PROXY_TABLES];
const VHOST_FIELDS = { domain: 'domain', cert_file: 'certFile', key_file: 'keyFile' } as const;

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Parses and validates the text of a config file. `file` is only used in messages. */
export function parseToml(text: string, file: string): ParsedToml {
  const values = new Map<string, unknown>();
  const origins = new Map<string, { key: string; line: number | undefined }>();
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  let tree: Record<string, unknown>;
  try {
    tree = parse(text) as Record<string, unknown>;
  } catch (err) {
    const e = err as TomlError;
    const line = err instanceof TomlError ? e.line : undefined;
    problems.push({
      code: ERROR_CODES.TOML_SYNTAX,
      source: 'file',
      file,
      key: '(syntax)',
      line,
      message: syntaxMessage(text, e, line),
    });
    return { values, origins, proxy: null, problems, warnings };
  }

  const problem = (code: ConfigProblem['code'], path: KeyPath, message: string, hint?: string) => {
    problems.push({
      code,
      source: 'file',
      file,
      key: keyName(path),
      line: tomlLineOf(text, path),
      message,
      hint,
    });
  };
  const unknown = (path: KeyPath, candidates: Iterable<string>): void => {
    const name = String(path[path.length - 1]);
    const suggestion = didYouMean(name, candidates);
    problem(
      ERROR_CODES.UNKNOWN_KEY,
      path,
      'unknown key',
      suggestion === null ? undefined : `did you mean "${suggestion}"?`,
    );
  };
  const setValue = (k: ConfigKey, path: KeyPath, raw: unknown): void => {
    const r = coerce(k, raw, true);
    if (r.ok) {
      values.set(k.path, r.value);
      origins.set(k.path, { key: keyName(path), line: tomlLineOf(text, path) });
    } else problem(ERROR_CODES.INVALID_VALUE, path, r.message);
  };

  let proxy: ProxyConfigRaw | null = null;
  for (const name of Object.keys(tree)) {
    const value = tree[name];
    if (LEGACY_KEYS[name] !== undefined) {
      warnings.push({
        code: ERROR_CODES.UNKNOWN_KEY,
        source: 'file',
        file,
        key: name,
        line: findLine(text, [name]),
        message: LEGACY_KEYS[name]!,
      });
      continue;
    }
    if (name === 'admin' && isTable(value)) {
      // [admin] is shared: rws takes `listen`, the gateway validates reload/token_env.
      const rest: Record<string, unknown> = {};
      for (const sub of Object.keys(value)) {
        const k = ADMIN.get(sub);
        if (k === undefined) rest[sub] = value[sub];
        else setValue(k, [name, sub], value[sub]);
      }
      if (Object.keys(rest).length > 0) {
        proxy ??= {};
        proxy[name] = rest;
      }
      continue;
    }
    if (PROXY_TABLES.includes(name)) {
      // Validated below by @rws/proxy, which owns the gateway sections.
      proxy ??= {};
      proxy[name] = value;
      continue;
    }
    const table = TABLES.get(name);
    if (table !== undefined) {
      if (!isTable(value)) {
        problem(ERROR_CODES.INVALID_VALUE, [name], `must be a table ([${name}])`);
        continue;
      }
      for (const sub of Object.keys(value)) {
        const k = table.get(sub);
        if (k === undefined) unknown([name, sub], table.keys());
        else setValue(k, [name, sub], value[sub]);
      }
      continue;
    }
    if (name === 'database') {
      // Read by `rws db` and `rws jobs`, not by the server; checked here so a typo fails early.
      for (const p of checkDatabaseTable(value).problems)
        problem(
          p.message === 'unknown key' ? ERROR_CODES.UNKNOWN_KEY : ERROR_CODES.INVALID_VALUE,
          [name, ...p.key],
          p.message,
          p.hint,
        );
      continue;
    }
    if (name === 'virtual_host') {
      const hosts = readVirtualHosts(value, problem, unknown);
      if (hosts !== null) {
        values.set('virtualHosts', hosts);
        origins.set('virtualHosts', { key: name, line: findLine(text, [name, 0]) });
      }
      continue;
    }
    const k = TOP.get(name);
    if (k === undefined) {
      unknown([name], TOP_NAMES);
      continue;
    }
    // The nested [cors]/[acme] form wins over a flat cors_*/acme_* key for the same setting.
    const dotted = k.toml?.includes('.') === true ? (k.toml as string) : null;
    const parent = dotted?.split('.')[0] ?? '';
    if (dotted !== null && isTable(tree[parent])) {
      const sub = dotted.slice(parent.length + 1);
      if ((tree[parent] as Record<string, unknown>)[sub] !== undefined) continue;
    }
    setValue(k, [name], value);
  }
  if (proxy !== null) {
    problems.push(...parseGatewayConfig(text, { file, ignoreOtherKeys: true }).problems);
    if (!hasGatewaySections(proxy)) {
      const name = Object.keys(proxy)[0]!;
      warnings.push({
        code: ERROR_CODES.UNKNOWN_KEY,
        source: 'file',
        file,
        key: name,
        line: findLine(text, Array.isArray(proxy[name]) ? [name, 0] : [name]),
        message:
          'the gateway runs only with [[route]], [[upstream]], [[tcp_proxy]], [[udp_proxy]] or [[ws_proxy]] tables; without them this has no effect',
      });
    }
  }
  return { values, origins, proxy, problems, warnings };
}

/**
 * smol-toml's message without its "Invalid TOML document:" prefix, and with the commonest slip
 * named: a quoted value whose closing quote is missing (smol-toml reports the newline it runs
 * into as a "control character", or an "unfinished string" at the end of the file).
 */
function syntaxMessage(text: string, err: TomlError, line: number | undefined): string {
  const first = String(err.message).split('\n')[0]!;
  const prefix = 'Invalid TOML document: ';
  const message = first.startsWith(prefix) ? first.slice(prefix.length) : first;
  if (message === 'unfinished string') return 'unterminated string (the closing quote is missing)';
  if (message === 'control characters are not allowed in strings' && line !== undefined) {
    // The column smol-toml reports is the end of the line: the string ran into the newline.
    let lineText = text.split('\n')[line - 1] ?? '';
    if (lineText.endsWith('\r')) lineText = lineText.slice(0, -1);
    if (err.column !== undefined && err.column > lineText.length) {
      return 'unterminated string (the closing quote is missing on this line)';
    }
  }
  return message;
}

function readVirtualHosts(
  value: unknown,
  problem: (code: ConfigProblem['code'], path: KeyPath, message: string) => void,
  unknown: (path: KeyPath, candidates: Iterable<string>) => void,
): VirtualHost[] | null {
  if (!Array.isArray(value)) {
    problem(
      ERROR_CODES.INVALID_VALUE,
      ['virtual_host'],
      'must be an array of tables ([[virtual_host]])',
    );
    return null;
  }
  const hosts: VirtualHost[] = [];
  value.forEach((entry, i) => {
    if (!isTable(entry)) {
      problem(ERROR_CODES.INVALID_VALUE, ['virtual_host', i], 'must be a table');
      return;
    }
    const host: VirtualHost = { domain: '', certFile: '', keyFile: '' };
    for (const sub of Object.keys(entry)) {
      if (!(sub in VHOST_FIELDS)) unknown(['virtual_host', i, sub], Object.keys(VHOST_FIELDS));
    }
    for (const [sub, field] of Object.entries(VHOST_FIELDS)) {
      const v = entry[sub];
      if (v === undefined) {
        problem(ERROR_CODES.MISSING_VALUE, ['virtual_host', i], `is missing ${sub}`);
      } else if (typeof v !== 'string' || v.length === 0) {
        problem(ERROR_CODES.INVALID_VALUE, ['virtual_host', i, sub], 'must be a non-empty string');
      } else host[field] = v;
    }
    hosts.push(host);
  });
  return hosts;
}
