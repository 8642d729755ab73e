/**
 * `securityHeaders()`: the response headers that switch on browser protections — CSP, HSTS,
 * `nosniff`, frame options, referrer and permissions policy, cross-origin isolation — with
 * the defaults helmet uses, each one replaceable or turned off with `false`.
 *
 * @module
 */
import type { Handler, Middleware, Request, Response } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { failOptions } from '../internal/fail.js';

/** CSP directives: name → sources (`true` for a directive without value, null to remove a default). */
export type CspDirectives = Readonly<Record<string, readonly string[] | true | null>>;

/** The `Content-Security-Policy` option. */
export interface ContentSecurityPolicyOptions {
  /** Directives merged over the defaults (`useDefaults: false` starts from nothing). */
  directives?: CspDirectives | undefined;
  /** Start from `DEFAULT_CSP_DIRECTIVES`. Default true. */
  useDefaults?: boolean | undefined;
  /** Send `Content-Security-Policy-Report-Only` instead, to try a policy without enforcing it. */
  reportOnly?: boolean | undefined;
}

/** `Strict-Transport-Security` (RFC 6797). */
export interface StrictTransportSecurityOptions {
  /** Seconds browsers remember to use HTTPS only. Default 31536000 (365 days). */
  maxAgeSeconds?: number | undefined;
  /** Default true. */
  includeSubDomains?: boolean | undefined;
  /** Ask to be on the browsers' preload list. Default false: it is hard to undo. */
  preload?: boolean | undefined;
}

/**
 * Options of `securityHeaders()`. Each header takes `false` to leave it out, a string to send
 * as it is, or (where shown) a structured value.
 */
export interface SecurityHeadersOptions {
  contentSecurityPolicy?: false | string | ContentSecurityPolicyOptions | undefined;
  strictTransportSecurity?: false | string | StrictTransportSecurityOptions | undefined;
  /** `X-Content-Type-Options: nosniff`. */
  xContentTypeOptions?: false | undefined;
  /** `X-Frame-Options`. Default `SAMEORIGIN`. */
  xFrameOptions?: false | 'DENY' | 'SAMEORIGIN' | undefined;
  /** `Referrer-Policy`. Default `no-referrer`. */
  referrerPolicy?: false | string | readonly string[] | undefined;
  /**
   * `Permissions-Policy`: feature → allowlist (`[]` disables it, `['self']`, origins in quotes
   * are added for you). Default: camera, microphone, geolocation, payment and usb disabled.
   */
  permissionsPolicy?: false | string | Readonly<Record<string, readonly string[]>> | undefined;
  /** `Cross-Origin-Opener-Policy`. Default `same-origin`. */
  crossOriginOpenerPolicy?: false | string | undefined;
  /** `Cross-Origin-Resource-Policy`. Default `same-origin`. */
  crossOriginResourcePolicy?: false | string | undefined;
  /** `Cross-Origin-Embedder-Policy`. Default off: `require-corp` breaks many embeds. */
  crossOriginEmbedderPolicy?: false | string | undefined;
  /** `Origin-Agent-Cluster: ?1`. */
  originAgentCluster?: false | undefined;
  /** `X-DNS-Prefetch-Control`. Default `off`. */
  xDnsPrefetchControl?: false | 'on' | 'off' | undefined;
  /** `X-Permitted-Cross-Domain-Policies`. Default `none`. */
  xPermittedCrossDomainPolicies?: false | string | undefined;
  /** `X-XSS-Protection: 0`: the old filter caused leaks, so it is switched off explicitly. */
  xXssProtection?: false | undefined;
}

/** helmet's default CSP: same-origin everything, no plugins, no framing by others. */
export const DEFAULT_CSP_DIRECTIVES: CspDirectives = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'font-src': ["'self'", 'https:', 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", 'https:', "'unsafe-inline'"],
  'upgrade-insecure-requests': true,
};

const DEFAULT_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  camera: [],
  microphone: [],
  geolocation: [],
  payment: [],
  usb: [],
};

const REFERRER_POLICIES = new Set([
  'no-referrer',
  'no-referrer-when-downgrade',
  'same-origin',
  'origin',
  'strict-origin',
  'origin-when-cross-origin',
  'strict-origin-when-cross-origin',
  'unsafe-url',
]);

function fail(message: string): never {
  failOptions(ERROR_CODES.SECURITY_HEADERS_INVALID_OPTIONS, 'securityHeaders', message);
}

/** A field value must not contain control characters (CR/LF would split the header). */
function checkValue(name: string, value: string): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    /[\u0000-\u001f\u007f\u0100-\uffff]/.test(value)
  ) {
    fail(`${name} must be a non-empty string without control characters or chars above U+00FF`);
  }
  return value;
}

function cspValue(option: ContentSecurityPolicyOptions): string {
  const merged: Record<string, readonly string[] | true | null> =
    option.useDefaults === false ? {} : { ...DEFAULT_CSP_DIRECTIVES };
  for (const [name, value] of Object.entries(option.directives ?? {})) merged[name] = value;
  const parts: string[] = [];
  for (const [name, value] of Object.entries(merged)) {
    if (value === null) continue;
    if (!/^[a-z][a-z0-9-]*$/.test(name))
      fail(`CSP directive name ${JSON.stringify(name)} is invalid`);
    if (value === true) {
      parts.push(name);
      continue;
    }
    for (const source of value) {
      if (typeof source !== 'string' || /[;,\s]/.test(source) || source.length === 0) {
        fail(
          `CSP source ${JSON.stringify(source)} of ${name} must not be empty or contain ";", "," or whitespace`,
        );
      }
    }
    parts.push(value.length === 0 ? name : `${name} ${value.join(' ')}`);
  }
  if (parts.length === 0) fail('contentSecurityPolicy has no directives');
  return parts.join('; ');
}

function hstsValue(option: StrictTransportSecurityOptions): string {
  const maxAge = option.maxAgeSeconds ?? 31_536_000;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    fail(
      `strictTransportSecurity.maxAgeSeconds must be a non-negative integer, got ${String(maxAge)}`,
    );
  }
  let value = `max-age=${maxAge}`;
  if (option.includeSubDomains !== false) value += '; includeSubDomains';
  if (option.preload === true) {
    // The preload list requires both (hstspreload.org).
    if (maxAge < 31_536_000 || option.includeSubDomains === false) {
      fail('strictTransportSecurity.preload needs maxAgeSeconds ≥ 31536000 and includeSubDomains');
    }
    value += '; preload';
  }
  return value;
}

function permissionsValue(policy: Readonly<Record<string, readonly string[]>>): string {
  const parts: string[] = [];
  for (const [feature, allow] of Object.entries(policy)) {
    if (!/^[a-z][a-z0-9-]*$/.test(feature))
      fail(`permissions policy feature ${JSON.stringify(feature)} is invalid`);
    const items = allow.map((item) => {
      if (item === 'self' || item === '*') return item;
      if (!/^https?:\/\/[^\s"]+$/.test(item)) {
        fail(
          `permissions policy origin ${JSON.stringify(item)} of ${feature} must be self, * or an http(s) origin`,
        );
      }
      return `"${item}"`;
    });
    parts.push(
      items.length === 1 && items[0] === '*' ? `${feature}=*` : `${feature}=(${items.join(' ')})`,
    );
  }
  return parts.join(', ');
}

/** Resolves the options into the `[name, value]` pairs to send. */
function resolveHeaders(o: SecurityHeadersOptions): [string, string][] {
  const out: [string, string][] = [];
  const add = (name: string, value: string): void => {
    out.push([name, checkValue(name, value)]);
  };
  const csp = o.contentSecurityPolicy;
  if (csp !== false) {
    if (typeof csp === 'string') add('content-security-policy', csp);
    else {
      const option = csp ?? {};
      add(
        option.reportOnly === true
          ? 'content-security-policy-report-only'
          : 'content-security-policy',
        cspValue(option),
      );
    }
  }
  const hsts = o.strictTransportSecurity;
  if (hsts !== false) {
    add('strict-transport-security', typeof hsts === 'string' ? hsts : hstsValue(hsts ?? {}));
  }
  if (o.xContentTypeOptions !== false) add('x-content-type-options', 'nosniff');
  const frame = o.xFrameOptions;
  if (frame !== false) {
    if (frame !== undefined && frame !== 'DENY' && frame !== 'SAMEORIGIN') {
      fail(`xFrameOptions must be "DENY" or "SAMEORIGIN", got ${JSON.stringify(frame)}`);
    }
    add('x-frame-options', frame ?? 'SAMEORIGIN');
  }
  const referrer = o.referrerPolicy;
  if (referrer !== false) {
    const list =
      referrer === undefined
        ? ['no-referrer']
        : typeof referrer === 'string'
          ? [referrer]
          : [...referrer];
    for (const item of list) {
      if (!REFERRER_POLICIES.has(item))
        fail(`referrerPolicy ${JSON.stringify(item)} is not a referrer policy`);
    }
    add('referrer-policy', list.join(', '));
  }
  const permissions = o.permissionsPolicy;
  if (permissions !== false) {
    add(
      'permissions-policy',
      typeof permissions === 'string'
        ? permissions
        : permissionsValue(permissions ?? DEFAULT_PERMISSIONS),
    );
  }
  const simple: [keyof SecurityHeadersOptions, string, string | null][] = [
    ['crossOriginOpenerPolicy', 'cross-origin-opener-policy', 'same-origin'],
    ['crossOriginResourcePolicy', 'cross-origin-resource-policy', 'same-origin'],
    ['crossOriginEmbedderPolicy', 'cross-origin-embedder-policy', null],
    ['originAgentCluster', 'origin-agent-cluster', '?1'],
    ['xDnsPrefetchControl', 'x-dns-prefetch-control', 'off'],
    ['xPermittedCrossDomainPolicies', 'x-permitted-cross-domain-policies', 'none'],
    ['xXssProtection', 'x-xss-protection', '0'],
  ];
  for (const [key, name, fallback] of simple) {
    const value = o[key];
    if (value === false) continue;
    if (typeof value === 'string') add(name, value);
    else if (fallback !== null) add(name, fallback);
  }
  return out;
}

/**
 * Creates the middleware. The header values are built and checked once, here; a bad option
 * throws `RWS_MIDDLEWARE_SECURITY_HEADERS_INVALID_OPTIONS` at startup. A header the handler
 * already set is kept, so one route can loosen its own policy.
 *
 * HSTS is sent on every response, as helmet does: browsers ignore it over plain HTTP
 * (RFC 6797 §8.1), and behind a TLS-terminating proxy the app cannot see the scheme.
 *
 * @example
 * ```ts
 * import { securityHeaders } from '@rws/middleware/security-headers';
 * const headers = securityHeaders({
 *   contentSecurityPolicy: { directives: { 'img-src': ["'self'", 'https://cdn.example'] } },
 *   xFrameOptions: 'DENY',
 * });
 * ```
 */
export function securityHeaders(options: SecurityHeadersOptions = {}): Middleware {
  const pairs = resolveHeaders(options);
  return {
    async handle(req: Request, next: Handler): Promise<Response> {
      const res = await next(req);
      const headers = res.headers;
      for (const [name, value] of pairs) if (!headers.has(name)) headers.set(name, value);
      return res;
    },
  };
}
