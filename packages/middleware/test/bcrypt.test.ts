import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compose, text } from '@rws/core';
import { basicAuth } from '@rws/middleware/auth';
import { describe, expect, it } from 'vitest';
import { bcrypt, parseBcrypt } from '../src/internal/auth/bcrypt.js';
import { VerifiedCache } from '../src/internal/auth/verified-cache.js';
import { httpCall, serveHandler } from './serve-helpers.js';

const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

/** Openwall crypt_blowfish's published test vectors (also in OpenBSD's regress tests). */
const VECTORS: [password: string, hash: string][] = [
  ['U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
  ['U*U*', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK'],
  ['U*U*U', '$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a'],
  [
    '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored',
    '$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui',
  ],
  ['', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy'],
];

function htpasswdFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rws-bcrypt-')), 'htpasswd');
  writeFileSync(file, content);
  return file;
}

describe('bcrypt htpasswd entries (issue #13)', () => {
  it('computes the published vectors; $2b$ and $2y$ agree with $2a$', async () => {
    for (const [password, hash] of VECTORS) {
      expect(await bcrypt(password, parseBcrypt(hash)!), password).toBe(hash);
      for (const variant of ['$2b$', '$2y$']) {
        const other = variant + hash.slice(4);
        expect(await bcrypt(password, parseBcrypt(other)!)).toBe(other);
      }
    }
    // Only the first 72 bytes count: a different 73rd byte gives the same hash.
    const long = VECTORS[3]![0];
    expect(await bcrypt(`${long.slice(0, 72)}DIFFERENT`, parseBcrypt(VECTORS[3]![1])!)).toBe(
      VECTORS[3]![1],
    );
  });

  it('refuses malformed hashes and $2x$ (crypt_blowfish bug marker) at parse', () => {
    const good = VECTORS[0]![1];
    expect(parseBcrypt(good)).not.toBeNull();
    for (const bad of [
      `$2x$${good.slice(4)}`,
      `$2c$${good.slice(4)}`,
      `$2a$03$${good.slice(7)}`,
      `$2a$32$${good.slice(7)}`,
      `$2a$5$${good.slice(7)}`,
      good.slice(0, 59),
      `${good.slice(0, 59)}!`,
      `${good.slice(0, 10)}€${good.slice(11)}`,
    ]) {
      expect(parseBcrypt(bad), bad).toBeNull();
    }
  });

  it('admits `htpasswd -B` users over a socket and refuses wrong passwords', async (ctx) => {
    const made = spawnSync('htpasswd', ['-nbB', '-C', '5', 'zoe', 'pässwörd mit Leerzeichen'], {
      encoding: 'utf8',
    });
    if (made.status !== 0 || made.error !== undefined) {
      if (process.env['CI'] === 'true')
        throw new Error('htpasswd (apache2-utils) is required in CI');
      return ctx.skip();
    }
    const port = await serveHandler(
      compose(
        [
          basicAuth({
            htpasswdFile: htpasswdFile(`${made.stdout.trim()}\nuli:${VECTORS[0]![1]}\n`),
          }),
        ],
        () => text('in'),
      ),
    );
    const ok = await httpCall(port, '/', {
      headers: { authorization: basic('zoe', 'pässwörd mit Leerzeichen') },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('in');
    expect(
      (await httpCall(port, '/', { headers: { authorization: basic('uli', 'U*U') } })).status,
    ).toBe(200);
    for (const auth of [
      basic('zoe', 'passwörd mit Leerzeichen'),
      basic('uli', 'U*U*'),
      basic('nobody', 'U*U'),
    ]) {
      expect((await httpCall(port, '/', { headers: { authorization: auth } })).status, auth).toBe(
        401,
      );
    }
  });

  it('refuses at load a cost above maxBcryptCost and a bad maxBcryptCost', () => {
    const file = htpasswdFile(`uli:${VECTORS[0]![1].replace('$05$', '$13$')}\n`);
    expect(() => basicAuth({ htpasswdFile: file })).toThrow(
      /htpasswd:1: bcrypt cost 13 is above maxBcryptCost 12/,
    );
    expect(() => basicAuth({ htpasswdFile: file, maxBcryptCost: 13 })).not.toThrow();
    expect(() => basicAuth({ htpasswdFile: file, maxBcryptCost: 3 })).toThrow(/maxBcryptCost/);
    const malformed = htpasswdFile(`uli:$2x$${VECTORS[0]![1].slice(4)}\n`);
    expect(() => basicAuth({ htpasswdFile: malformed })).toThrow(/unsupported bcrypt/);
  });

  it('remembers verified logins only, bounded, oldest out first', () => {
    const cache = new VerifiedCache(2);
    const [p0, h0] = VECTORS[0]!;
    expect(cache.has(h0, p0)).toBe(false);
    cache.add(h0, p0);
    expect(cache.has(h0, p0)).toBe(true);
    expect(cache.has(h0, `${p0}x`)).toBe(false);
    expect(cache.has(VECTORS[1]![1], p0)).toBe(false);
    cache.add('h1', 'a');
    cache.add('h2', 'b');
    expect([cache.has(h0, p0), cache.has('h1', 'a'), cache.has('h2', 'b')]).toEqual([
      false,
      true,
      true,
    ]);
    const off = new VerifiedCache(0);
    off.add(h0, p0);
    expect(off.has(h0, p0)).toBe(false);
  });

  it('a cached login does not let another password in; bcryptCacheSize is checked', async () => {
    const file = htpasswdFile(`uli:${VECTORS[0]![1]}\n`);
    for (const bcryptCacheSize of [undefined, 0]) {
      const port = await serveHandler(
        compose([basicAuth({ htpasswdFile: file, bcryptCacheSize })], () => text('in')),
      );
      const call = (p: string) =>
        httpCall(port, '/', { headers: { authorization: basic('uli', p) } });
      expect((await call('U*U')).status).toBe(200);
      expect((await call('U*U')).status).toBe(200);
      expect((await call('U*U*')).status).toBe(401);
      expect((await call('')).status).toBe(401);
    }
    expect(() => basicAuth({ htpasswdFile: file, bcryptCacheSize: -1 })).toThrow(
      /bcryptCacheSize must be a non-negative integer/,
    );
  });

  it('keeps the event loop turning while a hash is computed', async () => {
    const hash = parseBcrypt(VECTORS[0]![1].replace('$05$', '$09$'))!;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      await bcrypt('U*U', hash);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });
});
