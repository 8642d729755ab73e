import { base64url } from 'jose';

const ITERATIONS = 50_000;
const enc = new TextEncoder();

async function pbkdf2(
  secret: string,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), 'PBKDF2', false, [
    'deriveBits',
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/**
 * The at-rest form of a client secret: `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64url),
 * so a leaked store does not hand out working secrets. Web Crypto, so it runs everywhere.
 */
export async function hashClientSecret(secret: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await pbkdf2(secret, salt, ITERATIONS);
  return `pbkdf2-sha256$${ITERATIONS}$${base64url.encode(salt)}$${base64url.encode(hash)}`;
}

/** Checks a secret against `hashClientSecret()` output, comparing without early exit. */
export async function verifyClientSecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, iter, salt, hash] = stored.split('$');
  const iterations = Number(iter);
  if (scheme !== 'pbkdf2-sha256' || !Number.isSafeInteger(iterations) || iterations <= 0)
    return false;
  if (salt === undefined || hash === undefined) return false;
  const expected = base64url.decode(hash);
  const actual = await pbkdf2(secret, new Uint8Array(base64url.decode(salt)), iterations);
  if (actual.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < actual.length; i++) diff |= (actual[i] as number) ^ (expected[i] as number);
  return diff === 0;
}
