/**
 * The one source of truth for rws configuration: every key with its flag, short flag,
 * environment variable, TOML key, type, default, description and whether a reload applies it.
 * Flag parsing, environment parsing, TOML validation, `--help` and the JSON Schema are all
 * derived from `CONFIG_KEYS`. The keys are defined per section (`listener-keys.ts`,
 * `site-keys.ts`, `acme-keys.ts`, the process keys below); this file puts them in order.
 */

import { GATEWAY_SECTIONS } from '@rws/proxy';
import { ACME_KEYS } from './acme-keys.js';
import { type ConfigKey, type KeyInit, toConfigKey } from './config-key.js';
import { LISTENER_KEYS } from './listener-keys.js';
import type { ServerConfig } from './server-config.js';
import { SITE_KEYS } from './site-keys.js';

/** Process keys: shutdown, browser, workers; then SNI certificates. */
const PROCESS_KEYS: readonly KeyInit[] = [
  {
    path: 'shutdownGraceMs',
    type: 'integer',
    default: 10_000,
    placeholder: '<ms>',
    description:
      'On SIGTERM/SIGINT, how long in-flight requests may finish before their connections are closed.',
    isReloadable: false,
  },
  {
    path: 'open',
    type: 'boolean',
    default: false,
    placeholder: '[bool]',
    description:
      'Open the served URL in the browser once listening (xdg-open, open or start; RWS_OPENER names another command).',
    isReloadable: false,
  },
  {
    path: 'workers',
    short: 'w',
    type: 'workers',
    default: 1,
    placeholder: '<n|auto>',
    description: 'Worker processes sharing the port; auto = one per CPU.',
    isReloadable: false,
  },
  {
    path: 'virtualHosts',
    flag: null,
    env: 'RWS_CONFIG_VIRTUAL_HOST_{N}_DOMAIN',
    toml: 'virtual_host',
    tomlAliases: [],
    type: 'virtualHosts',
    default: [],
    description:
      'TLS certificates per SNI domain: [[virtual_host]] domain/cert_file/key_file, or RWS_CONFIG_VIRTUAL_HOST_{N}_DOMAIN/_CERT_FILE/_KEY_FILE.',
    isReloadable: true,
  },
];

const CONFIG_FILE_KEY: KeyInit = {
  path: 'configFile',
  flag: 'config',
  env: 'RWS_CONFIG_FILE',
  toml: null,
  tomlAliases: [],
  type: 'path',
  default: null,
  placeholder: '<file>',
  description: 'Config file to read (default: rws.config.toml in the current directory).',
  isReloadable: false,
};

/** Every configuration key, in `--help` order. */
export const CONFIG_KEYS: readonly ConfigKey[] = [
  ...LISTENER_KEYS,
  ...SITE_KEYS,
  ...PROCESS_KEYS,
  ...ACME_KEYS,
  CONFIG_FILE_KEY,
].map(toConfigKey);

/** TOML tables that belong to the gateway configuration, validated and run by @rws/proxy. */
export const PROXY_TABLES: readonly string[] = GATEWAY_SECTIONS;

/** Keys the reference accepted that rws ignores, with the reason shown as a warning. */
export const LEGACY_KEYS: Readonly<Record<string, string>> = {
  // The message follows the key in `file:line: key: message`, so it does not repeat the key.
  thread_count: 'is not used by rws (it has no thread pool); use workers',
  request_allocation_size_in_bytes: 'is not used by rws (reads are sized by the runtime)',
};

/** Sets a dotted `path` of a plain object tree. */
export function setPath(target: object, path: string, value: unknown): void {
  const parts = path.split('.');
  let obj = target as Record<string, unknown>;
  for (let i = 0; i < parts.length - 1; i++) obj = obj[parts[i]!] as Record<string, unknown>;
  obj[parts[parts.length - 1]!] = value;
}

/** The defaults (from `CONFIG_KEYS`) as a `ServerConfig`, with `root` resolved to `cwd`. */
export function defaultConfig(cwd: string): ServerConfig {
  const config = { cors: {}, acme: {}, proxy: null, isRootSet: false } as unknown as ServerConfig;
  for (const k of CONFIG_KEYS) setPath(config, k.path, structuredClone(k.default));
  config.root = cwd;
  return config;
}
