import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { createRequest, Headers, isRwsError, parseSetCookie } from '@rws/core';
import {
  createCookieKeys,
  getEncryptedCookie,
  getSignedCookie,
  setEncryptedCookie,
  setSignedCookie,
} from '@rws/middleware/cookies';
import { describe, expect, it } from 'vitest';

const OLD = 'old-secret-old-secret-old-secret-0001';
const NEW = 'new-secret-new-secret-new-secret-0002';

/** The MAC computed here independently of the implementation: HKDF-derived key, HMAC of `name=value`. */
function expectedSignature(secret: string, name: string, value: string): string {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'rws:cookie-sign', 32));
  return createHmac('sha256', key).update(`${name}=${value}`).digest('base64url');
}

/** The AES-256-GCM key computed here independently of the implementation (raw bytes). */
function encryptionKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'rws:cookie-encrypt', 32));
}

function reqWith(setCookie: string): ReturnType<typeof createRequest> {
  const c = parseSetCookie(setCookie)!;
  return createRequest({ method: 'GET', target: '/', headers: { cookie: `${c.name}=${c.value}` } });
}

describe('signed cookies', () => {
  const keys = createCookieKeys([NEW, OLD]);

  it('signs name=value with HMAC-SHA256 under the first key', () => {
    expect(keys.sign('uid', '42')).toBe(`42.${expectedSignature(NEW, 'uid', '42')}`);
    expect(keys.unsign('uid', keys.sign('uid', '42'))).toBe('42');
  });

  it('a bytes secret signs like the same bytes as a string (keys are imported once)', () => {
    const bytes = new TextEncoder().encode(OLD);
    expect(createCookieKeys([bytes]).sign('uid', '42')).toBe(
      `42.${expectedSignature(OLD, 'uid', '42')}`,
    );
  });

  it('rejects a changed value, a changed signature, another cookie name, no signature', () => {
    const signed = keys.sign('uid', '42');
    expect(keys.unsign('uid', signed.replace('42.', '43.'))).toBeNull();
    expect(
      keys.unsign('uid', `${signed.slice(0, -1)}${signed.endsWith('A') ? 'B' : 'A'}`),
    ).toBeNull();
    expect(keys.unsign('admin', signed)).toBeNull();
    expect(keys.unsign('uid', '42')).toBeNull();
    expect(keys.unsign('uid', '42.')).toBeNull();
  });

  it('rotation: the old key still verifies, the new one signs, a dropped key no longer verifies', () => {
    const before = createCookieKeys([OLD]).sign('uid', '7');
    expect(keys.unsign('uid', before)).toBe('7');
    expect(keys.sign('uid', '7')).not.toBe(before);
    expect(createCookieKeys([NEW]).unsign('uid', before)).toBeNull();
  });

  it('round-trips through Set-Cookie and Cookie, with characters that need encoding', () => {
    const headers = new Headers();
    setSignedCookie(headers, 'name', 'Zoë; path=/', keys, { httpOnly: true, path: '/' });
    const line = headers.getSetCookie()[0]!;
    expect(line).toMatch(/; Path=\/; HttpOnly$/);
    expect(getSignedCookie(reqWith(line), 'name', keys)).toBe('Zoë; path=/');
    expect(getSignedCookie(createRequest({ method: 'GET', target: '/' }), 'name', keys)).toBeNull();
  });
});

describe('encrypted cookies', () => {
  const keys = createCookieKeys([NEW, OLD]);

  it('AES-256-GCM: round trip, fresh IV each time, plaintext not visible', () => {
    const a = keys.encrypt('cart', '{"items":[1,2]}');
    const b = keys.encrypt('cart', '{"items":[1,2]}');
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64url').toString('latin1')).not.toContain('items');
    expect(Buffer.from(a, 'base64url').byteLength).toBe(12 + 15 + 16);
    expect(keys.decrypt('cart', a)).toBe('{"items":[1,2]}');
  });

  it('is iv | ciphertext | tag under the HKDF key, as a raw-key cipher reads and writes it', () => {
    const sealed = Buffer.from(keys.encrypt('cart', 'abc'), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', encryptionKey(NEW), sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from('cart'));
    decipher.setAuthTag(sealed.subarray(-16));
    const plain = Buffer.concat([decipher.update(sealed.subarray(12, -16)), decipher.final()]);
    expect(plain.toString()).toBe('abc');

    const iv = Buffer.alloc(12, 7);
    const cipher = createCipheriv('aes-256-gcm', encryptionKey(OLD), iv).setAAD(
      Buffer.from('cart'),
    );
    const body = Buffer.concat([cipher.update('from a raw key', 'utf8'), cipher.final()]);
    const ours = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    expect(keys.decrypt('cart', ours)).toBe('from a raw key');
  });

  it('any flipped byte, another name, a short or garbage value decrypt to null', () => {
    const sealed = Buffer.from(keys.encrypt('cart', 'secret'), 'base64url');
    for (let i = 0; i < sealed.byteLength; i++) {
      const copy = Buffer.from(sealed);
      copy[i]! ^= 1;
      expect(keys.decrypt('cart', copy.toString('base64url'))).toBeNull();
    }
    expect(keys.decrypt('other', sealed.toString('base64url'))).toBeNull();
    expect(keys.decrypt('cart', 'abc')).toBeNull();
    expect(keys.decrypt('cart', '!!!!'.repeat(20))).toBeNull();
  });

  it('rotation: decrypts under an old key, not after the key is dropped', () => {
    const old = createCookieKeys([OLD]).encrypt('cart', 'x');
    expect(keys.decrypt('cart', old)).toBe('x');
    expect(createCookieKeys([NEW]).decrypt('cart', old)).toBeNull();
  });

  it('round-trips through Set-Cookie and Cookie', () => {
    const headers = new Headers();
    setEncryptedCookie(headers, 'prefs', 'dark ☾', keys, { secure: true, sameSite: 'Strict' });
    const line = headers.getSetCookie()[0]!;
    expect(line).toMatch(/; Secure; SameSite=Strict$/);
    expect(getEncryptedCookie(reqWith(line), 'prefs', keys)).toBe('dark ☾');
  });
});

describe('createCookieKeys fails closed', () => {
  it.each([
    [[], /non-empty array/],
    [undefined, /non-empty array/],
    [['short'], /secrets\[0\] is 5 bytes; at least 32/],
    [[NEW, 'x'.repeat(31)], /secrets\[1\] is 31 bytes/],
    [[42], /secrets\[0\] must be a string or bytes/],
  ])('%j', (secrets, message) => {
    let caught: unknown;
    try {
      createCookieKeys(secrets as never);
    } catch (err) {
      caught = err;
    }
    expect(isRwsError(caught, 'RWS_MIDDLEWARE_COOKIES_INVALID_OPTIONS')).toBe(true);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain('x'.repeat(31));
  });
});
