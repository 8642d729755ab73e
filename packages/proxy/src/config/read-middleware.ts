/**
 * `[route.middleware]` and the global `[middleware]`: rate limit, auth, cache, IP filter,
 * rewrite (read-rewrite.ts), timeout and body limit; compress, security headers, CORS, CSRF
 * and forward auth (read-http-middleware.ts); forward claims (read-identity.ts).
 */
import { GATEWAY_CONFIG_CODES } from '../errors.js';
import { checkCidrs, checkHeaderName } from './checks.js';
import type { KeyPath } from './config-problem.js';
import { didYouMean } from './did-you-mean.js';
import type {
  GatewayAuth,
  GatewayCache,
  GatewayIpFilter,
  GatewayMiddleware,
  GatewayRateLimit,
} from './gateway-config.js';
import {
  readCompress,
  readCors,
  readCsrf,
  readForwardAuth,
  readSecurityHeaders,
} from './read-http-middleware.js';
import { readForwardClaims } from './read-identity.js';
import { readRewrite } from './read-rewrite.js';
import { MAX_MS, type Reader } from './reader.js';

const MIDDLEWARE_KEYS = [
  'rate_limit',
  'auth',
  'cache',
  'ip_filter',
  'rewrite',
  'timeout_ms',
  'max_body_size',
  'compress',
  'security_headers',
  'cors',
  'csrf',
  'forward_auth',
  'forward_claims',
];

function readRateLimit(r: Reader, v: unknown, path: KeyPath): GatewayRateLimit | null {
  const t = r.table(v, path);
  if (t === null) return null;
  r.keys(t, path, ['max_requests', 'window_secs', 'algorithm', 'key', 'trusted_proxies']);
  const algorithm = r.string(t, 'algorithm', path) ?? 'sliding_window';
  if (algorithm !== 'sliding_window' && algorithm !== 'token_bucket') {
    r.invalid(
      [...path, 'algorithm'],
      `must be "sliding_window" or "token_bucket", got ${JSON.stringify(algorithm)}`,
    );
  }
  const keyText = r.string(t, 'key', path) ?? 'ip';
  let key: GatewayRateLimit['key'] = { kind: 'ip' };
  if (keyText.startsWith('header:')) {
    const header = keyText.slice(7).trim();
    if (checkHeaderName(r, header, [...path, 'key']))
      key = { kind: 'header', header: header.toLowerCase() };
  } else if (keyText !== 'ip') {
    r.invalid([...path, 'key'], `must be "ip" or "header:<name>", got ${JSON.stringify(keyText)}`);
  }
  const trusted = r.strings(t, 'trusted_proxies', path) ?? [];
  checkCidrs(r, trusted, [...path, 'trusted_proxies']);
  return {
    maxRequests: r.int(t, 'max_requests', path, 1, 1e9) ?? 1000,
    windowSecs: r.int(t, 'window_secs', path, 1, 86_400 * 366) ?? 60,
    algorithm: algorithm === 'token_bucket' ? 'token-bucket' : 'sliding-window',
    key,
    trustedProxies: trusted,
  };
}

function readAuth(r: Reader, v: unknown, path: KeyPath): GatewayAuth | null {
  const t = r.table(v, path);
  if (t === null) return null;
  const type = r.string(t, 'type', path, true);
  const realm = r.string(t, 'realm', path);
  if (type === 'bearer') {
    r.keys(t, path, ['type', 'token_env', 'realm']);
    const tokenEnv = r.strings(t, 'token_env', path, true);
    if (tokenEnv === null && t['token_env'] === undefined) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
        path,
        'is missing token_env (bearer auth never starts open)',
      );
    }
    return { type, tokenEnv: tokenEnv ?? [], realm };
  }
  if (type === 'jwt') {
    const keys = [
      'type',
      'secret_env',
      'public_key_file',
      'jwks_url',
      'algorithms',
      'issuer',
      'audience',
      'clock_tolerance_secs',
      'realm',
    ];
    r.keys(t, path, keys);
    const secretEnv = r.string(t, 'secret_env', path);
    const publicKeyFile = r.string(t, 'public_key_file', path);
    const jwksUrl = r.string(t, 'jwks_url', path);
    const sources = [secretEnv, publicKeyFile, jwksUrl].filter((x) => x !== null).length;
    if (sources === 0) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
        path,
        'is missing secret_env, public_key_file or jwks_url',
      );
    } else if (sources > 1) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
        path,
        'give only one of secret_env, public_key_file, jwks_url',
      );
    }
    if (jwksUrl !== null && !/^https?:\/\/[^\s]+$/.test(jwksUrl)) {
      r.invalid([...path, 'jwks_url'], 'must be an http(s) URL');
    }
    return {
      type,
      secretEnv,
      publicKeyFile,
      jwksUrl,
      algorithms: r.strings(t, 'algorithms', path),
      issuer: r.string(t, 'issuer', path),
      audience: r.string(t, 'audience', path),
      clockToleranceSecs: r.int(t, 'clock_tolerance_secs', path, 0, 3600),
      realm,
    };
  }
  if (type === 'basic') {
    r.keys(t, path, ['type', 'htpasswd_file', 'users_file', 'realm']);
    if (t['htpasswd_file'] !== undefined && t['users_file'] !== undefined) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
        [...path, 'users_file'],
        'users_file is another name for htpasswd_file; keep one',
      );
    }
    const file = r.string(t, 'htpasswd_file', path) ?? r.string(t, 'users_file', path);
    if (file === null)
      r.add(GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE, path, 'is missing htpasswd_file');
    return { type, htpasswdFile: file ?? '', realm };
  }
  if (type === 'oidc') {
    // The login itself is `[oidc]`; a route only says that it needs a logged-in user.
    r.keys(t, path, ['type']);
    return { type, realm: null };
  }
  if (type !== null) {
    const hint = didYouMean(type, ['bearer', 'jwt', 'basic', 'oidc']);
    r.invalid(
      [...path, 'type'],
      `auth type must be bearer, jwt, basic or oidc, got ${JSON.stringify(type)}`,
      hint === null ? undefined : `did you mean "${hint}"?`,
    );
  }
  return null;
}

function readCache(r: Reader, v: unknown, path: KeyPath): GatewayCache | null {
  const t = r.table(v, path);
  if (t === null) return null;
  r.keys(t, path, ['ttl_secs', 'vary_by', 'max_bytes', 'max_entry_bytes']);
  const varyBy = r.strings(t, 'vary_by', path) ?? [];
  for (const [i, h] of varyBy.entries()) checkHeaderName(r, h, [...path, 'vary_by', i]);
  return {
    ttlSecs: r.int(t, 'ttl_secs', path, 0, 86_400 * 366) ?? 60,
    varyBy,
    maxBytes: r.int(t, 'max_bytes', path, 1, Number.MAX_SAFE_INTEGER),
    maxEntryBytes: r.int(t, 'max_entry_bytes', path, 1, Number.MAX_SAFE_INTEGER),
  };
}

function readIpFilter(r: Reader, v: unknown, path: KeyPath): GatewayIpFilter | null {
  const t = r.table(v, path);
  if (t === null) return null;
  r.keys(t, path, ['allow', 'deny', 'trusted_proxies']);
  const out = {
    allow: r.strings(t, 'allow', path) ?? [],
    deny: r.strings(t, 'deny', path) ?? [],
    trustedProxies: r.strings(t, 'trusted_proxies', path) ?? [],
  };
  checkCidrs(r, out.allow, [...path, 'allow']);
  checkCidrs(r, out.deny, [...path, 'deny']);
  checkCidrs(r, out.trustedProxies, [...path, 'trusted_proxies']);
  return out;
}

export function readMiddleware(
  r: Reader,
  v: unknown,
  path: KeyPath,
  isGlobal: boolean,
): GatewayMiddleware | null {
  const t = r.table(v, path, isGlobal ? 'a table ([middleware])' : 'a table ([route.middleware])');
  if (t === null) return null;
  if (isGlobal && t['log_format'] !== undefined) {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
      [...path, 'log_format'],
      'the access-log format is the top-level log_format key, not [middleware].log_format',
    );
  }
  r.keys(
    Object.fromEntries(Object.entries(t).filter(([k]) => !(isGlobal && k === 'log_format'))),
    path,
    MIDDLEWARE_KEYS,
  );
  const auth = readAuth(r, t['auth'], [...path, 'auth']);
  const forwardClaims = readForwardClaims(r, t['forward_claims'], [...path, 'forward_claims']);
  if (isGlobal && auth?.type === 'oidc') {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
      [...path, 'auth'],
      'auth type "oidc" is set per route ([route.middleware]): [middleware] runs before the login',
    );
  }
  if (isGlobal && forwardClaims !== null) {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
      [...path, 'forward_claims'],
      'forward_claims is set per route ([route.middleware]): [middleware] runs before the login',
    );
  }
  return {
    rateLimit: readRateLimit(r, t['rate_limit'], [...path, 'rate_limit']),
    auth,
    cache: readCache(r, t['cache'], [...path, 'cache']),
    ipFilter: readIpFilter(r, t['ip_filter'], [...path, 'ip_filter']),
    rewrite: readRewrite(r, t['rewrite'], [...path, 'rewrite']),
    timeoutMs: r.int(t, 'timeout_ms', path, 0, MAX_MS) ?? 0,
    maxBodySize: r.int(t, 'max_body_size', path, 0, Number.MAX_SAFE_INTEGER) ?? 0,
    compress: readCompress(r, t['compress'], [...path, 'compress']),
    securityHeaders: readSecurityHeaders(r, t['security_headers'], [...path, 'security_headers']),
    cors: readCors(r, t['cors'], [...path, 'cors']),
    csrf: readCsrf(r, t['csrf'], [...path, 'csrf']),
    forwardAuth: readForwardAuth(r, t['forward_auth'], [...path, 'forward_auth']),
    forwardClaims,
  };
}

/** A route without `[route.middleware]`. */
export const NO_MIDDLEWARE: GatewayMiddleware = {
  rateLimit: null,
  auth: null,
  cache: null,
  ipFilter: null,
  rewrite: null,
  timeoutMs: 0,
  maxBodySize: 0,
  compress: null,
  securityHeaders: null,
  cors: null,
  csrf: null,
  forwardAuth: null,
  forwardClaims: null,
};
