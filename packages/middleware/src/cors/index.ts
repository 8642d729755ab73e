/**
 * `cors()`: Cross-Origin Resource Sharing per the Fetch standard's CORS protocol — answers
 * preflights, decorates actual responses, keeps caches honest with `Vary`, and reloads its
 * policy live with `update()`.
 *
 * @see https://fetch.spec.whatwg.org/#http-cors-protocol
 * @module
 */
import {
  type Handler,
  Headers,
  isPromise,
  isToken,
  type MaybePromise,
  type Middleware,
  type Request,
  type Response,
  RwsError,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { appendVary } from '../internal/cors/vary.js';
import { fieldCount, fieldValue } from '../internal/field-value.js';

/** Decides whether a request Origin may read the response. */
export type CorsOriginPredicate = (origin: string, req: Request) => boolean;

/**
 * Which origins are allowed: `'*'` (any), one origin, a list of origins and/or regular
 * expressions (tested against the Origin as sent), or a predicate.
 */
export type CorsOrigin = string | RegExp | readonly (string | RegExp)[] | CorsOriginPredicate;

/**
 * Options of `cors()`. The keys mirror the `[cors]` table of `rws.config.toml`
 * (`allowAll`, `allowOrigins`, …), plus `origin` for programmatic policies.
 */
export interface CorsOptions {
  /**
   * Allow every origin. Without credentials the answer is `Access-Control-Allow-Origin: *`;
   * with `allowCredentials` the request Origin is echoed (Fetch forbids `*` with credentials).
   * Default: true when neither `origin` nor `allowOrigins` is given, else false. With
   * `allowCredentials` it must be set explicitly (echoing every origin with credentials is
   * never a default).
   */
  allowAll?: boolean | undefined;
  /** Allowed origins, exactly as browsers send them: `https://app.example.com`, `null`. */
  allowOrigins?: readonly string[] | undefined;
  /** Allowed origins as a pattern or predicate; combined with `allowOrigins` (either allows). */
  origin?: CorsOrigin | undefined;
  /**
   * `Access-Control-Allow-Methods` of preflights (upper-cased). Default: echo the method the
   * preflight asks for.
   */
  allowMethods?: readonly string[] | undefined;
  /**
   * `Access-Control-Allow-Headers` of preflights (lower-cased). Default: echo
   * `Access-Control-Request-Headers`.
   */
  allowHeaders?: readonly string[] | undefined;
  /** Send `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). Default false. */
  allowCredentials?: boolean | undefined;
  /** `Access-Control-Expose-Headers` of actual responses (lower-cased). Default none. */
  exposeHeaders?: readonly string[] | undefined;
  /**
   * `Access-Control-Max-Age` of preflights, in seconds; `null`/absent sends none (browsers
   * then cache for 5 s). Browsers cap it (Chromium: 7200, Firefox: 86400).
   */
  maxAge?: number | null | undefined;
  /**
   * Answer `Access-Control-Allow-Private-Network: true` to preflights that carry
   * `Access-Control-Request-Private-Network: true` (Private Network Access). Default false.
   */
  allowPrivateNetwork?: boolean | undefined;
}

/** The CORS middleware, with a live `update()`. */
export interface CorsMiddleware extends Middleware {
  /**
   * Replaces the whole policy (not a merge) for every request that starts afterwards. The new
   * options are validated first; on error this throws and the old policy stays in force.
   */
  update(options: CorsOptions): void;
}

/** The validated, pre-joined form of `CorsOptions`. */
interface Policy {
  /** Every origin allowed. */
  readonly isAllowAll: boolean;
  readonly isCredentials: boolean;
  /** Answer `*`: allow-all without credentials, the same for every request. */
  readonly isWildcard: boolean;
  /** Lower-cased exact origins. */
  readonly origins: ReadonlySet<string>;
  readonly patterns: readonly RegExp[];
  readonly predicate: CorsOriginPredicate | null;
  readonly allowMethods: string | null;
  readonly allowHeaders: string | null;
  readonly exposeHeaders: string | null;
  readonly maxAge: string | null;
  readonly isPrivateNetwork: boolean;
  /** The last origin decided without the predicate, and its answer (a one-entry cache). */
  readonly lastOrigin: { origin: string | null; allowed: string | null };
}

const VARY_ORIGIN: readonly string[] = ['Origin'];
const VARY_PREFLIGHT: readonly string[] = [
  'Origin',
  'Access-Control-Request-Method',
  'Access-Control-Request-Headers',
];
const VARY_PREFLIGHT_PNA: readonly string[] = [
  ...VARY_PREFLIGHT,
  'Access-Control-Request-Private-Network',
];

function fail(message: string): never {
  throw new RwsError(ERROR_CODES.CORS_INVALID_OPTIONS, `cors: ${message}`);
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') fail(`${name} must be a boolean, got ${typeof value}`);
  return value;
}

function stringList(value: unknown, name: string): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(`${name} must be an array of strings`);
  for (const item of value) {
    if (typeof item !== 'string') fail(`${name} must be an array of strings`);
  }
  return value as readonly string[];
}

/**
 * Checks that a configured origin is a serialised origin (RFC 6454 §6.2), the exact form a
 * browser sends, and returns it lower-cased. Anything else could never match, so it is an
 * error with a suggestion instead of a silent no-op.
 */
function normalizeOrigin(value: string, name: string): string {
  const lower = value.toLowerCase();
  if (lower === 'null') return lower;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`${name}: ${JSON.stringify(value)} is not an origin (expected scheme://host[:port])`);
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    if (url.origin !== lower) {
      fail(
        `${name}: ${JSON.stringify(value)} is not an origin as browsers send it; ` +
          `use ${JSON.stringify(url.origin)} (no path, no trailing slash, no default port)`,
      );
    }
    return lower;
  }
  // Other schemes (chrome-extension://id, app://…) have opaque origins in the URL parser;
  // accept scheme://host with nothing after the host.
  const rest = lower.slice(url.protocol.length);
  if (!rest.startsWith('//') || rest.length === 2 || rest.indexOf('/', 2) !== -1) {
    fail(`${name}: ${JSON.stringify(value)} is not an origin (expected scheme://host[:port])`);
  }
  return lower;
}

function tokenList(
  values: readonly string[],
  name: string,
  isCredentials: boolean,
  toCase: (s: string) => string,
): string | null {
  if (values.length === 0) return null;
  const out: string[] = [];
  for (const raw of values) {
    const value = raw.trim();
    if (value === '*') {
      // Fetch §3.2.3: with credentials, `*` is the literal name "*", not a wildcard.
      if (isCredentials) {
        fail(`${name}: "*" is not a wildcard when allowCredentials is true; list the names`);
      }
    } else if (!isToken(value)) {
      fail(`${name}: ${JSON.stringify(raw)} is not a valid token`);
    }
    const cased = toCase(value);
    if (!out.includes(cased)) out.push(cased);
  }
  return out.join(', ');
}

const upper = (s: string): string => s.toUpperCase();
const lower = (s: string): string => s.toLowerCase();

function compile(options: CorsOptions | undefined): Policy {
  const o: CorsOptions = options ?? {};
  if (typeof o !== 'object' || o === null) fail('options must be an object');
  const allowOrigins = stringList(o.allowOrigins, 'allowOrigins');
  const isCredentials = optionalBoolean(o.allowCredentials, 'allowCredentials') ?? false;
  let isAllowAll = optionalBoolean(o.allowAll, 'allowAll');
  const origins = new Set<string>();
  const patterns: RegExp[] = [];
  let predicate: CorsOriginPredicate | null = null;

  const addOrigin = (value: string | RegExp, name: string): void => {
    if (value instanceof RegExp) {
      // A global or sticky RegExp keeps lastIndex between test() calls: copy without flags g/y.
      let flags = '';
      for (const flag of value.flags) if (flag !== 'g' && flag !== 'y') flags += flag;
      patterns.push(new RegExp(value.source, flags));
    } else if (typeof value !== 'string') {
      fail(`${name} entries must be strings or RegExps`);
    } else if (value.trim() === '*') {
      isAllowAll ??= true;
      // An explicit allowAll: false with '*' listed is contradictory: say so.
      if (isAllowAll === false) fail(`${name}: "*" contradicts allowAll: false`);
    } else {
      origins.add(normalizeOrigin(value.trim(), name));
    }
  };

  for (const value of allowOrigins) addOrigin(value, 'allowOrigins');
  const origin = o.origin;
  if (typeof origin === 'function') {
    predicate = origin as CorsOriginPredicate;
  } else if (Array.isArray(origin)) {
    for (const value of origin as readonly (string | RegExp)[]) addOrigin(value, 'origin');
  } else if (typeof origin === 'string' || origin instanceof RegExp) {
    addOrigin(origin, 'origin');
  } else if (origin !== undefined) {
    fail('origin must be a string, a RegExp, an array of them, or a function');
  }
  const hasList = origins.size > 0 || patterns.length > 0 || predicate !== null;
  const hasNoPolicy = !hasList && o.origin === undefined && o.allowOrigins === undefined;
  // Echoing every origin with credentials lets any site read credentialed responses: that
  // must be asked for with allowAll: true, never reached by default.
  if (isAllowAll === undefined && hasNoPolicy && isCredentials) {
    fail('allowCredentials needs allowOrigins or origin, or allowAll: true to echo every origin');
  }
  // Like Express's cors() and Hono: with no origin policy at all, every origin is allowed.
  const allowAll = isAllowAll ?? hasNoPolicy;

  let maxAge: string | null = null;
  if (o.maxAge !== undefined && o.maxAge !== null) {
    if (typeof o.maxAge !== 'number' || !Number.isInteger(o.maxAge) || o.maxAge < 0) {
      fail(`maxAge must be a non-negative integer number of seconds, got ${String(o.maxAge)}`);
    }
    maxAge = String(o.maxAge);
  }

  return {
    lastOrigin: { origin: null, allowed: null },
    isAllowAll: allowAll,
    isCredentials,
    isWildcard: allowAll && !isCredentials,
    origins,
    patterns,
    predicate,
    allowMethods: tokenList(
      stringList(o.allowMethods, 'allowMethods'),
      'allowMethods',
      isCredentials,
      upper,
    ),
    allowHeaders: tokenList(
      stringList(o.allowHeaders, 'allowHeaders'),
      'allowHeaders',
      isCredentials,
      lower,
    ),
    exposeHeaders: tokenList(
      stringList(o.exposeHeaders, 'exposeHeaders'),
      'exposeHeaders',
      isCredentials,
      lower,
    ),
    maxAge,
    isPrivateNetwork: optionalBoolean(o.allowPrivateNetwork, 'allowPrivateNetwork') ?? false,
  };
}

/** True when a header value can be a single serialised origin (no list, no spaces). */
function isSingleOrigin(origin: string): boolean {
  if (origin.length === 0) return false;
  for (let i = 0; i < origin.length; i++) {
    const c = origin.charCodeAt(i);
    if (c <= 0x20 || c === 0x2c /* , */ || c >= 0x7f) return false;
  }
  return true;
}

/**
 * The `Access-Control-Allow-Origin` value for this request, or null when the origin is not
 * allowed (or absent and the answer is not `*`).
 */
function allowedOrigin(policy: Policy, origin: string | null, req: Request): string | null {
  if (policy.isWildcard) return '*';
  if (origin === null) return null;
  // A browser app sends the same Origin on every request: the last answer is kept, unless
  // it came from the predicate, which may look at more than the origin.
  const last = policy.lastOrigin;
  if (last.origin === origin) return last.allowed;
  if (!isSingleOrigin(origin)) return null;
  const key = origin.toLowerCase();
  let allowed: string | null = null;
  if (policy.origins.has(key)) allowed = origin;
  else if (policy.isAllowAll) {
    // Echoing `null` with credentials would let any sandboxed iframe or data: document read
    // credentialed responses; allow it only when listed explicitly.
    allowed = key === 'null' ? null : origin;
  } else if (policy.patterns.some((pattern) => pattern.test(origin))) allowed = origin;
  else if (policy.predicate !== null) {
    return policy.predicate(origin, req) === true ? origin : null;
  }
  last.origin = origin;
  last.allowed = allowed;
  return allowed;
}

/** Adds the CORS headers of an actual (non-preflight) response. */
function decorate(policy: Policy, headers: Headers, allowOrigin: string | null): void {
  // A handler that set its own Access-Control-Allow-Origin owns this response's CORS.
  if (allowOrigin !== null && fieldCount(headers, 'access-control-allow-origin') === 0) {
    headers.set('access-control-allow-origin', allowOrigin);
    if (policy.isCredentials) headers.set('access-control-allow-credentials', 'true');
    if (policy.exposeHeaders !== null) {
      headers.set('access-control-expose-headers', policy.exposeHeaders);
    }
  }
  // Fetch §3.2.5: when the answer depends on Origin, caches must key on it.
  if (!policy.isWildcard) appendVary(headers, VARY_ORIGIN);
}

function preflight(policy: Policy, req: Request, origin: string, method: string): Response {
  const headers = new Headers();
  const allowOrigin = allowedOrigin(policy, origin, req);
  appendVary(headers, policy.isPrivateNetwork ? VARY_PREFLIGHT_PNA : VARY_PREFLIGHT);
  // A disallowed origin gets a bare 204: without Access-Control-Allow-Origin the browser
  // fails the preflight and never sends the actual request.
  if (allowOrigin === null) return { status: 204, headers, body: null };
  headers.set('access-control-allow-origin', allowOrigin);
  if (policy.isCredentials) headers.set('access-control-allow-credentials', 'true');
  if (policy.allowMethods !== null)
    headers.set('access-control-allow-methods', policy.allowMethods);
  else if (isToken(method)) headers.set('access-control-allow-methods', method);
  if (policy.allowHeaders !== null) {
    headers.set('access-control-allow-headers', policy.allowHeaders);
  } else {
    const requested = req.headers.get('access-control-request-headers');
    if (requested !== null && requested.trim() !== '') {
      headers.set('access-control-allow-headers', requested);
    }
  }
  if (policy.maxAge !== null) headers.set('access-control-max-age', policy.maxAge);
  if (
    policy.isPrivateNetwork &&
    req.headers.get('access-control-request-private-network')?.toLowerCase() === 'true'
  ) {
    headers.set('access-control-allow-private-network', 'true');
  }
  return { status: 204, headers, body: null };
}

/**
 * Creates the CORS middleware.
 *
 * A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered 204
 * here and never reaches `next()`. Other requests go to `next()`; their response gets the
 * CORS headers when the origin is allowed, and `Vary: Origin` whenever the answer depends on
 * the origin. A thrown error that carries `headers` (an `HttpError`) gets them too, so error
 * responses stay readable cross-origin. Response headers are modified in place.
 *
 * @example
 * ```ts
 * import { cors } from '@rws/middleware/cors';
 *
 * const policy = cors({
 *   allowOrigins: ['https://app.example.com'],
 *   allowCredentials: true,
 *   exposeHeaders: ['x-request-id'],
 *   maxAge: 600,
 * });
 * policy.update({ allowAll: true }); // e.g. on SIGHUP
 * ```
 */
export function cors(options?: CorsOptions): CorsMiddleware {
  let policy = compile(options);
  return {
    update(next: CorsOptions): void {
      policy = compile(next);
    },
    handle(req: Request, next: Handler): MaybePromise<Response> {
      // One policy per request, even if update() runs while it is in flight.
      const p = policy;
      const origin = fieldValue(req.headers, 'origin');
      if (req.method === 'OPTIONS' && origin !== null) {
        const method = req.headers.get('access-control-request-method');
        if (method !== null) return preflight(p, req, origin, method);
      }
      const allowOrigin = allowedOrigin(p, origin, req);
      let res: MaybePromise<Response>;
      try {
        res = next(req);
      } catch (err) {
        throw decorateError(p, err, allowOrigin);
      }
      if (isPromise(res)) {
        return res.then(
          (r) => {
            decorate(p, r.headers, allowOrigin);
            return r;
          },
          (err: unknown) => {
            throw decorateError(p, err, allowOrigin);
          },
        );
      }
      decorate(p, res.headers, allowOrigin);
      return res;
    },
  };
}

function decorateError(policy: Policy, err: unknown, allowOrigin: string | null): unknown {
  const headers = (err as { headers?: unknown } | null)?.headers;
  if (headers instanceof Headers) decorate(policy, headers, allowOrigin);
  return err;
}
