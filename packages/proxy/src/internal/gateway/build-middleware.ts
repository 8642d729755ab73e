import type { Middleware } from '@rws/core';
import { basicAuth, bearerAuth, jwtAuth } from '@rws/middleware/auth';
import { bodyLimit } from '@rws/middleware/body-limit';
import { cache } from '@rws/middleware/cache';
import { ipFilter } from '@rws/middleware/ip-filter';
import { type RateLimitStore, rateLimit } from '@rws/middleware/rate-limit';
import {
  type RequestRewriteRule,
  type ResponseRewriteRule,
  rewrite,
} from '@rws/middleware/rewrite';
import { timeout } from '@rws/middleware/timeout';
import type { KeyPath } from '../../config/config-problem.js';
import type { GatewayAuth, GatewayMiddleware } from '../../config/gateway-config.js';
import { attempt } from './attempt.js';
import {
  buildCompress,
  buildCors,
  buildCsrf,
  buildForwardAuth,
  buildSecurityHeaders,
} from './build-http-middleware.js';
import { buildForwardClaims, type GatewayLogin, type IdentityContext } from './build-identity.js';

/** Where values such as relative file paths and env vars are resolved. */
export interface BuildContext extends IdentityContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly resolvePath: (p: string) => string;
  /** Records a problem found while building (missing env var, unreadable file). */
  readonly problem: (path: KeyPath, message: string) => void;
  /** The `[oidc]` login, for `auth = { type = "oidc" }` (the parser ensures it exists then). */
  readonly login: GatewayLogin | null;
  /**
   * The counters of a rate limit, by identity (scope + settings): the previous generation's
   * when it had the same one, so a reload does not hand every client a fresh budget.
   */
  readonly rateLimitStore: (key: string) => RateLimitStore;
}

function authMiddleware(a: GatewayAuth, ctx: BuildContext): Middleware {
  const realm = a.realm === null ? {} : { realm: a.realm };
  switch (a.type) {
    case 'oidc':
      return ctx.login!.requireUser();
    case 'bearer':
      return bearerAuth({ tokenEnv: a.tokenEnv, env: ctx.env, ...realm });
    case 'basic':
      return basicAuth({ htpasswdFile: ctx.resolvePath(a.htpasswdFile), ...realm });
    case 'jwt':
      return jwtAuth({
        env: ctx.env,
        ...realm,
        ...(a.secretEnv === null ? {} : { secretEnv: a.secretEnv }),
        ...(a.publicKeyFile === null ? {} : { publicKeyFile: ctx.resolvePath(a.publicKeyFile) }),
        ...(a.jwksUrl === null ? {} : { jwksUrl: a.jwksUrl }),
        ...(a.algorithms === null ? {} : { algorithms: a.algorithms as never }),
        ...(a.issuer === null ? {} : { issuer: a.issuer }),
        ...(a.audience === null ? {} : { audience: a.audience }),
        ...(a.clockToleranceSecs === null ? {} : { clockToleranceSec: a.clockToleranceSecs }),
      });
  }
}

const REQUEST_RULE = (
  r: NonNullable<GatewayMiddleware['rewrite']>['request'][number],
): RequestRewriteRule => {
  switch (r.type) {
    case 'header_set':
      return { type: 'setHeader', name: r.name, value: r.value };
    case 'header_remove':
      return { type: 'removeHeader', name: r.name };
    case 'uri_set':
      return { type: 'setUri', value: r.value };
    case 'uri_strip_prefix':
      return { type: 'stripPrefix', prefix: r.prefix };
    case 'uri_add_prefix':
      return { type: 'addPrefix', prefix: r.prefix };
    case 'uri_regex':
      return {
        type: 'regex',
        pattern: r.pattern,
        replacement: r.replacement,
        ...(r.redirect === null ? {} : { redirect: r.redirect }),
      };
  }
};

const RESPONSE_RULE = (
  r: NonNullable<GatewayMiddleware['rewrite']>['response'][number],
): ResponseRewriteRule => {
  switch (r.type) {
    case 'header_set':
      return { type: 'setHeader', name: r.name, value: r.value };
    case 'header_remove':
      return { type: 'removeHeader', name: r.name };
    case 'status':
      return { type: 'status', code: r.code };
    case 'body_replace':
      return { type: 'replaceBody', from: r.from, to: r.to };
  }
};

/**
 * The middleware chain of one `[route.middleware]` (or `[middleware]`), outermost first:
 * security_headers → ip_filter → max_body_size → rate_limit → cors → csrf → forward_auth →
 * auth → forward_claims → timeout_ms → compress → rewrite → cache. Security headers go on every answer, refusals
 * included; cheap refusals come next; CORS answers preflights before any credential check
 * (browsers send none) and puts its headers on a 401/403; compress sits outside rewrite so a
 * body_replace sees plain text; the cache sits next to the action so it stores what the
 * action said.
 */
export function buildMiddleware(
  m: GatewayMiddleware,
  path: KeyPath,
  ctx: BuildContext,
  scope: string,
): Middleware[] {
  const out: (Middleware | null)[] = [];
  const add = <T>(value: T | null, key: string, make: (value: T) => Middleware): void => {
    if (value !== null) out.push(attempt(ctx, [...path, key], () => make(value)));
  };
  add(m.securityHeaders, 'security_headers', buildSecurityHeaders);
  if (m.ipFilter !== null) {
    const f = m.ipFilter;
    out.push(
      attempt(ctx, [...path, 'ip_filter'], () =>
        ipFilter({ allow: f.allow, deny: f.deny, trustedProxies: f.trustedProxies }),
      ),
    );
  }
  if (m.maxBodySize > 0) out.push(bodyLimit({ maxBytes: m.maxBodySize }));
  if (m.rateLimit !== null) {
    const r = m.rateLimit;
    out.push(
      attempt(ctx, [...path, 'rate_limit'], () =>
        rateLimit({
          limit: r.maxRequests,
          windowMs: r.windowSecs * 1000,
          algorithm: r.algorithm,
          key: r.key.kind === 'ip' ? 'ip' : { header: r.key.header },
          trustedProxies: r.trustedProxies,
          store: ctx.rateLimitStore(`${scope}\u0000${JSON.stringify(r)}`),
        }),
      ),
    );
  }
  add(m.cors, 'cors', buildCors);
  add(m.csrf, 'csrf', buildCsrf);
  add(m.forwardAuth, 'forward_auth', buildForwardAuth);
  // An [oidc] that failed to build was reported already; this generation will not run.
  if (m.auth !== null && (m.auth.type !== 'oidc' || ctx.login !== null)) {
    const a = m.auth;
    out.push(attempt(ctx, [...path, 'auth'], () => authMiddleware(a, ctx)));
  }
  // After auth: the header is signed for the user auth let through, and a client's copy of
  // it is dropped on every request (logged in or not).
  if (m.forwardClaims !== null) {
    out.push(buildForwardClaims(m.forwardClaims, [...path, 'forward_claims'], ctx));
  }
  if (m.timeoutMs > 0) out.push(timeout({ ms: m.timeoutMs }));
  add(m.compress, 'compress', buildCompress);
  if (m.rewrite !== null) {
    const rw = m.rewrite;
    out.push(
      attempt(ctx, [...path, 'rewrite'], () =>
        rewrite({
          request: rw.request.map(REQUEST_RULE),
          response: rw.response.map(RESPONSE_RULE),
        }),
      ),
    );
  }
  if (m.cache !== null) {
    const c = m.cache;
    out.push(
      attempt(ctx, [...path, 'cache'], () =>
        cache({
          ttlMs: c.ttlSecs * 1000,
          varyBy: c.varyBy,
          ...(c.maxBytes === null ? {} : { maxBytes: c.maxBytes }),
          ...(c.maxEntryBytes === null ? {} : { maxEntryBytes: c.maxEntryBytes }),
        }),
      ),
    );
  }
  return out.filter((x): x is Middleware => x !== null);
}
