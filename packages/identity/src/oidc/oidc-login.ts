import {
  type Handler,
  type Middleware,
  type Request,
  type Response,
  RwsError,
  redirect,
} from '@rws/core';
import { getSession, type Session } from '@rws/middleware/session';
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import { ERROR_CODES } from '../errors.js';
import {
  checkRoutePath,
  completeLogin,
  createUserSlot,
  logoutRoute,
  requestedReturnTo,
  requireUserMiddleware,
} from '../internal/login-middleware.js';
import { pkceChallenge, randomToken } from '../internal/random.js';
import { safeReturnTo } from '../internal/return-to.js';
import { checkMetadata, createDiscovery, type Discovery } from './discovery.js';
import { validateIdToken } from './id-token.js';
import type { OidcProvider } from './presets.js';
import { type PendingLogin, type StoredLogin, toUser } from './session-login.js';
import {
  type ClientAuthMethod,
  requestTokens,
  type TokenClient,
  type TokenResponse,
} from './token-client.js';
import type { FetchLike, OidcClaims, OidcProviderMetadata, OidcUser } from './types.js';

/** The paths `oidcLogin()` answers itself. */
export interface OidcRoutes {
  /** Starts a login; `?returnTo=/path` says where to go after it. Default `/auth/login`. */
  login?: string | undefined;
  /** The redirect URI's path, where the provider sends the user back. Default `/auth/callback`. */
  callback?: string | undefined;
  /**
   * `POST` ends the local session and, when the provider supports it, the provider's; `GET`
   * shows a page whose button POSTs. Default `/auth/logout`.
   */
  logout?: string | undefined;
}

/** Options of `oidcLogin()`. */
export interface OidcLoginOptions {
  /** The provider: a preset (`google()`, `keycloak({...})`…) or `{ issuer }`. */
  provider: OidcProvider;
  clientId: string;
  /** Required for confidential clients; omit for a public client (PKCE only). */
  clientSecret?: string | undefined;
  /** Default `client_secret_basic` with a secret, `none` without. */
  clientAuthMethod?: ClientAuthMethod | undefined;
  /**
   * The absolute redirect URI registered with the provider. Default: the request's own origin
   * plus `routes.callback` (set it explicitly behind a proxy that rewrites `Host`).
   */
  redirectUri?: string | undefined;
  /** Default: the provider's scopes (`openid profile email` for OIDC presets). */
  scopes?: readonly string[] | undefined;
  /** Extra authorization request parameters (`prompt`, `login_hint`, `audience`…). */
  authorizationParams?: Readonly<Record<string, string>> | undefined;
  routes?: OidcRoutes | undefined;
  /** Where the provider sends the user after logout (registered with the provider). */
  postLogoutRedirectUri?: string | undefined;
  /** Where to go after login without `returnTo`, and after a local-only logout. Default `/`. */
  defaultReturnTo?: string | undefined;
  /** Clock tolerance for ID token times, in seconds. Default 30. */
  clockToleranceSec?: number | undefined;
  /** Fetch the userinfo endpoint at login and merge its claims. Default false (always for `oauth2`). */
  fetchUserinfo?: boolean | undefined;
  /** Refresh an expired access token on the next request when a refresh token exists. Default true. */
  autoRefresh?: boolean | undefined;
  /** Session key of the login. Default `rws.oidc`. */
  sessionKey?: string | undefined;
  /** How long a started login may take, in milliseconds. Default 600000 (ten minutes). */
  loginTimeoutMs?: number | undefined;
  /** Discovery cache lifetime, in milliseconds. Default 3600000. */
  discoveryCacheTtlMs?: number | undefined;
  /** The `fetch` for every request to the provider. Default `globalThis.fetch`. */
  fetch?: FetchLike | undefined;
}

/** The login middleware plus what handlers call on it. */
export interface OidcLogin extends Middleware {
  /** A middleware that lets only logged-in users through (login redirect for pages, else 401). */
  requireUser(): Middleware;
  /** Uses the refresh token now; returns the updated user. */
  refresh(req: Request): Promise<OidcUser>;
  /** The provider metadata (discovered and cached). */
  metadata(): Promise<OidcProviderMetadata>;
}

/** Logins a session may have in flight at once (several tabs); older ones are dropped. */
const MAX_PENDING = 5;
/** The signature algorithms of public-key JWS (ID tokens, forwarded claims). */
export const ASYMMETRIC_ALGS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

const users = createUserSlot<OidcUser>(
  ERROR_CODES.OIDC_NOT_INSTALLED,
  'getOidcUser(): this request did not pass oidcLogin(); add it (after session()) before this handler',
);

/**
 * Makes `getOidcUser(to)` answer what `getOidcUser(from)` does: for middleware after
 * `oidcLogin()` that hands on a derived request (core requests are read-only).
 */
export function carryOidcUser(from: Request, to: Request): void {
  users.carry(from, to);
}

/**
 * The logged-in user of a request, or null when nobody is logged in. Throws
 * `RWS_IDENTITY_OIDC_NOT_INSTALLED` (500) when the request did not pass `oidcLogin()`.
 */
export function getOidcUser(req: Request): OidcUser | null {
  return users.get(req);
}

function failOptions(message: string): never {
  throw new RwsError(ERROR_CODES.OIDC_INVALID_OPTIONS, `oidcLogin: ${message}`);
}

function checkPath(name: string, value: string): string {
  return checkRoutePath(name, value, failOptions);
}

/**
 * OpenID Connect login (relying party) as one middleware: the authorization code flow with PKCE
 * (S256), `state` and `nonce`, ID token validation against the provider's cached JWKS, optional
 * userinfo, token refresh and RP-initiated logout. The login lives in the session, so
 * `session()` from `@rws/middleware/session` must run first.
 *
 * @example
 * ```ts
 * import { json } from '@rws/core';
 * import { getOidcUser, google, oidcLogin } from '@rws/identity/oidc';
 * import { session } from '@rws/middleware/session';
 * import { createApp } from '@rws/router';
 * const login = oidcLogin({
 *   provider: google(),
 *   clientId: process.env.GOOGLE_CLIENT_ID ?? '',
 *   clientSecret: process.env.GOOGLE_CLIENT_SECRET,
 *   redirectUri: 'https://app.example.com/auth/callback',
 * });
 * const app = createApp();
 * app.use(session({ keys: [process.env.SESSION_SECRET ?? ''] }), login);
 * app.get('/me', { middleware: [login.requireUser()] }, (req) => json(getOidcUser(req)?.claims));
 * ```
 */
export function oidcLogin(options: OidcLoginOptions): OidcLogin {
  if (options === null || typeof options !== 'object') failOptions('options are required');
  const provider = options.provider;
  if (
    provider === undefined ||
    typeof provider.issuer !== 'string' ||
    !URL.canParse(provider.issuer)
  ) {
    failOptions('provider must name an issuer URL');
  }
  if (typeof options.clientId !== 'string' || options.clientId.length === 0)
    failOptions('clientId is required');
  const isOauth2 = provider.kind === 'oauth2';
  if (isOauth2 && provider.metadata === undefined)
    failOptions('an oauth2 provider needs metadata (its endpoints)');
  const authMethod =
    options.clientAuthMethod ??
    (options.clientSecret === undefined ? 'none' : 'client_secret_basic');
  if (authMethod !== 'none' && typeof options.clientSecret !== 'string') {
    failOptions(`clientSecret is required with ${authMethod}`);
  }
  if (options.redirectUri !== undefined && !URL.canParse(options.redirectUri)) {
    failOptions(`redirectUri must be an absolute URL, got ${JSON.stringify(options.redirectUri)}`);
  }
  const routes = {
    login: checkPath('login', options.routes?.login ?? '/auth/login'),
    callback: checkPath(
      'callback',
      options.routes?.callback ??
        (options.redirectUri === undefined
          ? '/auth/callback'
          : new URL(options.redirectUri).pathname),
    ),
    logout: checkPath('logout', options.routes?.logout ?? '/auth/logout'),
  };
  const scopes = options.scopes ?? provider.scopes ?? ['openid'];
  if (!isOauth2 && !scopes.includes('openid'))
    failOptions('scopes must include "openid" for an OpenID provider');
  const clockToleranceSec = options.clockToleranceSec ?? 30;
  if (!Number.isFinite(clockToleranceSec) || clockToleranceSec < 0)
    failOptions('clockToleranceSec must be a number >= 0');
  const defaultReturnTo = safeReturnTo(options.defaultReturnTo, '/');
  const sessionKey = options.sessionKey ?? 'rws.oidc';
  const pendingKey = `${sessionKey}.pending`;
  const loginTimeoutMs = options.loginTimeoutMs ?? 600_000;
  const isAutoRefresh = options.autoRefresh !== false;
  const shouldFetchUserinfo = isOauth2 || options.fetchUserinfo === true;
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const client: TokenClient = {
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    authMethod,
    fetch: fetchFn,
  };

  const discovery: Discovery =
    provider.metadata !== undefined
      ? {
          get: async () =>
            checkMetadata(provider.metadata, provider.metadata?.issuer ?? '', 'provider.metadata'),
        }
      : createDiscovery({
          issuer: provider.issuer,
          expectedIssuer: provider.discoveryIssuer,
          cacheTtlMs: options.discoveryCacheTtlMs,
          fetch: fetchFn,
        });

  // One remote key set per jwks_uri: jose caches the keys and refetches (rate limited) when a
  // token names an unknown kid, which is how provider key rotation shows up.
  let jwks: { uri: string; keys: JWTVerifyGetKey } | null = null;
  function keysFor(metadata: OidcProviderMetadata): JWTVerifyGetKey {
    const uri = metadata.jwks_uri;
    if (uri === undefined) {
      throw new RwsError(ERROR_CODES.OIDC_DISCOVERY_FAILED, 'provider metadata has no jwks_uri', {
        status: 502,
      });
    }
    if (jwks?.uri !== uri) {
      jwks = { uri, keys: createRemoteJWKSet(new URL(uri), { [customFetch]: fetchFn }) };
    }
    return jwks.keys;
  }

  function algorithmsOf(metadata: OidcProviderMetadata): string[] {
    const offered = metadata.id_token_signing_alg_values_supported;
    const allowed =
      offered === undefined ? ['RS256'] : offered.filter((a) => ASYMMETRIC_ALGS.includes(a));
    return allowed.length > 0 ? allowed : ['RS256'];
  }

  async function fetchUserinfo(
    metadata: OidcProviderMetadata,
    accessToken: string,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const endpoint = metadata.userinfo_endpoint;
    const fail = (message: string, cause?: unknown): never => {
      throw new RwsError(ERROR_CODES.OIDC_USERINFO_FAILED, message, { status: 502, cause });
    };
    if (endpoint === undefined) fail('provider metadata has no userinfo_endpoint');
    let res: globalThis.Response;
    try {
      res = await fetchFn(endpoint as string, {
        headers: {
          authorization: `Bearer ${accessToken}`,
          accept: 'application/json',
          'user-agent': 'rws-identity',
        },
        signal,
      });
    } catch (err) {
      return fail(`userinfo ${endpoint} unreachable: ${(err as Error).message}`, err);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      fail(`userinfo answered ${res.status}`);
    }
    const info: unknown = await res
      .json()
      .catch((err: unknown) => fail('userinfo answered a body that is not JSON', err));
    if (typeof info !== 'object' || info === null || Array.isArray(info))
      fail('userinfo answered something that is not a JSON object');
    return info as Record<string, unknown>;
  }

  /** Claims of a fresh token response: the validated ID token's, plus userinfo's when wanted. */
  async function claimsOf(
    metadata: OidcProviderMetadata,
    tokens: TokenResponse,
    nonce: string | null,
    previous: OidcClaims | null,
    signal: AbortSignal,
  ): Promise<OidcClaims> {
    if (isOauth2) {
      if (previous !== null) return previous;
      const info = await fetchUserinfo(metadata, tokens.access_token, signal);
      const map =
        provider.mapUserinfo ?? ((i: Readonly<Record<string, unknown>>) => i as OidcClaims);
      const claims = map(info);
      if (typeof claims.sub !== 'string' || claims.sub.length === 0) {
        throw new RwsError(
          ERROR_CODES.OIDC_USERINFO_FAILED,
          'userinfo answered without a subject',
          { status: 502 },
        );
      }
      return claims;
    }
    if (tokens.id_token === undefined) {
      // A refresh response may omit the ID token (OIDC Core §12.2): the login's claims stay.
      if (previous !== null) return previous;
      throw new RwsError(
        ERROR_CODES.OIDC_ID_TOKEN_INVALID,
        'ID token rejected: the token response has none',
        { status: 401 },
      );
    }
    const claims = (await validateIdToken(tokens.id_token, keysFor(metadata), {
      issuer: metadata.issuer,
      isValidIssuer: provider.isValidIssuer,
      clientId: options.clientId,
      nonce,
      clockToleranceSec,
      algorithms: algorithmsOf(metadata),
    })) as OidcClaims;
    if (previous !== null && claims.sub !== previous.sub) {
      // OIDC Core §12.2: a refreshed ID token must be about the same user.
      throw new RwsError(
        ERROR_CODES.OIDC_ID_TOKEN_INVALID,
        'ID token rejected: refreshed "sub" differs from the login\'s',
        { status: 401 },
      );
    }
    if (!shouldFetchUserinfo) return claims;
    const info = await fetchUserinfo(metadata, tokens.access_token, signal);
    if (info['sub'] !== claims.sub) {
      // OIDC Core §5.3.2: a userinfo answer about someone else must not be used.
      throw new RwsError(
        ERROR_CODES.OIDC_USERINFO_FAILED,
        'userinfo "sub" differs from the ID token\'s',
        { status: 502 },
      );
    }
    return { ...info, ...claims };
  }

  function storedFrom(
    tokens: TokenResponse,
    claims: OidcClaims,
    previous: StoredLogin | null,
  ): StoredLogin {
    return {
      claims,
      accessToken: tokens.access_token,
      idToken: tokens.id_token ?? previous?.idToken,
      refreshToken: tokens.refresh_token ?? previous?.refreshToken,
      expiresAt:
        tokens.expires_in === undefined ? undefined : Date.now() + tokens.expires_in * 1000,
      scope: tokens.scope ?? previous?.scope,
    };
  }

  function redirectUriFor(req: Request): string {
    return (
      options.redirectUri ?? `${req.scheme}://${req.authority ?? 'localhost'}${routes.callback}`
    );
  }

  async function startLogin(req: Request, s: Session): Promise<Response> {
    const metadata = await discovery.get({ signal: req.signal });
    const state = randomToken();
    const nonce = randomToken();
    const verifier = randomToken(48);
    const redirectUri = redirectUriFor(req);
    const now = Date.now();
    const pending = { ...(s.get<Record<string, PendingLogin>>(pendingKey) ?? {}) };
    for (const [key, p] of Object.entries(pending))
      if (now - p.startedAt > loginTimeoutMs) delete pending[key];
    const keys = Object.keys(pending);
    while (keys.length >= MAX_PENDING) delete pending[keys.shift() as string];
    pending[state] = {
      nonce,
      verifier,
      returnTo: requestedReturnTo(req, defaultReturnTo),
      redirectUri,
      startedAt: now,
    };
    s.set(pendingKey, pending);

    const url = new URL(metadata.authorization_endpoint);
    const params = url.searchParams;
    for (const [k, v] of Object.entries(options.authorizationParams ?? {})) params.set(k, v);
    params.set('response_type', 'code');
    params.set('client_id', options.clientId);
    params.set('redirect_uri', redirectUri);
    params.set('scope', scopes.join(' '));
    params.set('state', state);
    if (!isOauth2) params.set('nonce', nonce);
    params.set('code_challenge', await pkceChallenge(verifier));
    params.set('code_challenge_method', 'S256');
    return redirect(url.href, 302, { headers: { 'cache-control': 'no-store' } });
  }

  async function callback(req: Request, s: Session): Promise<Response> {
    const q = req.query;
    const state = q.get('state');
    const pending = { ...(s.get<Record<string, PendingLogin>>(pendingKey) ?? {}) };
    const login = state === null ? undefined : pending[state];
    if (
      state === null ||
      login === undefined ||
      !Object.hasOwn(pending, state) ||
      Date.now() - login.startedAt > loginTimeoutMs
    ) {
      throw new RwsError(
        ERROR_CODES.OIDC_STATE_MISMATCH,
        'login callback: unknown or expired state; start the login again',
        { status: 400 },
      );
    }
    // One use per state: a replayed callback finds nothing.
    delete pending[state];
    s.set(pendingKey, pending);
    const metadata = await discovery.get({ signal: req.signal });
    const iss = q.get('iss');
    if (iss !== null && iss !== metadata.issuer) {
      // RFC 9207: the response came from another issuer (mix-up attack).
      throw new RwsError(
        ERROR_CODES.OIDC_PROVIDER_ERROR,
        'login callback: "iss" names another issuer',
        { status: 401 },
      );
    }
    const error = q.get('error');
    if (error !== null) {
      const safe = /^[\x20-\x7e]{1,64}$/.test(error) ? error : 'invalid error code';
      throw new RwsError(ERROR_CODES.OIDC_PROVIDER_ERROR, `login failed at the provider: ${safe}`, {
        status: 401,
      });
    }
    const code = q.get('code');
    if (code === null || code.length === 0) {
      throw new RwsError(ERROR_CODES.OIDC_PROVIDER_ERROR, 'login callback: no code', {
        status: 400,
      });
    }
    const tokens = await requestTokens(
      metadata.token_endpoint,
      client,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: login.redirectUri,
        code_verifier: login.verifier,
      },
      req.signal,
    );
    const claims = await claimsOf(
      metadata,
      tokens,
      isOauth2 ? null : login.nonce,
      null,
      req.signal,
    );
    return completeLogin(s, sessionKey, storedFrom(tokens, claims, null), login.returnTo);
  }

  async function logout(req: Request, s: Session): Promise<Response> {
    const stored = s.get<StoredLogin>(sessionKey);
    s.destroy();
    const metadata = stored === undefined ? null : await discovery.get({ signal: req.signal });
    const endSession = metadata?.end_session_endpoint;
    if (endSession === undefined || stored === undefined) {
      return redirect(options.postLogoutRedirectUri ?? defaultReturnTo, 302);
    }
    // OIDC RP-Initiated Logout 1.0 §2: end the provider's session too.
    const url = new URL(endSession);
    if (stored.idToken !== undefined) url.searchParams.set('id_token_hint', stored.idToken);
    url.searchParams.set('client_id', options.clientId);
    if (options.postLogoutRedirectUri !== undefined) {
      url.searchParams.set('post_logout_redirect_uri', options.postLogoutRedirectUri);
    }
    return redirect(url.href, 302);
  }

  async function refreshStored(req: Request, s: Session, stored: StoredLogin): Promise<OidcUser> {
    if (stored.refreshToken === undefined) {
      throw new RwsError(
        ERROR_CODES.OIDC_NOT_AUTHENTICATED,
        'refresh: the login has no refresh token',
        { status: 401 },
      );
    }
    const metadata = await discovery.get({ signal: req.signal });
    const tokens = await requestTokens(
      metadata.token_endpoint,
      client,
      { grant_type: 'refresh_token', refresh_token: stored.refreshToken },
      req.signal,
    );
    const claims = await claimsOf(metadata, tokens, null, stored.claims, req.signal);
    const next = storedFrom(tokens, claims, stored);
    s.set(sessionKey, next);
    const user = toUser(next);
    users.set(req, user);
    return user;
  }

  const middleware: OidcLogin = {
    async handle(req: Request, next: Handler): Promise<Response> {
      const path = req.path;
      if (path === routes.login && req.method === 'GET') return startLogin(req, getSession(req));
      if (path === routes.callback && req.method === 'GET') return callback(req, getSession(req));
      const loggedOut = logoutRoute(req, routes.logout, options.redirectUri, () =>
        logout(req, getSession(req)),
      );
      if (loggedOut !== null) return loggedOut;
      const s = getSession(req);
      const stored = s.get<StoredLogin>(sessionKey) ?? null;
      users.set(req, stored === null ? null : toUser(stored));
      if (
        stored !== null &&
        isAutoRefresh &&
        stored.refreshToken !== undefined &&
        stored.expiresAt !== undefined &&
        stored.expiresAt <= Date.now()
      ) {
        try {
          await refreshStored(req, s, stored);
        } catch {
          // The provider no longer honours the login (revoked, expired): the user is logged out.
          s.delete(sessionKey);
          users.set(req, null);
        }
      }
      return next(req);
    },
    requireUser(): Middleware {
      return requireUserMiddleware(
        (req) => getOidcUser(req) !== null,
        routes.login,
        defaultReturnTo,
        ERROR_CODES.OIDC_NOT_AUTHENTICATED,
      );
    },
    async refresh(req: Request): Promise<OidcUser> {
      const s = getSession(req);
      const stored = s.get<StoredLogin>(sessionKey);
      if (stored === undefined) {
        throw new RwsError(ERROR_CODES.OIDC_NOT_AUTHENTICATED, 'refresh: nobody is logged in', {
          status: 401,
        });
      }
      return refreshStored(req, s, stored);
    },
    metadata(): Promise<OidcProviderMetadata> {
      return discovery.get();
    },
  };
  return middleware;
}
