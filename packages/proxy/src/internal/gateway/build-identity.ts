/**
 * Builds the gateway's identity middleware from `[session]`, `[oidc]` and a route's
 * `forward_claims`: `session()` of @rws/middleware, `oidcLogin()` and `forwardClaims()` of
 * @rws/identity/oidc. Secret references are read here (at start and on every reload); a
 * missing one is a problem at its key, so nothing starts open.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorResponse, isRwsError, type Middleware } from '@rws/core';
import {
  auth0,
  forwardClaims,
  github,
  google,
  keycloak,
  microsoft,
  type OidcLogin,
  type OidcProvider,
  oidcLogin,
  okta,
} from '@rws/identity/oidc';
import {
  createMemorySessionStore,
  createRedisSessionStore,
  type RedisClientLike,
  type SessionStore,
  session,
} from '@rws/middleware/session';
import type { KeyPath } from '../../config/config-problem.js';
import type {
  GatewayForwardClaims,
  GatewayOidc,
  GatewaySession,
} from '../../config/gateway-identity-config.js';
import { attempt } from './attempt.js';

/** What building the identity middleware needs from the gateway. */
export interface IdentityContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly resolvePath: (p: string) => string;
  readonly problem: (path: KeyPath, message: string) => void;
  /** The Redis client handed to `createGateway` (for `store = "redis"`). */
  readonly redis: RedisClientLike | undefined;
  /** The SQL session store handed to `createGateway` (for `store = "sql"`). */
  readonly sqlSessionStore: SessionStore | undefined;
}

/**
 * The value of a secret reference: `env://NAME` (set and non-empty), `file:///path` (its
 * contents, one trailing newline removed) or the literal. Null, with a problem, when it cannot
 * be read; messages name the reference, never the secret.
 */
function readSecretRef(ref: string, path: KeyPath, ctx: IdentityContext): string | null {
  if (ref.startsWith('env://')) {
    const name = ref.slice(6);
    const value = ctx.env[name];
    if (value === undefined || value === '') {
      ctx.problem(path, `${ref}: environment variable ${name} is not set or empty (fail closed)`);
      return null;
    }
    return value;
  }
  if (ref.startsWith('file://')) {
    try {
      return readFileSync(fileURLToPath(ref), 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      ctx.problem(path, `${ref}: cannot read (${code}) (fail closed)`);
      return null;
    }
  }
  return ref;
}

/**
 * Answers errors the login throws (an unknown `state`: 400; a route without a login: 401) as
 * responses, so `gateway.handler` returns them as any other answer; 5xx keep propagating.
 */
function answering(mw: Middleware): Middleware {
  return {
    async handle(req, next) {
      try {
        return await mw.handle(req, next);
      } catch (err) {
        if (isRwsError(err) && err.status !== undefined && err.status < 500) {
          return errorResponse(err);
        }
        throw err;
      }
    },
  };
}

/**
 * `session()` for `[session]`. A memory store is carried over from `previous` (a reload
 * must not log everyone out); a Redis store uses the client handed to `createGateway`.
 */
export function buildSession(
  s: GatewaySession,
  ctx: IdentityContext,
  previous: SessionStore | null,
): { middleware: Middleware; store: SessionStore; isOwned: boolean } | null {
  const secrets = s.secrets.map((ref, i) =>
    readSecretRef(
      ref,
      s.secrets.length === 1 ? ['session', 'secrets'] : ['session', 'secrets', i],
      ctx,
    ),
  );
  let store: SessionStore | null = null;
  if (s.store === 'redis') {
    if (ctx.redis === undefined) {
      ctx.problem(
        ['session', 'store'],
        'store = "redis" needs a Redis client: createGateway(source, { redis }) (the rws binary opens none; use "memory")',
      );
    } else {
      const client = ctx.redis;
      store = attempt(ctx, ['session', 'store'], () =>
        createRedisSessionStore({
          client,
          ...(s.redisPrefix === null ? {} : { prefix: s.redisPrefix }),
        }),
      );
    }
  } else if (s.store === 'sql') {
    store = ctx.sqlSessionStore ?? null;
    if (store === null) {
      ctx.problem(
        ['session', 'store'],
        'store = "sql" needs a SQL session store: createGateway(source, { sqlSessionStore }) (the rws binary makes one from [database] url)',
      );
    }
  } else store = previous?.name === 'memory' ? previous : createMemorySessionStore();
  if (store === null || secrets.some((x) => x === null)) return null;
  const sessionStore = store;
  const middleware = attempt(ctx, ['session'], () =>
    session({
      keys: secrets as string[],
      store: sessionStore,
      cookie: { secure: s.secure },
      ...(s.cookieName === null ? {} : { cookieName: s.cookieName }),
      ...(s.ttlSecs === null ? {} : { ttlMs: s.ttlSecs * 1000 }),
      ...(s.rolling === null ? {} : { rolling: s.rolling }),
    }),
  );
  // The gateway closes the stores it made (memory); an injected one belongs to its caller.
  return middleware === null ? null : { middleware, store, isOwned: s.store === 'memory' };
}

function providerOf(o: GatewayOidc): OidcProvider {
  switch (o.preset) {
    case null:
      return { issuer: o.issuer ?? '' };
    case 'google':
      return google();
    case 'github':
      return github();
    case 'microsoft':
      return microsoft(o.tenant === null ? {} : { tenant: o.tenant });
    case 'okta':
      return okta({
        domain: o.domain ?? '',
        ...(o.authorizationServerId === null
          ? {}
          : { authorizationServerId: o.authorizationServerId }),
      });
    case 'auth0':
      return auth0({ domain: o.domain ?? '' });
    case 'keycloak':
      return keycloak({ baseUrl: o.baseUrl ?? '', realm: o.realm ?? '' });
  }
}

/** The gateway's login: `oidcLogin()` for `[oidc]`, its thrown refusals answered. */
export interface GatewayLogin {
  readonly middleware: Middleware;
  /** `auth = { type = "oidc" }`: a logged-in user, else a login redirect (pages) or 401. */
  requireUser(): Middleware;
}

export function buildOidc(o: GatewayOidc, ctx: IdentityContext): GatewayLogin | null {
  const secret =
    o.clientSecret === null
      ? undefined
      : readSecretRef(o.clientSecret, ['oidc', 'client_secret'], ctx);
  if (secret === null) return null;
  const login: OidcLogin | null = attempt(ctx, ['oidc'], () =>
    oidcLogin({
      provider: providerOf(o),
      clientId: o.clientId,
      clientSecret: secret,
      routes: {
        login: o.loginPath ?? undefined,
        callback: o.callbackPath ?? undefined,
        logout: o.logoutPath ?? undefined,
      },
      ...(o.redirectUri === null ? {} : { redirectUri: o.redirectUri }),
      ...(o.postLogoutRedirectUri === null
        ? {}
        : { postLogoutRedirectUri: o.postLogoutRedirectUri }),
      ...(o.scopes === null ? {} : { scopes: o.scopes }),
      ...(o.fetchUserinfo === null ? {} : { fetchUserinfo: o.fetchUserinfo }),
    }),
  );
  if (login === null) return null;
  return {
    middleware: answering(login),
    requireUser: () => answering(login.requireUser()),
  };
}

function readPrivateKey(file: string, path: KeyPath, ctx: IdentityContext): KeyObject | null {
  try {
    return createPrivateKey(readFileSync(ctx.resolvePath(file), 'utf8'));
  } catch (err) {
    ctx.problem(path, `cannot read a PEM private key from ${file}: ${(err as Error).message}`);
    return null;
  }
}

/** `forwardClaims()` for a route's `forward_claims`. */
export function buildForwardClaims(
  f: GatewayForwardClaims,
  path: KeyPath,
  ctx: IdentityContext,
): Middleware | null {
  const key =
    f.privateKeyFile !== null
      ? readPrivateKey(f.privateKeyFile, [...path, 'private_key_file'], ctx)
      : readSecretRef(f.secret ?? '', [...path, 'secret'], ctx);
  if (key === null) return null;
  return attempt(ctx, path, () =>
    forwardClaims({
      key,
      issuer: f.issuer,
      audience: f.audience.length === 1 ? f.audience[0]! : f.audience,
      ...(f.header === null ? {} : { header: f.header }),
      ...(f.algorithm === null ? {} : { algorithm: f.algorithm }),
      ...(f.keyId === null ? {} : { keyId: f.keyId }),
      ...(f.claims === null ? {} : { claims: f.claims }),
      ...(f.expiresInSecs === null ? {} : { expiresInSec: f.expiresInSecs }),
    }),
  );
}
