/**
 * The gateway's identity keys: `[session]` (server-side sessions), `[oidc]` (OpenID Connect
 * login) and a route's `forward_claims`. Types, enums, paths and secret references are checked
 * here; `session()`, `oidcLogin()` and `forwardClaims()` check the rest (secret length, the
 * provider's issuer) when the gateway is built, with the same key paths.
 */
import { GATEWAY_CONFIG_CODES } from '../errors.js';
import { checkHeaderName, checkPathValue } from './checks.js';
import type { KeyPath } from './config-problem.js';
import { didYouMean } from './did-you-mean.js';
import type { GatewayRoute } from './gateway-config.js';
import type {
  GatewayForwardClaims,
  GatewayOidc,
  GatewayOidcPreset,
  GatewaySession,
} from './gateway-identity-config.js';
import type { Reader, Table } from './reader.js';

const SECRET_STORES = /^(vault|aws-sm|azkv):\/\//;

/**
 * A secret: `env://NAME`, `file:///absolute/path` or the value itself. Store references
 * (`vault://`…) are the CLI's top-level keys' only: the gateway builds synchronously.
 */
function readSecret(
  r: Reader,
  t: Table,
  key: string,
  path: KeyPath,
  required: boolean,
): string | null {
  const value = r.string(t, key, path);
  if (value === null) {
    if (required && t[key] === undefined) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
        path,
        `is missing ${key} (an env://NAME or file:///path reference; nothing starts without it)`,
      );
    }
    return null;
  }
  return checkSecret(r, value, [...path, key]);
}

function checkSecret(r: Reader, value: string, path: KeyPath): string | null {
  if (value === '' || value === 'env://' || value === 'file://') {
    r.invalid(path, 'must not be empty');
    return null;
  }
  if (SECRET_STORES.test(value)) {
    r.invalid(
      path,
      'secret stores are not read in gateway sections',
      'use env://NAME or file:///path',
    );
    return null;
  }
  return value;
}

function readUrl(r: Reader, t: Table, key: string, path: KeyPath): string | null {
  const value = r.string(t, key, path);
  if (value !== null && !/^https?:\/\/[^\s/]+\S*$/.test(value)) {
    r.invalid([...path, key], `must be an http(s) URL, got ${JSON.stringify(value)}`);
    return null;
  }
  return value;
}

function readEnum<T extends string>(
  r: Reader,
  t: Table,
  key: string,
  path: KeyPath,
  allowed: readonly T[],
): T | null {
  const value = r.string(t, key, path);
  if (value === null) return null;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const hint = didYouMean(value, allowed);
  r.invalid(
    [...path, key],
    `must be ${allowed.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(value)}`,
    hint === null ? undefined : `did you mean "${hint}"?`,
  );
  return null;
}

const SESSION_KEYS = [
  'secrets',
  'cookie_name',
  'ttl_secs',
  'rolling',
  'secure',
  'store',
  'redis_prefix',
];

export function readSession(r: Reader, v: unknown): GatewaySession | null {
  const path = ['session'];
  const t = r.table(v, path, 'a table ([session])');
  if (t === null) return null;
  r.keys(t, path, SESSION_KEYS);
  const secrets = r.strings(t, 'secrets', path, true);
  if (t['secrets'] === undefined) {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
      path,
      'is missing secrets (env://NAME or file:///path references, newest first; sessions never start unsigned)',
    );
  } else if (secrets?.length === 0) r.invalid([...path, 'secrets'], 'must not be empty');
  const checked = (secrets ?? []).map((s, i) =>
    checkSecret(r, s, Array.isArray(t['secrets']) ? [...path, 'secrets', i] : [...path, 'secrets']),
  );
  let secure: boolean | 'auto' = 'auto';
  if (t['secure'] !== undefined && t['secure'] !== 'auto') {
    secure = r.bool(t, 'secure', path) ?? 'auto';
  }
  const store = readEnum(r, t, 'store', path, ['memory', 'redis', 'sql'] as const) ?? 'memory';
  const redisPrefix = r.string(t, 'redis_prefix', path);
  if (redisPrefix !== null && store !== 'redis') {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
      [...path, 'redis_prefix'],
      'redis_prefix applies to store = "redis" only',
    );
  }
  return {
    secrets: checked.filter((s): s is string => s !== null),
    cookieName: r.string(t, 'cookie_name', path),
    ttlSecs: r.int(t, 'ttl_secs', path, 1, 86_400 * 400),
    rolling: r.bool(t, 'rolling', path),
    secure,
    store,
    redisPrefix,
  };
}

const PRESETS: readonly GatewayOidcPreset[] = [
  'google',
  'microsoft',
  'github',
  'okta',
  'auth0',
  'keycloak',
];
/** The preset keys each preset takes (required ones first). */
const PRESET_KEYS: Readonly<Record<GatewayOidcPreset, { required: string[]; optional: string[] }>> =
  {
    google: { required: [], optional: [] },
    github: { required: [], optional: [] },
    microsoft: { required: [], optional: ['tenant'] },
    okta: { required: ['domain'], optional: ['authorization_server_id'] },
    auth0: { required: ['domain'], optional: [] },
    keycloak: { required: ['base_url', 'realm'], optional: [] },
  };
const PRESET_SETTINGS = ['tenant', 'domain', 'authorization_server_id', 'base_url', 'realm'];

const OIDC_KEYS = [
  'issuer',
  'preset',
  ...PRESET_SETTINGS,
  'client_id',
  'client_secret',
  'redirect_uri',
  'login_path',
  'callback_path',
  'logout_path',
  'post_logout_redirect_uri',
  'scopes',
  'fetch_userinfo',
];

export function readOidc(r: Reader, v: unknown): GatewayOidc | null {
  const path = ['oidc'];
  const t = r.table(v, path, 'a table ([oidc])');
  if (t === null) return null;
  r.keys(t, path, OIDC_KEYS);
  const issuer = readUrl(r, t, 'issuer', path);
  const preset = readEnum(r, t, 'preset', path, PRESETS);
  if (t['issuer'] === undefined && t['preset'] === undefined) {
    r.add(GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE, path, 'is missing issuer (or a preset)');
  } else if (t['issuer'] !== undefined && t['preset'] !== undefined) {
    r.add(GATEWAY_CONFIG_CODES.CONFIG_CONFLICT, path, 'give issuer or preset, not both');
  }
  const wanted = preset === null ? { required: [], optional: [] } : PRESET_KEYS[preset];
  for (const key of PRESET_SETTINGS) {
    if (t[key] !== undefined && ![...wanted.required, ...wanted.optional].includes(key)) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
        [...path, key],
        preset === null
          ? `${key} is a preset setting; it needs a preset that takes it`
          : `preset "${preset}" does not take ${key}`,
      );
    }
  }
  for (const key of wanted.required) r.string(t, key, path, true);
  const routePath = (key: string) => checkPathValue(r, r.string(t, key, path), [...path, key]);
  const scopes = r.strings(t, 'scopes', path);
  return {
    issuer,
    preset,
    tenant: r.string(t, 'tenant', path),
    domain: r.string(t, 'domain', path),
    authorizationServerId: r.string(t, 'authorization_server_id', path),
    baseUrl: readUrl(r, t, 'base_url', path),
    realm: r.string(t, 'realm', path),
    clientId: r.string(t, 'client_id', path, true) ?? '',
    clientSecret: readSecret(r, t, 'client_secret', path, false),
    redirectUri: readUrl(r, t, 'redirect_uri', path),
    loginPath: routePath('login_path'),
    callbackPath: routePath('callback_path'),
    logoutPath: routePath('logout_path'),
    postLogoutRedirectUri: readUrl(r, t, 'post_logout_redirect_uri', path),
    scopes,
    fetchUserinfo: r.bool(t, 'fetch_userinfo', path),
  };
}

const FORWARD_CLAIMS_KEYS = [
  'header',
  'secret',
  'private_key_file',
  'algorithm',
  'key_id',
  'claims',
  'issuer',
  'audience',
  'expires_in_secs',
];

export function readForwardClaims(
  r: Reader,
  v: unknown,
  path: KeyPath,
): GatewayForwardClaims | null {
  const t = r.table(v, path);
  if (t === null) return null;
  r.keys(t, path, FORWARD_CLAIMS_KEYS);
  const header = r.string(t, 'header', path);
  if (header !== null) checkHeaderName(r, header, [...path, 'header']);
  const privateKeyFile = r.string(t, 'private_key_file', path);
  const hasSecret = t['secret'] !== undefined;
  if (hasSecret && t['private_key_file'] !== undefined) {
    r.add(GATEWAY_CONFIG_CODES.CONFIG_CONFLICT, path, 'give secret or private_key_file, not both');
  }
  const secret = readSecret(r, t, 'secret', path, t['private_key_file'] === undefined);
  const algorithm = r.string(t, 'algorithm', path);
  if (privateKeyFile !== null && algorithm === null) {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
      path,
      'is missing algorithm (ES256, EdDSA, RS256… for private_key_file)',
    );
  }
  const issuer = r.string(t, 'issuer', path, true);
  const audience = r.strings(t, 'audience', path, true);
  if (t['audience'] === undefined) {
    r.add(GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE, path, 'is missing audience');
  } else if (audience?.length === 0) r.invalid([...path, 'audience'], 'must not be empty');
  return {
    header,
    secret,
    privateKeyFile,
    algorithm,
    keyId: r.string(t, 'key_id', path),
    claims: r.strings(t, 'claims', path),
    issuer: issuer ?? '',
    audience: audience ?? [],
    expiresInSecs: r.int(t, 'expires_in_secs', path, 1, 3600),
  };
}

/** `[oidc]` keeps its logins in `[session]`; `auth = "oidc"` and `forward_claims` need `[oidc]`. */
export function checkIdentityNeeds(
  r: Reader,
  session: GatewaySession | null,
  oidc: GatewayOidc | null,
  routes: readonly GatewayRoute[],
): void {
  if (oidc !== null && session === null) {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
      ['oidc'],
      'needs [session] (the login is kept in the session)',
    );
  }
  if (oidc !== null) return;
  for (const route of routes) {
    const path = ['route', route.index, 'middleware'];
    if (route.middleware.auth?.type === 'oidc') {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
        [...path, 'auth'],
        'auth type "oidc" needs [oidc]',
      );
    }
    if (route.middleware.forwardClaims !== null) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
        [...path, 'forward_claims'],
        'forward_claims needs [oidc] (the claims are those of the logged-in user)',
      );
    }
  }
}
