/**
 * The `[route.middleware]` / `[middleware]` keys of the response-shaping and browser-facing
 * middlewares: `compress`, `security_headers`, `cors`, `csrf` and `forward_auth`. Types and
 * enums are checked here; the middleware factories check the rest (origins, header values,
 * URLs) when the gateway is built, and their messages carry the same key path.
 */
import { checkHeaderName } from './checks.js';
import type { KeyPath } from './config-problem.js';
import type {
  GatewayCompress,
  GatewayCors,
  GatewayCsrf,
  GatewayForwardAuth,
  GatewayHeaderSetting,
  GatewaySecurityHeaders,
} from './gateway-config.js';
import { MAX_MS, type Reader, type Table, typeName } from './reader.js';

/** `key = true` means "with defaults"; `false` or absent means off. Else it must be a table. */
function tableOrTrue(r: Reader, v: unknown, path: KeyPath): Table | null {
  if (v === undefined || v === false) return null;
  if (v === true) return {};
  return r.table(v, path, 'true, false or a table');
}

function headerNames(r: Reader, t: Table, key: string, path: KeyPath): string[] | null {
  const list = r.strings(t, key, path);
  for (const [i, name] of (list ?? []).entries()) checkHeaderName(r, name, [...path, key, i]);
  return list;
}

const CODINGS = ['br', 'zstd', 'gzip'] as const;

export function readCompress(r: Reader, v: unknown, path: KeyPath): GatewayCompress | null {
  const t = tableOrTrue(r, v, path);
  if (t === null) return null;
  r.keys(t, path, ['encodings', 'threshold', 'etag']);
  const encodings = r.strings(t, 'encodings', path);
  for (const [i, e] of (encodings ?? []).entries()) {
    if (!(CODINGS as readonly string[]).includes(e)) {
      r.invalid(
        [...path, 'encodings', i],
        `must be "br", "zstd" or "gzip", got ${JSON.stringify(e)}`,
      );
    }
  }
  if (encodings?.length === 0) r.invalid([...path, 'encodings'], 'must not be empty');
  const etag = r.string(t, 'etag', path);
  if (etag !== null && etag !== 'weaken' && etag !== 'drop') {
    r.invalid([...path, 'etag'], `must be "weaken" or "drop", got ${JSON.stringify(etag)}`);
  }
  return {
    encodings: encodings as GatewayCompress['encodings'],
    threshold: r.int(t, 'threshold', path, 0, Number.MAX_SAFE_INTEGER),
    etag: etag === 'weaken' || etag === 'drop' ? etag : null,
  };
}

/** TOML key → `securityHeaders()` option. */
const SECURITY_HEADER_KEYS = {
  content_security_policy: 'contentSecurityPolicy',
  strict_transport_security: 'strictTransportSecurity',
  x_frame_options: 'xFrameOptions',
  referrer_policy: 'referrerPolicy',
  permissions_policy: 'permissionsPolicy',
  cross_origin_opener_policy: 'crossOriginOpenerPolicy',
  cross_origin_resource_policy: 'crossOriginResourcePolicy',
  cross_origin_embedder_policy: 'crossOriginEmbedderPolicy',
} as const satisfies Record<string, keyof GatewaySecurityHeaders>;

export function readSecurityHeaders(
  r: Reader,
  v: unknown,
  path: KeyPath,
): GatewaySecurityHeaders | null {
  const t = tableOrTrue(r, v, path);
  if (t === null) return null;
  r.keys(t, path, Object.keys(SECURITY_HEADER_KEYS));
  const out: Record<string, GatewayHeaderSetting> = {};
  for (const [key, option] of Object.entries(SECURITY_HEADER_KEYS)) {
    const value = t[key];
    if (value === undefined) out[option] = null;
    else if (value === false || typeof value === 'string') out[option] = value;
    else {
      r.invalid([...path, key], `must be a header value or false (off), got ${typeName(value)}`);
      out[option] = null;
    }
  }
  return out as unknown as GatewaySecurityHeaders;
}

export function readCors(r: Reader, v: unknown, path: KeyPath): GatewayCors | null {
  const t = r.table(v, path);
  if (t === null) return null;
  r.keys(t, path, [
    'allow_all',
    'allow_origins',
    'allow_methods',
    'allow_headers',
    'allow_credentials',
    'expose_headers',
    'max_age_secs',
    'allow_private_network',
  ]);
  const allowAll = r.bool(t, 'allow_all', path) ?? false;
  const allowOrigins = r.strings(t, 'allow_origins', path) ?? [];
  if (!allowAll && allowOrigins.length === 0 && t['allow_origins'] === undefined) {
    r.invalid(path, 'needs allow_origins or allow_all = true (CORS that allows nothing is off)');
  }
  return {
    allowAll,
    allowOrigins,
    allowMethods: r.strings(t, 'allow_methods', path),
    allowHeaders: r.strings(t, 'allow_headers', path),
    allowCredentials: r.bool(t, 'allow_credentials', path) ?? false,
    exposeHeaders: r.strings(t, 'expose_headers', path),
    maxAgeSecs: r.int(t, 'max_age_secs', path, 0, 86_400 * 366),
    allowPrivateNetwork: r.bool(t, 'allow_private_network', path) ?? false,
  };
}

export function readCsrf(r: Reader, v: unknown, path: KeyPath): GatewayCsrf | null {
  const t = tableOrTrue(r, v, path);
  if (t === null) return null;
  r.keys(t, path, ['cookie_name', 'header_name', 'form_field', 'safe_methods']);
  const headerName = r.string(t, 'header_name', path);
  if (headerName !== null) checkHeaderName(r, headerName, [...path, 'header_name']);
  let formField: string | false | null = null;
  if (t['form_field'] === false) formField = false;
  else if (t['form_field'] !== undefined) {
    if (typeof t['form_field'] === 'string' && t['form_field'] !== '') formField = t['form_field'];
    else r.invalid([...path, 'form_field'], 'must be a field name or false (header only)');
  }
  return {
    cookieName: r.string(t, 'cookie_name', path),
    headerName,
    formField,
    safeMethods: r.strings(t, 'safe_methods', path),
  };
}

export function readForwardAuth(r: Reader, v: unknown, path: KeyPath): GatewayForwardAuth | null {
  const t = r.table(v, path);
  if (t === null) return null;
  r.keys(t, path, [
    'address',
    'auth_response_headers',
    'auth_request_headers',
    'trust_forward_header',
    'timeout_ms',
  ]);
  const address = r.string(t, 'address', path, true);
  if (address !== null && !/^https?:\/\/\S+$/.test(address)) {
    r.invalid([...path, 'address'], `must be an http(s) URL, got ${JSON.stringify(address)}`);
  }
  return {
    address: address ?? '',
    authResponseHeaders: headerNames(r, t, 'auth_response_headers', path),
    authRequestHeaders: headerNames(r, t, 'auth_request_headers', path),
    trustForwardHeader: r.bool(t, 'trust_forward_header', path) ?? false,
    timeoutMs: r.int(t, 'timeout_ms', path, 1, MAX_MS),
  };
}
