/**
 * Authentication middlewares that fail closed: `basicAuth()` (RFC 7617), `bearerAuth()`
 * (static tokens, RFC 6750) and `jwtAuth()` (RFC 7519 through the `jose` library, with
 * static keys or a JWKS URL). A missing secret, key, token or env var throws at creation, so
 * a misconfigured route never starts open. Refusals are 401 with a `WWW-Authenticate`
 * challenge.
 *
 * @module
 */
import { createHash, createPublicKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Handler, Headers, type Middleware, type Request, type Response } from '@rws/core';
import {
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { ERROR_CODES } from '../errors.js';
import { apr1 } from '../internal/auth/apr1.js';
import { bcrypt, parseBcrypt } from '../internal/auth/bcrypt.js';
import { hmacKeys } from '../internal/auth/hmac-keys.js';
import { VerifiedCache } from '../internal/auth/verified-cache.js';
import { safeEqual } from '../internal/crypto/keys.js';
import { failOptions } from '../internal/fail.js';

function fail(name: string, message: string): never {
  failOptions(ERROR_CODES.AUTH_INVALID_OPTIONS, name, message);
}

/** Bearer tokens are compared as digests: equal lengths, so `timingSafeEqual` reveals nothing. */
const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** `realm="…"` with the value quoted per RFC 9110 §5.6.4. */
function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function checkRealm(name: string, realm: unknown): string {
  // A header value: no control character, and a byte string (no char above 0xFF).
  if (typeof realm !== 'string' || /[\x00-\x1f\x7f\u0100-\uffff]/.test(realm)) {
    fail(name, 'realm must be a string without control characters or chars above U+00FF');
  }
  return realm;
}

function unauthorized(challenge: string): Response {
  return {
    status: 401,
    headers: new Headers({
      'content-type': 'text/plain; charset=utf-8',
      'www-authenticate': challenge,
    }),
    body: 'Unauthorized\n',
  };
}

/** The credentials after `<scheme> ` in `Authorization`, or null. Scheme is case-insensitive. */
function credentials(req: Request, scheme: string): string | null {
  const value = req.headers.get('authorization');
  if (value === null || value.length <= scheme.length + 1) return null;
  if (value.slice(0, scheme.length).toLowerCase() !== scheme.toLowerCase()) return null;
  if (value.charCodeAt(scheme.length) !== 32) return null;
  const rest = value.slice(scheme.length + 1).trim();
  return rest.length === 0 ? null : rest;
}

function readEnv(
  name: string,
  varName: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const value = env[varName];
  if (value === undefined || value === '') {
    fail(name, `environment variable ${varName} is not set or empty (refusing to start open)`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Basic

/** Options of `basicAuth()`. Give `users`, `htpasswdFile` or `verify` (at least one). */
export interface BasicAuthOptions {
  /** user → plain password. */
  users?: Readonly<Record<string, string>> | undefined;
  /**
   * An htpasswd file: `user:$2y$…` bcrypt (`htpasswd -B`; also `$2a$`/`$2b$`),
   * `user:$apr1$…` (`htpasswd -m`), `user:{SHA}base64(sha1)`, `user:{SHA256}base64(sha256)`
   * or `user:plaintext` lines. Other `$…` (crypt, `$2x$`) entries are refused at load, never
   * taken as plain text.
   */
  htpasswdFile?: string | undefined;
  /**
   * Highest bcrypt cost accepted from `htpasswdFile` (4–31, default 12). Each Basic request
   * of a bcrypt user costs 2^cost Blowfish key setups of CPU, so a file with a higher cost
   * is refused at load rather than letting every request become a denial-of-service lever.
   */
  maxBcryptCost?: number | undefined;
  /**
   * How many verified bcrypt logins are remembered (default 1024; 0 turns it off), so a
   * returning user's request costs an HMAC rather than a full bcrypt. Only successes are
   * remembered, as keyed HMACs, never passwords; wrong passwords always pay the full cost.
   */
  bcryptCacheSize?: number | undefined;
  /** A custom check, tried after `users`/`htpasswdFile`. */
  verify?:
    | ((user: string, password: string, req: Request) => boolean | Promise<boolean>)
    | undefined;
  /** Default `Restricted`. */
  realm?: string | undefined;
}

type Checker = (password: string) => boolean | Promise<boolean>;

interface HtpasswdLimits {
  readonly maxCost: number;
  readonly verified: VerifiedCache;
}

function htpasswdEntry(file: string, line: number, hash: string, limits: HtpasswdLimits): Checker {
  const { maxCost, verified } = limits;
  if (hash.startsWith('{SHA}')) {
    const want = hash.slice(5);
    return (p) => safeEqual(createHash('sha1').update(p, 'utf8').digest('base64'), want);
  }
  if (hash.startsWith('{SHA256}')) {
    const want = hash.slice(8);
    return (p) => safeEqual(createHash('sha256').update(p, 'utf8').digest('base64'), want);
  }
  if (hash.startsWith('$apr1$')) {
    const salt = hash.slice(6, hash.indexOf('$', 6));
    if (hash.indexOf('$', 6) === -1 || salt.length === 0) {
      fail('basicAuth', `${file}:${line}: malformed $apr1$ hash`);
    }
    return (p) => safeEqual(apr1(p, salt), hash);
  }
  if (hash.startsWith('$2')) {
    const parsed = parseBcrypt(hash);
    if (parsed === null) {
      fail(
        'basicAuth',
        `${file}:${line}: malformed or unsupported bcrypt hash ${hash.slice(0, 4)}… (expected $2a$, $2b$ or $2y$, a two-digit cost 04–31, 53 characters)`,
      );
    }
    if (parsed.cost > maxCost) {
      fail(
        'basicAuth',
        `${file}:${line}: bcrypt cost ${parsed.cost} is above maxBcryptCost ${maxCost}`,
      );
    }
    return async (p) => {
      if (verified.has(hash, p)) return true;
      const isOk = safeEqual(await bcrypt(p, parsed), hash);
      if (isOk) verified.add(hash, p);
      return isOk;
    };
  }
  if (hash.startsWith('$')) {
    fail(
      'basicAuth',
      `${file}:${line}: hash format ${hash.slice(0, 4)}… (crypt) is not supported; use $2y$ (htpasswd -B), $apr1$ (htpasswd -m), {SHA256} or {SHA}`,
    );
  }
  return (p) => safeEqual(p, hash);
}

/**
 * Parses an htpasswd file into user → checker, and the highest bcrypt cost in it (0 when
 * none). Throws on unreadable files and bad lines.
 */
function readHtpasswd(
  file: string,
  limits: HtpasswdLimits,
): { users: Map<string, Checker>; slowest: number } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail('basicAuth', `cannot read htpasswdFile ${file}: ${(err as Error).message}`);
  }
  const users = new Map<string, Checker>();
  let slowest = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon <= 0) fail('basicAuth', `${file}:${i + 1}: expected user:hash`);
    const hash = line.slice(colon + 1);
    users.set(line.slice(0, colon), htpasswdEntry(file, i + 1, hash, limits));
    slowest = Math.max(slowest, parseBcrypt(hash)?.cost ?? 0);
  });
  if (users.size === 0) fail('basicAuth', `htpasswdFile ${file} has no users`);
  return { users, slowest };
}

/**
 * Creates HTTP Basic authentication (RFC 7617). Passwords are compared in constant time and
 * an unknown user costs the same as a wrong password.
 *
 * @example
 * ```ts
 * import { basicAuth } from '@rws/middleware/auth';
 * const admin = basicAuth({ htpasswdFile: '/etc/rws/htpasswd', realm: 'admin' });
 * ```
 */
export function basicAuth(options: BasicAuthOptions): Middleware {
  const realm = checkRealm('basicAuth', options?.realm ?? 'Restricted');
  const users = new Map<string, Checker>();
  if (options?.users !== undefined) {
    if (typeof options.users !== 'object' || options.users === null) {
      fail('basicAuth', 'users must be an object of user → password');
    }
    for (const [user, password] of Object.entries(options.users)) {
      if (typeof password !== 'string' || password === '') {
        fail('basicAuth', `users.${user} must be a non-empty string`);
      }
      users.set(user, (p) => safeEqual(p, password));
    }
  }
  const maxCost = options?.maxBcryptCost ?? 12;
  if (!Number.isInteger(maxCost) || maxCost < 4 || maxCost > 31) {
    fail('basicAuth', 'maxBcryptCost must be an integer from 4 to 31');
  }
  let dummy: Checker = (p) => safeEqual(p, '\u0000never');
  if (options?.htpasswdFile !== undefined) {
    const cacheSize = options.bcryptCacheSize ?? 1024;
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
      fail('basicAuth', 'bcryptCacheSize must be a non-negative integer');
    }
    const verified = new VerifiedCache(cacheSize);
    const file = readHtpasswd(options.htpasswdFile, { maxCost, verified });
    for (const [user, check] of file.users) users.set(user, check);
    const slowest = file.slowest;
    // An unknown user then costs what a bcrypt user's wrong password costs: no user probing.
    if (slowest > 0) {
      const fake = parseBcrypt(`$2b$${String(slowest).padStart(2, '0')}$${'.'.repeat(53)}`)!;
      dummy = async (p) => safeEqual(await bcrypt(p, fake), '');
    }
  }
  const verify = options?.verify;
  if (verify !== undefined && typeof verify !== 'function')
    fail('basicAuth', 'verify must be a function');
  if (users.size === 0 && verify === undefined) {
    fail('basicAuth', 'needs users, htpasswdFile or verify (refusing to start open)');
  }
  const challenge = `Basic realm=${quote(realm)}, charset="UTF-8"`;
  return {
    async handle(req: Request, next: Handler): Promise<Response> {
      const encoded = credentials(req, 'Basic');
      if (encoded === null) return unauthorized(challenge);
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) return unauthorized(challenge);
      const user = decoded.slice(0, colon);
      const password = decoded.slice(colon + 1);
      const check = users.get(user);
      let isOk = (await (check ?? dummy)(password)) && check !== undefined;
      if (!isOk && verify !== undefined) isOk = (await verify(user, password, req)) === true;
      return isOk ? next(req) : unauthorized(challenge);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Bearer

/** Options of `bearerAuth()`. Give `tokens` and/or `tokenEnv`. */
export interface BearerAuthOptions {
  /** Accepted tokens. */
  tokens?: readonly string[] | undefined;
  /** Env var(s) holding a token each; unset or empty is an error at creation. */
  tokenEnv?: string | readonly string[] | undefined;
  /** Where env vars are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Default `api`. */
  realm?: string | undefined;
}

/**
 * Creates static bearer-token authentication (RFC 6750). Every configured token is compared
 * in constant time on each request.
 *
 * @example
 * ```ts
 * import { bearerAuth } from '@rws/middleware/auth';
 * const api = bearerAuth({ tokenEnv: 'API_TOKEN' });
 * ```
 */
export function bearerAuth(options: BearerAuthOptions): Middleware {
  const realm = checkRealm('bearerAuth', options?.realm ?? 'api');
  const tokens: string[] = [];
  if (options?.tokens !== undefined) {
    if (!Array.isArray(options.tokens)) fail('bearerAuth', 'tokens must be an array of strings');
    for (const t of options.tokens) {
      if (typeof t !== 'string' || t === '') fail('bearerAuth', 'tokens must be non-empty strings');
      tokens.push(t);
    }
  }
  if (options?.tokenEnv !== undefined) {
    const env = options.env ?? process.env;
    const names = typeof options.tokenEnv === 'string' ? [options.tokenEnv] : options.tokenEnv;
    for (const name of names) tokens.push(readEnv('bearerAuth', name, env));
  }
  if (tokens.length === 0) fail('bearerAuth', 'needs tokens or tokenEnv (refusing to start open)');
  const digests = tokens.map(sha256);
  const missing = `Bearer realm=${quote(realm)}`;
  const invalid = `Bearer realm=${quote(realm)}, error="invalid_token"`;
  return {
    handle(req: Request, next: Handler): Response | Promise<Response> {
      const token = credentials(req, 'Bearer');
      if (token === null) return unauthorized(missing);
      const digest = sha256(token);
      let isOk = false;
      // No early exit: the time taken does not depend on which token matched.
      for (const d of digests) if (timingSafeEqual(d, digest)) isOk = true;
      return isOk ? next(req) : unauthorized(invalid);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// JWT

/** JWS algorithms `jwtAuth()` accepts (never `none`). */
export type JwtAlgorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA';

const HMAC: readonly JwtAlgorithm[] = ['HS256', 'HS384', 'HS512'];
const ASYMMETRIC: readonly JwtAlgorithm[] = [
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
];

/** Options of `jwtAuth()`. Exactly one key source: secret(Env), publicKey(File) or jwksUrl. */
export interface JwtAuthOptions {
  /** HMAC secret (HS256/384/512). */
  secret?: string | Uint8Array | undefined;
  /** Env var holding the HMAC secret; unset or empty is an error at creation. */
  secretEnv?: string | undefined;
  /** A PEM public key (SPKI) or certificate for RS/PS/ES/EdDSA. */
  publicKey?: string | undefined;
  /** A file holding `publicKey`. */
  publicKeyFile?: string | undefined;
  /** A JWKS endpoint; keys are cached and refetched on an unknown `kid` (rotation). */
  jwksUrl?: string | undefined;
  /**
   * Accepted algorithms, pinned to the key type: HMAC ones for a secret, asymmetric ones for
   * keys and JWKS, so `alg: none` and HS/RS confusion cannot pass. Default: HS256 for a
   * secret; the key's own algorithm for a public key; every asymmetric one for a JWKS.
   */
  algorithms?: readonly JwtAlgorithm[] | undefined;
  /** Required `iss` (one of). */
  issuer?: string | readonly string[] | undefined;
  /** Required `aud` (one of). */
  audience?: string | readonly string[] | undefined;
  /** Clock skew allowed for `exp`/`nbf`, in seconds. Default 30. */
  clockToleranceSec?: number | undefined;
  /** Where env vars are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Default `api`. */
  realm?: string | undefined;
}

const claimsOf = new WeakMap<Request, JWTPayload>();

/** The verified claims of a request that passed `jwtAuth()`, or undefined. */
export function jwtClaims(req: Request): JWTPayload | undefined {
  return claimsOf.get(req);
}

function defaultAlgorithm(key: KeyObject): JwtAlgorithm {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'rsa-pss':
      return 'PS256';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : 'ES256';
    }
    case 'ed25519':
      return 'EdDSA';
    default:
      fail('jwtAuth', `unsupported public key type ${String(key.asymmetricKeyType)}`);
  }
}

/**
 * Creates JWT bearer authentication with `jose`: signature, `exp`, `nbf`, and (when set)
 * `iss`/`aud`. The verified claims are available through `jwtClaims(req)`.
 *
 * @example
 * ```ts
 * import { jwtAuth } from '@rws/middleware/auth';
 * const users = jwtAuth({
 *   jwksUrl: 'https://login.example.com/.well-known/jwks.json',
 *   issuer: 'https://login.example.com/',
 *   audience: 'api',
 * });
 * ```
 */
export function jwtAuth(options: JwtAuthOptions): Middleware {
  const name = 'jwtAuth';
  const o = options ?? {};
  const realm = checkRealm(name, o.realm ?? 'api');
  const sources = [
    o.secret !== undefined || o.secretEnv !== undefined,
    o.publicKey !== undefined || o.publicKeyFile !== undefined,
    o.jwksUrl !== undefined,
  ].filter(Boolean).length;
  if (sources !== 1) {
    fail(name, 'give exactly one of secret/secretEnv, publicKey/publicKeyFile or jwksUrl');
  }
  let key: Uint8Array | KeyObject | JWTVerifyGetKey;
  let allowed: readonly JwtAlgorithm[];
  let defaults: readonly JwtAlgorithm[];
  if (o.secret !== undefined || o.secretEnv !== undefined) {
    const secret =
      o.secretEnv !== undefined ? readEnv(name, o.secretEnv, o.env ?? process.env) : o.secret;
    const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
    if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) fail(name, 'secret is empty');
    // Read once, like secretEnv: a copy, so a later change to the caller's array does not leak in.
    key = hmacKeys(bytes.slice());
    allowed = HMAC;
    defaults = ['HS256'];
  } else if (o.jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(o.jwksUrl);
    } catch {
      fail(name, `jwksUrl ${JSON.stringify(o.jwksUrl)} is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      fail(name, 'jwksUrl must be http(s)');
    key = createRemoteJWKSet(url, { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    allowed = ASYMMETRIC;
    defaults = ASYMMETRIC;
  } else {
    let pem = o.publicKey;
    if (o.publicKeyFile !== undefined) {
      try {
        pem = readFileSync(o.publicKeyFile, 'utf8');
      } catch (err) {
        fail(name, `cannot read publicKeyFile ${o.publicKeyFile}: ${(err as Error).message}`);
      }
    }
    let keyObject: KeyObject;
    try {
      keyObject = createPublicKey(pem as string);
    } catch (err) {
      fail(name, `publicKey is not a PEM public key or certificate: ${(err as Error).message}`);
    }
    key = keyObject;
    allowed = ASYMMETRIC;
    defaults = [defaultAlgorithm(keyObject)];
  }
  const algorithms = o.algorithms ?? defaults;
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    fail(name, 'algorithms must be a non-empty array');
  }
  for (const alg of algorithms) {
    if (!allowed.includes(alg)) {
      fail(
        name,
        `algorithm ${JSON.stringify(alg)} does not fit this key (allowed: ${allowed.join(', ')})`,
      );
    }
  }
  const clockTolerance = o.clockToleranceSec ?? 30;
  if (typeof clockTolerance !== 'number' || !(clockTolerance >= 0)) {
    fail(name, 'clockToleranceSec must be a non-negative number');
  }
  const verifyOptions = {
    algorithms: [...algorithms],
    clockTolerance,
    ...(o.issuer === undefined ? {} : { issuer: o.issuer as string | string[] }),
    ...(o.audience === undefined ? {} : { audience: o.audience as string | string[] }),
  };
  const missing = `Bearer realm=${quote(realm)}`;
  const invalid = (why: string): string =>
    `Bearer realm=${quote(realm)}, error="invalid_token", error_description=${quote(why)}`;
  return {
    async handle(req: Request, next: Handler): Promise<Response> {
      const token = credentials(req, 'Bearer');
      if (token === null) return unauthorized(missing);
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(
          token,
          key as Parameters<typeof jwtVerify>[1] & JWTVerifyGetKey,
          verifyOptions,
        ));
      } catch (err) {
        return unauthorized(invalid(describe(err)));
      }
      claimsOf.set(req, payload);
      return next(req);
    },
  };
}

/** A short, safe reason for the challenge: never the token or key material. */
function describe(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'token not yet valid';
    return `${err.claim} claim check failed`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'no matching key';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature invalid';
  return 'token invalid';
}
