import * as crypto from 'node:crypto';
import { isRwsError } from '@rws/core';
import {
  generateToken,
  HAS_ARGON2,
  hashPassword,
  needsRehash,
  verifyPassword,
} from '@rws/middleware/passwords';
import { describe, expect, it } from 'vitest';

const FAST = { ln: 10, r: 8, p: 1 };

describe('passwords', () => {
  it('default scrypt hash is a PHC string that node:crypto reproduces independently', async () => {
    const phc = await hashPassword('correct horse battery staple');
    const m = /^\$scrypt\$ln=17,r=8,p=1\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$/.exec(phc);
    expect(m).not.toBeNull();
    const salt = Buffer.from(m![1]!, 'base64');
    const expected = crypto.scryptSync('correct horse battery staple', salt, 32, {
      N: 2 ** 17,
      r: 8,
      p: 1,
      maxmem: 512 * 1024 * 1024,
    });
    expect(m![2]).toBe(expected.toString('base64').replace(/=+$/, ''));
    expect(await verifyPassword('correct horse battery staple', phc)).toBe(true);
    expect(needsRehash(phc)).toBe(false);
  });

  it('verifies the right password only; salts differ', async () => {
    const a = await hashPassword('hunter2', FAST);
    const b = await hashPassword('hunter2', FAST);
    expect(a).not.toBe(b);
    expect(await verifyPassword('hunter2', a)).toBe(true);
    expect(await verifyPassword('hunter3', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('NFKC-normalises: the composed and decomposed forms of a password match', async () => {
    const phc = await hashPassword('café', FAST);
    expect(await verifyPassword('cafe\u0301', phc)).toBe(true);
  });

  it('needsRehash detects weaker parameters and another algorithm', async () => {
    const weak = await hashPassword('pw', FAST);
    expect(needsRehash(weak)).toBe(true);
    expect(needsRehash(weak, FAST)).toBe(false);
    expect(needsRehash(weak, { ...FAST, r: 16 })).toBe(true);
    expect(needsRehash(weak, { ln: 9 })).toBe(false);
  });

  it.runIf(HAS_ARGON2)(
    'argon2id where the runtime has it, reproduced with crypto.argon2Sync',
    async () => {
      const phc = await hashPassword('pw', { algorithm: 'argon2id', m: 1024, t: 1 });
      const m = /^\$argon2id\$v=19\$m=1024,t=1,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(phc);
      expect(m).not.toBeNull();
      const argon2Sync = (crypto as unknown as { argon2Sync: (a: string, p: object) => Buffer })
        .argon2Sync;
      const expected = argon2Sync('argon2id', {
        message: Buffer.from('pw'),
        nonce: Buffer.from(m![1]!, 'base64'),
        parallelism: 1,
        tagLength: 32,
        memory: 1024,
        passes: 1,
      });
      expect(m![2]).toBe(expected.toString('base64').replace(/=+$/, ''));
      expect(await verifyPassword('pw', phc)).toBe(true);
      expect(await verifyPassword('px', phc)).toBe(false);
      expect(needsRehash(phc)).toBe(true);
      expect(needsRehash(phc, { algorithm: 'argon2id', m: 1024, t: 1 })).toBe(false);
    },
  );

  it.each([
    '',
    'plain',
    '$bcrypt$x$y$z',
    '$scrypt$ln=99,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g',
    '$scrypt$ln=10,r=8$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g',
    '$scrypt$ln=10,r=8,p=1$$aGFzaGhhc2hoYXNoaGFzaGhhc2g',
  ])('a malformed stored hash %j throws RWS_MIDDLEWARE_PASSWORDS_INVALID_HASH', async (phc) => {
    await expect(verifyPassword('pw', phc)).rejects.toSatisfy((e: unknown) =>
      isRwsError(e, 'RWS_MIDDLEWARE_PASSWORDS_INVALID_HASH'),
    );
  });

  it('rejects bad options', async () => {
    await expect(hashPassword('')).rejects.toThrow(/password must be a non-empty string/);
    await expect(hashPassword('pw', { ln: 30 })).rejects.toThrow(
      /ln must be an integer from 1 to 24/,
    );
    await expect(hashPassword('pw', { algorithm: 'md5' as never })).rejects.toSatisfy(
      (e: unknown) => isRwsError(e, 'RWS_MIDDLEWARE_PASSWORDS_INVALID_OPTIONS'),
    );
  });

  it('generateToken: CSPRNG bytes as base64url or hex', () => {
    expect(generateToken()).toMatch(/^[\w-]{43}$/);
    expect(generateToken(16, 'hex')).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(Array.from({ length: 100 }, () => generateToken())).size).toBe(100);
    expect(() => generateToken(8)).toThrow(/bytes must be an integer from 16/);
  });
});
