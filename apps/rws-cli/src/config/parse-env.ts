/**
 * `RWS_CONFIG_*` environment variables, derived from `CONFIG_KEYS`. Virtual hosts are read as
 * `RWS_CONFIG_VIRTUAL_HOST_{N}_DOMAIN` / `_CERT_FILE` / `_KEY_FILE` for N = 0, 1, … until the
 * first missing DOMAIN, as the reference does.
 */
import { ERROR_CODES } from '../errors.js';
import { didYouMean } from '../internal/did-you-mean.js';
import type { ConfigProblem } from './problem.js';
import { CONFIG_KEYS } from './schema.js';
import type { VirtualHost } from './server-config.js';
import { coerce } from './values.js';

/** Environment values by `ConfigKey.path`, plus problems and warnings. */
export interface ParsedEnv {
  values: Map<string, unknown>;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

const PREFIX = 'RWS_CONFIG_';
const VHOST = 'RWS_CONFIG_VIRTUAL_HOST_';

/** Reads the configuration from an environment object (never `process.env` itself). */
export function parseEnv(env: Readonly<Record<string, string | undefined>>): ParsedEnv {
  const values = new Map<string, unknown>();
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const known = new Set<string>();
  for (const k of CONFIG_KEYS) {
    if (k.env === null || k.type === 'virtualHosts') continue;
    for (const name of [k.env, ...k.envAliases]) {
      known.add(name);
      const raw = env[name];
      // An empty variable means unset: shells and compose files often export NAME= .
      if (raw === undefined || raw === '' || values.has(k.path)) continue;
      const r = coerce(k, raw);
      if (r.ok) values.set(k.path, r.value);
      else
        problems.push({
          code: ERROR_CODES.INVALID_VALUE,
          source: 'env',
          key: name,
          message: r.message,
        });
    }
  }

  const hosts: VirtualHost[] = [];
  for (let n = 0; ; n++) {
    const domain = env[`${VHOST}${n}_DOMAIN`];
    if (domain === undefined || domain === '') break;
    const host: VirtualHost = { domain, certFile: '', keyFile: '' };
    for (const [suffix, field] of [
      ['CERT_FILE', 'certFile'],
      ['KEY_FILE', 'keyFile'],
    ] as const) {
      const name = `${VHOST}${n}_${suffix}`;
      const v = env[name];
      if (v === undefined || v === '') {
        problems.push({
          code: ERROR_CODES.MISSING_VALUE,
          source: 'env',
          key: name,
          message: `is required when ${VHOST}${n}_DOMAIN is set`,
        });
      } else host[field] = v;
    }
    hosts.push(host);
  }
  if (hosts.length > 0) values.set('virtualHosts', hosts);

  for (const name of Object.keys(env)) {
    if (!name.startsWith(PREFIX) || known.has(name) || name.startsWith(VHOST)) continue;
    const suggestion = didYouMean(name, [...known]);
    warnings.push({
      code: ERROR_CODES.UNKNOWN_KEY,
      source: 'env',
      key: name,
      message: 'is not an rws setting and is ignored',
      hint: suggestion === null ? undefined : `did you mean ${suggestion}?`,
    });
  }
  return { values, problems, warnings };
}
