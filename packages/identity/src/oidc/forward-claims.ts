/**
 * `forwardClaims()`: hands the logged-in user's claims to the upstream as a compact JWS in one
 * request header, so a backend behind the proxy can trust who the user is by checking a
 * signature (shared HS256 secret or a public key) instead of re-validating a session.
 */
import { createRequest, Headers, type Middleware, type Request, RwsError } from '@rws/core';
import { type CryptoKey, type KeyObject, SignJWT } from 'jose';
import { ERROR_CODES } from '../errors.js';
import { ASYMMETRIC_ALGS, carryOidcUser, getOidcUser } from './oidc-login.js';
import type { OidcClaims } from './types.js';

/** Options of `forwardClaims()`. */
export interface ForwardClaimsOptions {
  /** The request header carrying the token. Default `x-rws-user`. */
  header?: string | undefined;
  /** The user's claims copied into the token; `sub` is always included. Default `['sub']`. */
  claims?: readonly string[] | undefined;
  /**
   * The signing key: a secret (string or bytes, at least 32 bytes) for HS256, or a private key
   * (`CryptoKey`, `KeyObject`) with `algorithm` set (`ES256`, `EdDSA`, `RS256`…).
   */
  key: string | Uint8Array | CryptoKey | KeyObject;
  /** Default `HS256`; required for a private key. */
  algorithm?: string | undefined;
  /** `kid` in the token's header, so backends can pick the key during a rotation. */
  keyId?: string | undefined;
  /** The token's `iss`: who vouches for the user (this app or gateway). */
  issuer: string;
  /** The token's `aud`: the backend(s) meant to accept it. */
  audience: string | readonly string[];
  /** Token lifetime in seconds. Default 60: it only has to outlive one proxied request. */
  expiresInSec?: number | undefined;
}

/** Registered claim names the token sets itself; copying the provider's would mislead backends. */
const RESERVED = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti']);
const HMAC_ALGS = new Set(['HS256', 'HS384', 'HS512']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

function fail(message: string): never {
  throw new RwsError(ERROR_CODES.OIDC_FORWARD_CLAIMS_INVALID_OPTIONS, `forwardClaims: ${message}`);
}

function checkKey(
  key: ForwardClaimsOptions['key'],
  algorithm: string,
): Uint8Array | CryptoKey | KeyObject {
  if (typeof key === 'string' || key instanceof Uint8Array) {
    if (!HMAC_ALGS.has(algorithm)) {
      fail(`a secret key signs with HS256/HS384/HS512, not ${JSON.stringify(algorithm)}`);
    }
    const bytes = typeof key === 'string' ? new TextEncoder().encode(key) : key;
    // RFC 7518 §3.2: the HMAC key must be at least as long as the hash output.
    if (bytes.byteLength < 32)
      fail(`the secret key must be at least 32 bytes, got ${bytes.byteLength}`);
    return bytes;
  }
  if (typeof key !== 'object' || key === null) fail('key must be a secret or a private key');
  if (!ASYMMETRIC_ALGS.includes(algorithm)) {
    fail(`a private key needs algorithm (ES256, EdDSA, RS256…), got ${JSON.stringify(algorithm)}`);
  }
  return key;
}

function checkClaims(claims: readonly string[] | undefined): readonly string[] {
  if (claims === undefined) return ['sub'];
  if (!Array.isArray(claims) || claims.some((c) => typeof c !== 'string' || c.length === 0)) {
    fail('claims must be an array of claim names');
  }
  const reserved = claims.find((c) => RESERVED.has(c));
  if (reserved !== undefined) {
    fail(`claim ${JSON.stringify(reserved)} is set by the token itself and cannot be forwarded`);
  }
  return [...new Set(['sub', ...claims])];
}

function pick(claims: OidcClaims, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) if (claims[name] !== undefined) out[name] = claims[name];
  return out;
}

/**
 * A middleware, placed after `oidcLogin()` and before the proxy, that always removes the
 * client's copy of `header` (a client must not be able to claim an identity) and, when a user
 * is logged in, sets it to a JWS over the chosen claims with `iss`, `aud`, `iat` and a short
 * `exp`. Requests without a logged-in user go on without the header.
 *
 * @example
 * ```ts
 * // `reverseProxy` is the one of the proxy package, installed by the app.
 * app.use(session({ keys }), login, forwardClaims({
 *   key: process.env.RWS_USER_HEADER_SECRET ?? '',
 *   issuer: 'https://gateway.example.com',
 *   audience: 'orders-api',
 *   claims: ['email', 'name'],
 * }), reverseProxy({ upstream: 'http://127.0.0.1:3000' }));
 * // The backend: await jwtVerify(req.headers['x-rws-user'], secret, { issuer, audience })
 * ```
 */
export function forwardClaims(options: ForwardClaimsOptions): Middleware {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const header = (options.header ?? 'x-rws-user').toLowerCase();
  if (!TOKEN.test(header)) fail(`header must be a header name, got ${JSON.stringify(header)}`);
  const algorithm = options.algorithm ?? 'HS256';
  const key = checkKey(options.key, algorithm);
  const names = checkClaims(options.claims);
  const { issuer, keyId } = options;
  if (typeof issuer !== 'string' || issuer.length === 0) fail('issuer must be a non-empty string');
  const { audience } = options;
  const isName = (a: unknown) => typeof a === 'string' && a.length > 0;
  if (
    !isName(audience) &&
    !(Array.isArray(audience) && audience.length > 0 && audience.every(isName))
  ) {
    fail('audience must be a non-empty string or array of strings');
  }
  const ttl = options.expiresInSec ?? 60;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 3600) {
    fail(`expiresInSec must be an integer from 1 to 3600, got ${JSON.stringify(ttl)}`);
  }
  const aud = typeof audience === 'string' ? audience : [...audience];

  async function sign(claims: OidcClaims): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(pick(claims, names))
      .setProtectedHeader(keyId === undefined ? { alg: algorithm } : { alg: algorithm, kid: keyId })
      .setIssuer(issuer)
      .setAudience(aud)
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .sign(key);
  }

  return {
    async handle(req, next) {
      const user = getOidcUser(req);
      if (user === null && !req.headers.has(header)) return next(req);
      const headers = new Headers(req.headers);
      headers.delete(header);
      if (user !== null) headers.set(header, await sign(user.claims));
      const derived = derive(req, headers);
      carryOidcUser(req, derived);
      return next(derived);
    },
  };
}

/** A copy of `req` with new headers (core requests are read-only); transport fields carry over. */
function derive(req: Request, headers: Request['headers']): Request {
  return createRequest({
    method: req.method,
    target: req.target,
    headers,
    body: req.body,
    protocol: req.protocol,
    conn: req.conn,
    signal: req.signal,
    params: req.params,
    authority: req.authority,
    scheme: req.scheme,
    sendInformational: req.sendInformational,
    upgrade: req.upgrade,
    halfClose: req.halfClose,
  });
}
