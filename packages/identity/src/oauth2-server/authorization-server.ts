import {
  type Handler,
  Headers,
  json,
  type Middleware,
  type Request,
  type Response,
  RwsError,
} from '@rws/core';
import { importJWK, type JWK, SignJWT } from 'jose';
import { ERROR_CODES } from '../errors.js';
import { randomToken } from '../internal/random.js';

/** A client allowed the `client_credentials` grant. */
export interface AuthorizationServerClient {
  readonly clientId: string;
  /** At least 16 characters. Compared in constant time. */
  readonly clientSecret: string;
  /** Scopes this client may ask for; a request for others is `invalid_scope`. Default none. */
  readonly scopes?: readonly string[] | undefined;
}

/** Options of `authorizationServer()`. */
export interface AuthorizationServerOptions {
  /** The issuer identifier: an https (or loopback http) URL without query or fragment. */
  issuer: string;
  clients: readonly AuthorizationServerClient[];
  /**
   * Private signing keys as JWKs (RS256, ES256 or EdDSA), each with a `kid`, newest first: the
   * first signs, all are published, so a rotated-out key keeps verifying tokens it signed.
   */
  signingKeys: readonly JWK[];
  /** The `aud` of access tokens. Default: the issuer. */
  audience?: string | undefined;
  /** Access token lifetime in seconds. Default 300. */
  accessTokenTtlSec?: number | undefined;
}

const SIGNING_ALGS = new Set(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519']);
// Everything that is not the public key: RFC 7518 §6 private members, and key_ops/ext.
const PRIVATE_JWK_FIELDS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'key_ops', 'ext'];

function failOptions(message: string): never {
  throw new RwsError(ERROR_CODES.OAUTH2_INVALID_OPTIONS, `authorizationServer: ${message}`);
}

/** An RFC 6749 §5.2 error answer; never cached (§5.1). */
function oauthError(status: number, error: string, description: string): Response {
  const res = json({ error, error_description: description }, { status });
  res.headers.set('cache-control', 'no-store');
  if (error === 'invalid_client') res.headers.set('www-authenticate', 'Basic realm="token"');
  return res;
}

/** SHA-256 digests compared byte by byte without early exit: no timing hint about the secret. */
async function isSameSecret(given: string, expected: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', enc.encode(given)),
    crypto.subtle.digest('SHA-256', enc.encode(expected)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] as number) ^ (y[i] as number);
  return diff === 0;
}

/** Client credentials from `Authorization: Basic` (RFC 6749 §2.3.1) or the form, not both. */
function credentialsOf(
  req: Request,
  form: URLSearchParams,
): { id: string; secret: string } | 'none' | 'ambiguous' {
  const auth = req.headers.get('authorization');
  const inForm = form.get('client_id') !== null || form.get('client_secret') !== null;
  if (auth !== null && /^basic /i.test(auth)) {
    if (inForm) return 'ambiguous';
    let decoded: string;
    try {
      decoded = atob(auth.slice(6).trim());
    } catch {
      return 'none';
    }
    const colon = decoded.indexOf(':');
    if (colon === -1) return 'none';
    const decode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
    try {
      return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
    } catch {
      return 'none';
    }
  }
  const id = form.get('client_id');
  const secret = form.get('client_secret');
  return id === null || secret === null ? 'none' : { id, secret };
}

/**
 * An OAuth 2 authorization server for machine clients, as one middleware: the
 * `client_credentials` grant (RFC 6749 §4.4) issuing JWT access tokens (RFC 9068, `typ:
 * at+jwt`), the public keys at `<issuer path>/jwks`, and RFC 8414 metadata at
 * `/.well-known/oauth-authorization-server<issuer path>`. `jwtAuth({ jwksUrl, issuer,
 * audience })` from `@rws/middleware/auth` accepts its tokens as they are.
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
  if (typeof options.issuer !== 'string' || !URL.canParse(options.issuer)) {
    failOptions('issuer must be a URL');
  }
  const issuerUrl = new URL(options.issuer);
  if (issuerUrl.search !== '' || issuerUrl.hash !== '')
    failOptions('issuer must have no query or fragment');
  const issuer = options.issuer;
  const basePath = issuerUrl.pathname.replace(/\/+$/, '');
  const paths = {
    metadata: `/.well-known/oauth-authorization-server${basePath}`,
    token: `${basePath}/token`,
    jwks: `${basePath}/jwks`,
  };
  const audience = options.audience ?? issuer;
  const ttlSec = options.accessTokenTtlSec ?? 300;
  if (!Number.isSafeInteger(ttlSec) || ttlSec <= 0)
    failOptions('accessTokenTtlSec must be a positive integer');
  const clients = new Map<string, AuthorizationServerClient>();
  for (const c of options.clients ?? []) {
    if (typeof c.clientId !== 'string' || c.clientId.length === 0)
      failOptions('every client needs a clientId');
    if (typeof c.clientSecret !== 'string' || c.clientSecret.length < 16) {
      failOptions(
        `client ${JSON.stringify(c.clientId)}: clientSecret must be at least 16 characters`,
      );
    }
    if (clients.has(c.clientId))
      failOptions(`client ${JSON.stringify(c.clientId)} is listed twice`);
    clients.set(c.clientId, c);
  }
  if (!Array.isArray(options.signingKeys) || options.signingKeys.length === 0) {
    failOptions('signingKeys must hold at least one private JWK');
  }
  const keys = await Promise.all(
    options.signingKeys.map(async (jwk, i) => {
      if (typeof jwk.kid !== 'string' || jwk.kid.length === 0)
        failOptions(`signingKeys[${i}] needs a kid`);
      if (typeof jwk.alg !== 'string' || !SIGNING_ALGS.has(jwk.alg)) {
        failOptions(`signingKeys[${i}].alg must be one of ${[...SIGNING_ALGS].join(', ')}`);
      }
      if (jwk.d === undefined) failOptions(`signingKeys[${i}] is not a private key`);
      const key = await importJWK(jwk, jwk.alg).catch((err: unknown) =>
        failOptions(`signingKeys[${i}]: ${(err as Error).message}`),
      );
      const publicJwk: Record<string, unknown> = {
        ...jwk,
        kid: jwk.kid,
        alg: jwk.alg,
        use: 'sig',
      };
      for (const field of PRIVATE_JWK_FIELDS) delete publicJwk[field];
      return { key, kid: jwk.kid, alg: jwk.alg, publicJwk };
    }),
  );
  const signer = keys[0]!;
  const jwksBody = JSON.stringify({ keys: keys.map((k) => k.publicJwk) });
  const origin = issuerUrl.origin;
  const metadataBody = JSON.stringify({
    issuer,
    token_endpoint: `${origin}${paths.token}`,
    jwks_uri: `${origin}${paths.jwks}`,
    grant_types_supported: ['client_credentials'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: [...new Set([...clients.values()].flatMap((c) => c.scopes ?? []))],
  });

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

  async function token(req: Request): Promise<Response> {
    const type = req.headers.get('content-type') ?? '';
    if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      return oauthError(
        400,
        'invalid_request',
        'the body must be application/x-www-form-urlencoded',
      );
    }
    const form = await req.body.form({ limit: 16 * 1024 });
    const credentials = credentialsOf(req, form);
    if (credentials === 'ambiguous') {
      return oauthError(400, 'invalid_request', 'client credentials given twice (header and body)');
    }
    const client = credentials === 'none' ? undefined : clients.get(credentials.id);
    // Compare even for an unknown client id, so timing does not tell which ids exist.
    const isValid = await isSameSecret(
      credentials === 'none' ? '' : credentials.secret,
      client?.clientSecret ?? 'no client with this id; compared anyway',
    );
    if (client === undefined || !isValid)
      return oauthError(401, 'invalid_client', 'client authentication failed');
    const grant = form.get('grant_type');
    if (grant === null) return oauthError(400, 'invalid_request', 'grant_type is missing');
    if (grant !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'only client_credentials is supported');
    }
    const allowed = client.scopes ?? [];
    const asked = (form.get('scope') ?? '').split(' ').filter((s) => s.length > 0);
    const unknown = asked.find((s) => !allowed.includes(s));
    if (unknown !== undefined)
      return oauthError(400, 'invalid_scope', 'a requested scope is not allowed for this client');
    // No scope asked: everything the client may have (RFC 6749 §3.3 lets the server choose).
    const granted = asked.length > 0 ? [...new Set(asked)] : [...allowed];
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = { client_id: client.clientId };
    if (granted.length > 0) claims['scope'] = granted.join(' ');
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setSubject(client.clientId)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSec)
      .setJti(randomToken(16))
      .sign(signer.key);
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ttlSec,
    };
    if (granted.length > 0) body['scope'] = granted.join(' ');
    const res = json(body);
    res.headers.set('cache-control', 'no-store');
    return res;
  }

  return {
    async handle(req: Request, next: Handler): Promise<Response> {
      const path = req.path;
      if (path === paths.metadata && req.method === 'GET') return jsonBody(metadataBody, 3600);
      if (path === paths.jwks && req.method === 'GET') return jsonBody(jwksBody, 300);
      if (path === paths.token) {
        if (req.method !== 'POST') {
          const res = oauthError(405, 'invalid_request', 'the token endpoint takes POST');
          res.headers.set('allow', 'POST');
          return res;
        }
        return token(req);
      }
      return next(req);
    },
  };
}
