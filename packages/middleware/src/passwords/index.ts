/**
 * Password hashing with scrypt from node:crypto (and Argon2id where the runtime has
 * `crypto.argon2`, Node ≥ 24.7), stored as PHC strings that carry their own parameters, so
 * stronger settings can be rolled out and old hashes upgraded at the next login.
 *
 * @module
 */
import * as crypto from 'node:crypto';
import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { failOptions } from '../internal/fail.js';

/** Hash parameters. Defaults follow the OWASP password storage cheat sheet. */
export interface PasswordHashOptions {
  /** Default `scrypt`. `argon2id` needs `crypto.argon2` (Node ≥ 24.7). */
  algorithm?: 'scrypt' | 'argon2id' | undefined;
  /** scrypt: log2 of the cost N. Default 17 (N = 131072, 128 MiB with r = 8). */
  ln?: number | undefined;
  /** scrypt: block size. Default 8. */
  r?: number | undefined;
  /** scrypt and Argon2id: parallelism. Default 1. */
  p?: number | undefined;
  /** Argon2id: memory in KiB. Default 19456 (19 MiB). */
  m?: number | undefined;
  /** Argon2id: passes. Default 2. */
  t?: number | undefined;
}

type Argon2 = (
  algorithm: string,
  params: {
    message: Buffer;
    nonce: Buffer;
    parallelism: number;
    tagLength: number;
    memory: number;
    passes: number;
  },
  callback: (err: Error | null, key: Buffer) => void,
) => void;
const argon2 = (crypto as unknown as { argon2?: Argon2 }).argon2;

/** True when this runtime can hash with Argon2id. */
export const HAS_ARGON2: boolean = typeof argon2 === 'function';

const SALT_BYTES = 16;
const KEY_BYTES = 32;

interface Params {
  algorithm: 'scrypt' | 'argon2id';
  ln: number;
  r: number;
  p: number;
  m: number;
  t: number;
}

function resolve(options: PasswordHashOptions, name: string): Params {
  const params: Params = {
    algorithm: options.algorithm ?? 'scrypt',
    ln: options.ln ?? 17,
    r: options.r ?? 8,
    p: options.p ?? 1,
    m: options.m ?? 19_456,
    t: options.t ?? 2,
  };
  function fail(message: string): never {
    return failOptions(ERROR_CODES.PASSWORDS_INVALID_OPTIONS, name, message);
  }
  if (params.algorithm !== 'scrypt' && params.algorithm !== 'argon2id') {
    fail(`algorithm must be "scrypt" or "argon2id", got ${JSON.stringify(params.algorithm)}`);
  }
  if (params.algorithm === 'argon2id' && !HAS_ARGON2)
    fail('argon2id needs crypto.argon2 (Node.js ≥ 24.7)');
  const ranges: [keyof Params, number, number][] = [
    ['ln', 1, 24],
    ['r', 1, 64],
    ['p', 1, 16],
    ['m', 8, 4_194_304],
    ['t', 1, 100],
  ];
  for (const [key, min, max] of ranges) {
    const v = params[key] as number;
    if (!Number.isSafeInteger(v) || v < min || v > max)
      fail(`${key} must be an integer from ${min} to ${max}, got ${String(v)}`);
  }
  return params;
}

// PHC strings use standard base64 without padding.
const b64 = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '');

function derive(password: string, salt: Buffer, params: Params, keyBytes: number): Promise<Buffer> {
  const message = Buffer.from(password.normalize('NFKC'), 'utf8');
  return new Promise((resolvePromise, reject) => {
    const done = (err: Error | null, key: Buffer): void =>
      err ? reject(err) : resolvePromise(key);
    if (params.algorithm === 'argon2id') {
      argon2!(
        'argon2id',
        {
          message,
          nonce: salt,
          parallelism: params.p,
          tagLength: keyBytes,
          memory: params.m,
          passes: params.t,
        },
        done,
      );
      return;
    }
    const N = 2 ** params.ln;
    // maxmem must exceed 128 * N * r or node refuses the parameters.
    crypto.scrypt(
      message,
      salt,
      keyBytes,
      { N, r: params.r, p: params.p, maxmem: 256 * N * params.r },
      done,
    );
  });
}

function format(params: Params, salt: Buffer, key: Buffer): string {
  const settings =
    params.algorithm === 'argon2id'
      ? `v=19$m=${params.m},t=${params.t},p=${params.p}`
      : `ln=${params.ln},r=${params.r},p=${params.p}`;
  return `$${params.algorithm}$${settings}$${b64(salt)}$${b64(key)}`;
}

interface Parsed {
  params: Params;
  salt: Buffer;
  key: Buffer;
}

function invalidHash(why: string): RwsError {
  // The stored hash is never echoed: it is a secret too.
  return new RwsError(
    ERROR_CODES.PASSWORDS_INVALID_HASH,
    `stored password hash is not a valid PHC string: ${why}`,
    {
      status: 500,
    },
  );
}

function parse(phc: string): Parsed {
  if (typeof phc !== 'string') throw invalidHash('not a string');
  const parts = phc.split('$');
  // ['', id, (v=19,) params, salt, hash]
  const id = parts[1];
  let rest: string[];
  if (id === 'scrypt' && parts.length === 5) rest = parts.slice(2);
  else if (id === 'argon2id' && parts.length === 6 && parts[2] === 'v=19') rest = parts.slice(3);
  else throw invalidHash(`unsupported algorithm or layout (${String(id).slice(0, 16)})`);
  const values: Record<string, number> = {};
  for (const pair of rest[0]!.split(',')) {
    const [k, v] = pair.split('=');
    if (k === undefined || v === undefined || !/^\d{1,10}$/.test(v))
      throw invalidHash('bad parameter');
    values[k] = Number(v);
  }
  for (const k of id === 'scrypt' ? ['ln', 'r', 'p'] : ['m', 't', 'p']) {
    if (values[k] === undefined) throw invalidHash(`parameter ${k} missing`);
  }
  const salt = Buffer.from(rest[1]!, 'base64');
  const key = Buffer.from(rest[2]!, 'base64');
  if (salt.byteLength < 8 || key.byteLength < 16) throw invalidHash('salt or hash too short');
  let params: Params;
  try {
    params = resolve(
      id === 'scrypt'
        ? { algorithm: 'scrypt', ln: values['ln'], r: values['r'], p: values['p'] }
        : { algorithm: 'argon2id', m: values['m'], t: values['t'], p: values['p'] },
      'verifyPassword',
    );
  } catch (err) {
    throw invalidHash((err as Error).message.replace(/^verifyPassword: /, ''));
  }
  return { params, salt, key };
}

/**
 * Hashes a password into a PHC string such as `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` with a
 * random 16-byte salt. The password is NFKC-normalised first, so the same visible password
 * typed on different keyboards matches. Runs on libuv's thread pool.
 *
 * @example
 * ```ts
 * import { hashPassword, needsRehash, verifyPassword } from '@rws/middleware/passwords';
 * const stored = await hashPassword('correct horse battery staple');
 * if (await verifyPassword('correct horse battery staple', stored) && needsRehash(stored)) {
 *   // save await hashPassword(...) in place of stored
 * }
 * ```
 */
export async function hashPassword(
  password: string,
  options: PasswordHashOptions = {},
): Promise<string> {
  if (typeof password !== 'string' || password.length === 0) {
    failOptions(
      ERROR_CODES.PASSWORDS_INVALID_OPTIONS,
      'hashPassword',
      'password must be a non-empty string',
    );
  }
  const params = resolve(options, 'hashPassword');
  const salt = crypto.randomBytes(SALT_BYTES);
  return format(params, salt, await derive(password, salt, params, KEY_BYTES));
}

/**
 * True when `password` matches the PHC string (constant-time comparison). A malformed stored
 * hash throws `RWS_MIDDLEWARE_PASSWORDS_INVALID_HASH` rather than reading as a wrong password.
 */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const { params, salt, key } = parse(phc);
  if (typeof password !== 'string' || password.length === 0) return false;
  const actual = await derive(password, salt, params, key.byteLength);
  return crypto.timingSafeEqual(actual, key);
}

/**
 * True when the PHC string was made with another algorithm or weaker parameters than
 * `options` (the defaults when omitted): re-hash the password at the next successful login.
 */
export function needsRehash(phc: string, options: PasswordHashOptions = {}): boolean {
  const want = resolve(options, 'needsRehash');
  const { params, salt, key } = parse(phc);
  if (
    params.algorithm !== want.algorithm ||
    salt.byteLength < SALT_BYTES ||
    key.byteLength < KEY_BYTES
  )
    return true;
  if (want.algorithm === 'scrypt')
    return params.ln < want.ln || params.r < want.r || params.p < want.p;
  return params.m < want.m || params.t < want.t || params.p < want.p;
}

/**
 * A random token from the OS CSPRNG: `bytes` bytes (default 32, at least 16) as base64url
 * (default) or hex. For reset links, API keys, invitation codes.
 */
export function generateToken(bytes = 32, encoding: 'base64url' | 'hex' = 'base64url'): string {
  if (!Number.isSafeInteger(bytes) || bytes < 16 || bytes > 1024) {
    failOptions(
      ERROR_CODES.PASSWORDS_INVALID_OPTIONS,
      'generateToken',
      `bytes must be an integer from 16 to 1024, got ${String(bytes)}`,
    );
  }
  if (encoding !== 'base64url' && encoding !== 'hex') {
    failOptions(
      ERROR_CODES.PASSWORDS_INVALID_OPTIONS,
      'generateToken',
      `encoding must be "base64url" or "hex"`,
    );
  }
  return crypto.randomBytes(bytes).toString(encoding);
}
