import {
  type Handler,
  Headers,
  type Middleware,
  type Request,
  type Response,
  RwsError,
} from '@rws/core';
import { createLocalJWKSet, importJWK, type JWK, type JWTPayload, jwtVerify } from 'jose';
import { ERROR_CODES } from '../errors.js';
import { oauthError, readForm } from '../internal/oauth-http.js';
import { type AuthenticateHook, authorize, defaultAuthenticate } from './authorize-endpoint.js';
import { hashClientSecret } from './client-secret.js';
import type { OAuth2ClientRecord, OAuth2Store } from './oauth2-store.js';
import { createMemoryOAuth2Store } from './stores/memory.js';
import { createTokenEndpoint, type Signer } from './token-endpoint.js';

/** A client of the authorization server. */
export interface AuthorizationServerClient {
  readonly clientId: string;
  /**
   * At least 16 characters; stored only as a PBKDF2 hash. Omit for a public client (a browser
   * or native app): it authenticates by `client_id` alone and must use PKCE with S256.
   */
  readonly clientSecret?: string | undefined;
  /** Scopes this client may ask for; a request for others is `invalid_scope`. Default none. */
  readonly scopes?: readonly string[] | undefined;
  /** Redirect URIs for the authorization code grant, matched exactly. Default none (no code grant). */
  readonly redirectUris?: readonly string[] | undefined;
}

/** Options of `authorizationServer()`. */
export interface AuthorizationServerOptions {
  /** The issuer identifier: an https (or loopback http) URL without query or fragment. */
  issuer: string;
  /** Clients written to the store at startup (replacing a stored client of the same id). */
  clients?: readonly AuthorizationServerClient[] | undefined;
  /** Where clients, grants, codes and refresh tokens live. Default `createMemoryOAuth2Store()`. */
  store?: OAuth2Store | undefined;
  /**
   * Private signing keys as JWKs (RS256, ES256 or EdDSA), each with a `kid`, newest first: the
   * first signs, all are published, so a rotated-out key keeps verifying tokens it signed.
   */
  signingKeys: readonly JWK[];
  /** The `aud` of access tokens. Default: the issuer. */
  audience?: string | undefined;
  /** Access token lifetime in seconds. Default 300. */
  accessTokenTtlSec?: number | undefined;
  /** Authorization code lifetime in seconds. Default 60. */
  codeTtlSec?: number | undefined;
  /** Lifetime of a grant's refresh tokens, in seconds, counted from the login. Default 2592000 (30 days). */
  refreshTokenTtlSec?: number | undefined;
  /**
   * The login and consent step of the authorization endpoint. Default: the `user` (`sub` or
   * `id`) in `@rws/middleware/session`, or the `oidcLogin()` user, consenting for them.
   */
  authenticate?: AuthenticateHook | undefined;
  /** For the default `authenticate`: where to send a browser with no user (`?returnTo=` added). */
  loginUrl?: string | undefined;
}

const SIGNING_ALGS = new Set(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519']);
// Everything that is not the public key: RFC 7518 §6 private members, and key_ops/ext.
const PRIVATE_JWK_FIELDS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'key_ops', 'ext'];

function failOptions(message: string): never {
  throw new RwsError(ERROR_CODES.OAUTH2_INVALID_OPTIONS, `authorizationServer: ${message}`);
}

function ttl(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v <= 0) failOptions(`${name} must be a positive integer`);
  return v;
}

async function clientRecord(c: AuthorizationServerClient): Promise<OAuth2ClientRecord> {
  if (typeof c.clientId !== 'string' || c.clientId.length === 0)
    failOptions('every client needs a clientId');
  const name = JSON.stringify(c.clientId);
  if (
    c.clientSecret !== undefined &&
    (typeof c.clientSecret !== 'string' || c.clientSecret.length < 16)
  )
    failOptions(`client ${name}: clientSecret must be at least 16 characters`);
  const redirectUris = c.redirectUris ?? [];
  for (const uri of redirectUris) {
    if (typeof uri !== 'string' || !URL.canParse(uri) || new URL(uri).hash !== '')
      failOptions(
        `client ${name}: redirect URI ${JSON.stringify(uri)} must be an absolute URL without fragment`,
      );
  }
  if (c.clientSecret === undefined && redirectUris.length === 0)
    failOptions(`client ${name}: a public client (no clientSecret) needs redirectUris`);
  return {
    clientId: c.clientId,
    secretHash: c.clientSecret === undefined ? null : await hashClientSecret(c.clientSecret),
    scopes: [...(c.scopes ?? [])],
    redirectUris: [...redirectUris],
  };
}

async function loadKeys(jwks: readonly JWK[]): Promise<{ signer: Signer; publicJwks: JWK[] }> {
  if (!Array.isArray(jwks) || jwks.length === 0)
    failOptions('signingKeys must hold at least one private JWK');
  const keys = await Promise.all(
    jwks.map(async (jwk, i) => {
      if (typeof jwk.kid !== 'string' || jwk.kid.length === 0)
        failOptions(`signingKeys[${i}] needs a kid`);
      if (typeof jwk.alg !== 'string' || !SIGNING_ALGS.has(jwk.alg))
        failOptions(`signingKeys[${i}].alg must be one of ${[...SIGNING_ALGS].join(', ')}`);
      if (jwk.d === undefined) failOptions(`signingKeys[${i}] is not a private key`);
      const key = await importJWK(jwk, jwk.alg).catch((err: unknown) =>
        failOptions(`signingKeys[${i}]: ${(err as Error).message}`),
      );
      const publicJwk: Record<string, unknown> = { ...jwk, use: 'sig' };
      for (const field of PRIVATE_JWK_FIELDS) delete publicJwk[field];
      return { key, kid: jwk.kid, alg: jwk.alg, publicJwk: publicJwk as JWK };
    }),
  );
  const first = keys[0]!;
  return {
    signer: { key: first.key, kid: first.kid, alg: first.alg },
    publicJwks: keys.map((k) => k.publicJwk),
  };
}

/**
 * An OAuth 2 authorization server as one middleware: the authorization code grant with PKCE
 * (RFC 6749 §4.1, RFC 7636), refresh tokens with rotation and reuse detection, the
 * `client_credentials` grant (§4.4), JWT access tokens (RFC 9068, `typ: at+jwt`),
 * introspection (RFC 7662), revocation (RFC 7009), the public keys at `<issuer path>/jwks` and
 * RFC 8414 metadata at `/.well-known/oauth-authorization-server<issuer path>`.
 * `jwtAuth({ jwksUrl, issuer, audience })` from `@rws/middleware/auth` accepts its access
 * tokens as they are.
 *
 * @example
 * ```ts
 * import { authorizationServer } from '@rws/identity/oauth2-server';
 * import { createApp } from '@rws/router';
 * import { exportJWK, generateKeyPair } from 'jose';
 * const { privateKey } = await generateKeyPair('ES256', { extractable: true });
 * const app = createApp();
 * app.use(
 *   await authorizationServer({
 *     issuer: 'https://auth.example.com',
 *     clients: [{ clientId: 'billing', clientSecret: process.env.BILLING_SECRET ?? '', scopes: ['invoices:read'] }],
 *     signingKeys: [{ ...(await exportJWK(privateKey)), kid: '2026-11', alg: 'ES256' }],
 *   }),
 * );
 * ```
 */
export async function authorizationServer(
  options: AuthorizationServerOptions,
): Promise<Middleware> {
  if (options === null || typeof options !== 'object') failOptions('options are required');
  if (typeof options.issuer !== 'string' || !URL.canParse(options.issuer))
    failOptions('issuer must be a URL');
  const issuerUrl = new URL(options.issuer);
  if (issuerUrl.search !== '' || issuerUrl.hash !== '')
    failOptions('issuer must have no query or fragment');
  const issuer = options.issuer;
  const basePath = issuerUrl.pathname.replace(/\/+$/, '');
  const paths = {
    metadata: `/.well-known/oauth-authorization-server${basePath}`,
    authorize: `${basePath}/authorize`,
    token: `${basePath}/token`,
    introspect: `${basePath}/introspect`,
    revoke: `${basePath}/revoke`,
    jwks: `${basePath}/jwks`,
  };
  const ttls = {
    accessSec: ttl('accessTokenTtlSec', options.accessTokenTtlSec, 300),
    codeSec: ttl('codeTtlSec', options.codeTtlSec, 60),
    refreshSec: ttl('refreshTokenTtlSec', options.refreshTokenTtlSec, 30 * 24 * 3600),
  };
  if (options.loginUrl !== undefined && typeof options.loginUrl !== 'string')
    failOptions('loginUrl must be a string');
  const ids = new Set<string>();
  const records = await Promise.all(
    (options.clients ?? []).map((c) => {
      if (ids.has(c.clientId)) failOptions(`client ${JSON.stringify(c.clientId)} is listed twice`);
      ids.add(c.clientId);
      return clientRecord(c);
    }),
  );
  const { signer, publicJwks } = await loadKeys(options.signingKeys);
  const store = options.store ?? createMemoryOAuth2Store();
  for (const r of records) await store.putClient(r);

  const origin = issuerUrl.origin;
  const endpoints = createTokenEndpoint({
    issuer,
    audience: options.audience ?? issuer,
    store,
    signer,
    ttls,
    verifyAccessToken: (() => {
      const keySet = createLocalJWKSet({ keys: publicJwks });
      return async (token: string): Promise<JWTPayload | null> => {
        try {
          return (await jwtVerify(token, keySet, { issuer, typ: 'at+jwt' })).payload;
        } catch {
          return null;
        }
      };
    })(),
  });
  const scopes = [...new Set(records.flatMap((c) => c.scopes))];
  const metadataBody = JSON.stringify({
    issuer,
    authorization_endpoint: `${origin}${paths.authorize}`,
    token_endpoint: `${origin}${paths.token}`,
    introspection_endpoint: `${origin}${paths.introspect}`,
    revocation_endpoint: `${origin}${paths.revoke}`,
    jwks_uri: `${origin}${paths.jwks}`,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'none',
    ],
    authorization_response_iss_parameter_supported: true,
    scopes_supported: scopes,
  });
  const jwksBody = JSON.stringify({ keys: publicJwks });
  const authenticate = options.authenticate ?? defaultAuthenticate(options.loginUrl);
  const authorizeContext = {
    issuer,
    getClient: async (id: string) => store.getClient(id),
    authenticate,
    issueCode: endpoints.issueCode,
  };

  function jsonBody(body: string, maxAgeSec: number): Response {
    return {
      status: 200,
      headers: Headers.fromTrustedList([
        'content-type',
        'application/json; charset=utf-8',
        'cache-control',
        `public, max-age=${maxAgeSec}`,
      ]),
      body,
    };
  }

  const postOnly: Record<string, (req: Request, form: URLSearchParams) => Promise<Response>> = {
    [paths.token]: endpoints.token,
    [paths.introspect]: endpoints.introspect,
    [paths.revoke]: endpoints.revoke,
  };

  return {
    async handle(req: Request, next: Handler): Promise<Response> {
      const path = req.path;
      if (path === paths.metadata && req.method === 'GET') return jsonBody(metadataBody, 3600);
      if (path === paths.jwks && req.method === 'GET') return jsonBody(jwksBody, 300);
      if (path === paths.authorize && (req.method === 'GET' || req.method === 'POST'))
        return authorize(req, authorizeContext);
      const endpoint = Object.hasOwn(postOnly, path) ? postOnly[path] : undefined;
      if (endpoint !== undefined) {
        if (req.method !== 'POST') {
          const res = oauthError(405, 'invalid_request', `${path} takes POST`);
          res.headers.set('allow', 'POST');
          return res;
        }
        const form = await readForm(req);
        return form instanceof URLSearchParams ? endpoint(req, form) : form;
      }
      return next(req);
    },
  };
}
