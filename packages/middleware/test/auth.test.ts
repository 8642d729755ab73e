import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compose, text } from '@rws/core';
import { basicAuth, bearerAuth, jwtAuth, jwtClaims } from '@rws/middleware/auth';
import { exportJWK, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it, onTestFinished } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';

const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('basicAuth', () => {
  it('challenges, refuses and admits over a socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rws-htpasswd-'));
    const file = join(dir, 'htpasswd');
    const sha = createHash('sha1').update('s3cret').digest('base64');
    const sha256 = createHash('sha256').update('pa55').digest('base64');
    writeFileSync(file, `# users\nalice:{SHA}${sha}\nbob:{SHA256}${sha256}\ncarol:plain\n`);
    const port = await serveHandler(
      compose([basicAuth({ htpasswdFile: file, users: { dave: 'x"y' }, realm: 'ad"min' })], () =>
        text('in'),
      ),
    );
    const none = await httpCall(port, '/');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Basic realm="ad\\"min", charset="UTF-8"');
    for (const [u, p] of [
      ['alice', 's3cret'],
      ['bob', 'pa55'],
      ['carol', 'plain'],
      ['dave', 'x"y'],
    ] as const) {
      const res = await httpCall(port, '/', { headers: { authorization: basic(u, p) } });
      expect(res.status, u).toBe(200);
      expect(res.body).toBe('in');
    }
    for (const auth of [
      basic('alice', 'wrong'),
      basic('nobody', 's3cret'),
      basic('carol', 'plain2'),
      'Basic !!!notbase64',
      'Bearer abc',
      `Basic ${Buffer.from('nocolon').toString('base64')}`,
    ]) {
      const res = await httpCall(port, '/', { headers: { authorization: auth } });
      expect(res.status, auth).toBe(401);
    }
  });

  it('reads $apr1$ entries exactly as `openssl passwd -apr1` (htpasswd -m) writes them', async (ctx) => {
    const { spawnSync } = await import('node:child_process');
    const made = spawnSync('openssl', ['passwd', '-apr1', 'pässword with spaces'], {
      encoding: 'utf8',
    });
    if (made.status !== 0) {
      if (process.env['CI'] === 'true') throw new Error('openssl is required in CI');
      return ctx.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'rws-htpasswd-'));
    writeFileSync(join(dir, 'h'), `erin:${made.stdout.trim()}\n`);
    const port = await serveHandler(
      compose([basicAuth({ htpasswdFile: join(dir, 'h') })], () => text('ok')),
    );
    const ok = await httpCall(port, '/', {
      headers: { authorization: basic('erin', 'pässword with spaces') },
    });
    expect(ok.status).toBe(200);
    const bad = await httpCall(port, '/', {
      headers: { authorization: basic('erin', 'password with spaces') },
    });
    expect(bad.status).toBe(401);
  });

  it('fails closed on a missing file, unsupported hash or no users', () => {
    expect(() => basicAuth({ htpasswdFile: '/nonexistent/htpasswd' })).toThrow(/cannot read/);
    const dir = mkdtempSync(join(tmpdir(), 'rws-htpasswd-'));
    writeFileSync(join(dir, 'b'), 'u:$2y$05$abcdefghijklmnopqrstuv\n');
    expect(() => basicAuth({ htpasswdFile: join(dir, 'b') })).toThrow(/b:1: malformed/);
    writeFileSync(join(dir, 'c'), 'u:$1$salt$hash\n');
    expect(() => basicAuth({ htpasswdFile: join(dir, 'c') })).toThrow(/not supported/);
    expect(() => basicAuth({})).toThrow(/refusing to start open/);
    // A realm is a header value, a byte string: refused at construction, not per request.
    expect(() => bearerAuth({ tokens: ['t'], realm: '\u20ac' })).toThrow(/above U\+00FF/);
  });
});

describe('bearerAuth', () => {
  it('admits listed tokens only, with RFC 6750 challenges', async () => {
    const port = await serveHandler(
      compose([bearerAuth({ tokens: ['t1'], tokenEnv: 'TOKEN_B', env: { TOKEN_B: 't2' } })], () =>
        text('ok'),
      ),
    );
    expect((await httpCall(port, '/', { headers: { authorization: 'Bearer t1' } })).status).toBe(
      200,
    );
    expect((await httpCall(port, '/', { headers: { authorization: 'bearer t2' } })).status).toBe(
      200,
    );
    const wrong = await httpCall(port, '/', { headers: { authorization: 'Bearer t3' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_token"');
    const none = await httpCall(port, '/');
    expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('an unset or empty env var is a startup error, never an open route', () => {
    expect(() => bearerAuth({ tokenEnv: 'NOPE', env: {} })).toThrow(/NOPE is not set/);
    expect(() => bearerAuth({ tokenEnv: 'E', env: { E: '' } })).toThrow(/not set or empty/);
    expect(() => bearerAuth({})).toThrow(/refusing to start open/);
  });
});

const now = () => Math.floor(Date.now() / 1000);

describe('jwtAuth', () => {
  const secret = 'a-long-enough-hmac-secret-for-tests';
  const hsKey = new TextEncoder().encode(secret);
  const hs = (claims: Record<string, unknown> = {}, alg = 'HS256') =>
    new SignJWT({ sub: 'u1', ...claims })
      .setProtectedHeader({ alg })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(hsKey);

  async function serveJwt(options: Parameters<typeof jwtAuth>[0]): Promise<number> {
    return serveHandler(compose([jwtAuth(options)], (req) => text(String(jwtClaims(req)?.sub))));
  }
  const call = (port: number, token: string) =>
    httpCall(port, '/', { headers: { authorization: `Bearer ${token}` } });

  it('HS256: valid, expired, not yet valid, wrong iss/aud, alg none, tampered', async () => {
    const port = await serveJwt({ secret, issuer: 'iss1', audience: 'api', clockToleranceSec: 0 });
    const good = await call(port, await hs({ iss: 'iss1', aud: 'api' }));
    expect(good.status).toBe(200);
    expect(good.body).toBe('u1');
    const cases: [string, string, string][] = [
      [
        'expired',
        await new SignJWT({ iss: 'iss1', aud: 'api' })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime(now() - 60)
          .sign(hsKey),
        'token expired',
      ],
      ['nbf', await hs({ iss: 'iss1', aud: 'api', nbf: now() + 600 }), 'token not yet valid'],
      ['aud', await hs({ iss: 'iss1', aud: 'other' }), 'aud claim check failed'],
      ['iss', await hs({ iss: 'evil', aud: 'api' }), 'iss claim check failed'],
      [
        'none',
        new UnsecuredJWT({ iss: 'iss1', aud: 'api', sub: 'u1' }).setExpirationTime('5m').encode(),
        'algorithm not allowed',
      ],
      ['HS512 not pinned', await hs({ iss: 'iss1', aud: 'api' }, 'HS512'), 'algorithm not allowed'],
    ];
    for (const [name, token, why] of cases) {
      const res = await call(port, token);
      expect(res.status, name).toBe(401);
      expect(res.headers['www-authenticate'], name).toBe(
        `Bearer realm="api", error="invalid_token", error_description="${why}"`,
      );
    }
    const [h, p] = (await hs({ iss: 'iss1', aud: 'api' })).split('.');
    const tampered = `${h}.${p}.${'A'.repeat(43)}`;
    expect((await call(port, tampered)).status).toBe(401);
  });

  it('RS256 public key: HS256 signed with the public key (key confusion) is refused', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const port = await serveJwt({ publicKey: pem });
    const rs = await new SignJWT({ sub: 'rsa' })
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await call(port, rs)).status).toBe(200);
    const confused = await new SignJWT({ sub: 'evil' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(pem));
    expect((await call(port, confused)).status).toBe(401);
    expect(() => jwtAuth({ publicKey: pem, algorithms: ['HS256'] })).toThrow(
      /does not fit this key/,
    );
  });

  it('ES256 and EdDSA static keys pick their own algorithm', async () => {
    for (const type of ['ec', 'ed25519'] as const) {
      const pair =
        type === 'ec'
          ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
          : generateKeyPairSync('ed25519');
      const port = await serveJwt({
        publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      });
      const alg = type === 'ec' ? 'ES256' : 'EdDSA';
      const token = await new SignJWT({ sub: alg })
        .setProtectedHeader({ alg })
        .setExpirationTime('5m')
        .sign(pair.privateKey);
      const res = await call(port, token);
      expect(res.status, alg).toBe(200);
      expect(res.body).toBe(alg);
    }
  });

  it('JWKS URL: verifies by kid, picks up a rotated key, refuses an unknown kid', async () => {
    const k1 = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const k2 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const k3 = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk1 = { ...(await exportJWK(k1.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const jwk2 = { ...(await exportJWK(k2.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' };
    let keys: unknown[] = [jwk1];
    let fetches = 0;
    const jwks = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => jwks.close(() => r())));
    const { port: jwksPort } = jwks.address() as { port: number };
    const port = await serveJwt({ jwksUrl: `http://127.0.0.1:${jwksPort}/jwks.json` });
    const sign = (key: typeof k1.privateKey, kid: string, alg: string) =>
      new SignJWT({ sub: kid }).setProtectedHeader({ alg, kid }).setExpirationTime('5m').sign(key);
    expect((await call(port, await sign(k1.privateKey, 'k1', 'RS256'))).body).toBe('k1');
    expect((await call(port, await sign(k1.privateKey, 'k1', 'RS256'))).status).toBe(200);
    expect(fetches).toBe(1);
    keys = [jwk1, jwk2];
    // jose refetches on an unknown kid once its cooldown (30 s) has passed; a fresh
    // middleware stands in for "later" without sleeping.
    const port2 = await serveJwt({ jwksUrl: `http://127.0.0.1:${jwksPort}/jwks.json` });
    expect((await call(port2, await sign(k2.privateKey, 'k2', 'ES256'))).body).toBe('k2');
    const unknown = await call(port2, await sign(k3.privateKey, 'k3', 'RS256'));
    expect(unknown.status).toBe(401);
    expect(unknown.headers['www-authenticate']).toContain('no matching key');
    // An HS256 token whose kid names a JWKS key is refused before any key lookup.
    const hsToken = await new SignJWT({ sub: 'x' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setExpirationTime('5m')
      .sign(hsKey);
    expect((await call(port2, hsToken)).status).toBe(401);
  });

  it('HS*: the imported key is reused per algorithm; other secrets and a rotated secret are refused', async () => {
    const port = await serveJwt({ secret, algorithms: ['HS256', 'HS384'] });
    // Each algorithm gets its own key (bound to its hash), and each is reused after the first.
    for (let i = 0; i < 3; i++) {
      expect((await call(port, await hs({}, 'HS256'))).body).toBe('u1');
      expect((await call(port, await hs({}, 'HS384'))).body).toBe('u1');
    }
    const other = await new SignJWT({ sub: 'u1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('another-secret-of-enough-length'));
    const refused = await call(port, other);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toContain('signature invalid');
    expect((await call(port, await hs({}, 'HS512'))).headers['www-authenticate']).toContain(
      'algorithm not allowed',
    );
    // Rotation: a new secret (a reload builds a new jwtAuth) refuses the old tokens, takes new ones.
    const env: Record<string, string> = { JWT_SECRET: 'rotated-secret-of-enough-length' };
    const rotated = await serveJwt({ secretEnv: 'JWT_SECRET', env });
    expect((await call(rotated, await hs())).status).toBe(401);
    expect((await call(rotated, await hs())).status).toBe(401);
    const fresh = await new SignJWT({ sub: 'u2' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(env['JWT_SECRET']));
    expect((await call(rotated, fresh)).body).toBe('u2');
    // A secret given as bytes is read once: changing the caller's array later changes nothing.
    const bytes = new TextEncoder().encode(secret);
    const fromBytes = await serveJwt({ secret: bytes });
    bytes.fill(0);
    expect((await call(fromBytes, await hs())).body).toBe('u1');
  });

  it('fails closed and rejects ambiguous key sources', () => {
    expect(() => jwtAuth({ secretEnv: 'JWT_SECRET_UNSET', env: {} })).toThrow(/JWT_SECRET_UNSET/);
    expect(() => jwtAuth({})).toThrow(/exactly one/);
    expect(() => jwtAuth({ secret: 'x', jwksUrl: 'http://127.0.0.1/' })).toThrow(/exactly one/);
    expect(() => jwtAuth({ publicKey: 'not a key' })).toThrow(/not a PEM/);
    expect(() => jwtAuth({ secret: 'x', algorithms: ['RS256'] })).toThrow(/does not fit/);
    expect(() => jwtAuth({ jwksUrl: 'ftp://x/' })).toThrow(/http/);
  });
});
