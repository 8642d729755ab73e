import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compose, text } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGateway, type GatewayOptions } from '../src/index.js';
import { httpCall, serveHandler, startBackend } from './gateway-helpers.js';

async function gatewayPort(toml: string, options: GatewayOptions = {}, fallthrough = false) {
  const gateway = await createGateway(toml, options);
  onTestFinished(() => gateway.close());
  const handler = fallthrough ? compose([gateway], () => text('fell through')) : gateway.handler;
  return serveHandler(handler);
}

const respond = (body: string) => `[route.action]\ntype = "respond"\nbody = "${body}"\n`;

describe('route matching (declaration order, all conditions ANDed)', () => {
  it('path exact and prefix, method, host, content type, headers', async () => {
    const port = await gatewayPort(
      [
        `[[route]]\n[route.match]\npath = "/exact"\n${respond('exact')}`,
        `[[route]]\n[route.match]\npath = "/api/*"\nmethod = ["POST"]\n${respond('api-post')}`,
        `[[route]]\n[route.match]\npath = "/api/*"\nhost = "*.example.com"\n${respond('api-wild')}`,
        `[[route]]\n[route.match]\npath = "/api/*"\nhost = "example.com:8443"\n${respond('api-port')}`,
        `[[route]]\n[route.match]\ncontent_type = "application/json*"\n${respond('json')}`,
        `[[route]]\n[route.match]\nheaders = { x-canary = "1", x-any = "*" }\n${respond('canary')}`,
        `[[route]]\n[route.match]\npath = "/api/*"\nmethod = "GET"\n${respond('api-get')}`,
      ].join(''),
      {},
      true,
    );
    const body = async (path: string, init: Parameters<typeof httpCall>[2] = {}) =>
      (await httpCall(port, path, init)).body;
    expect(await body('/exact')).toBe('exact');
    expect(await body('/exact/more')).toBe('fell through');
    expect(await body('/api/x', { method: 'POST' })).toBe('api-post');
    expect(await body('/api/x', { headers: { host: 'a.example.com:80' } })).toBe('api-wild');
    expect(await body('/api/x', { headers: { host: 'example.com' } })).toBe('api-get');
    expect(await body('/api/x', { headers: { host: 'EXAMPLE.com:8443' } })).toBe('api-port');
    expect(await body('/api/x', { method: 'HEAD' })).toBe('');
    expect(await body('/api', {})).toBe('fell through');
    expect(
      await body('/other', {
        method: 'PUT',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: '{}',
      }),
    ).toBe('json');
    expect(await body('/other', { headers: { 'x-canary': '1', 'x-any': 'zzz' } })).toBe('canary');
    expect(await body('/other', { headers: { 'x-canary': '2', 'x-any': 'zzz' } })).toBe(
      'fell through',
    );
  });

  it('paths are normalised before matching, so encodings and dot segments cannot dodge a route', async () => {
    const port = await gatewayPort(
      `[[route]]\n[route.match]\npath = "/admin/*"\n[route.action]\ntype = "respond"\nstatus = 403\nbody = "no"\n[[route]]\n${respond('open')}`,
    );
    for (const path of [
      '/admin/x',
      '/%61dmin/x',
      '/public/../admin/x',
      '//admin//x',
      '/./admin/x',
    ]) {
      expect((await httpCall(port, path)).status, path).toBe(403);
    }
    expect((await httpCall(port, '/adminx')).body).toBe('open');
  });

  it('a catch-all route (path "/*", nothing else) matches without normalising, after routes that need it (issue #10)', async () => {
    const port = await gatewayPort(
      [
        `[[route]]\n[route.match]\npath = "/admin/*"\n[route.action]\ntype = "respond"\nstatus = 403\nbody = "no"\n`,
        `[[route]]\n[route.match]\npath = "/*"\n${respond('all')}`,
      ].join(''),
    );
    // The route before the catch-all still sees the normalised path.
    for (const path of ['/admin/x', '/%61dmin/x', '//admin//x']) {
      expect((await httpCall(port, path)).status, path).toBe(403);
    }
    for (const path of ['/', '/x/y?q=1', '/%2e%2e/x', '//a']) {
      expect((await httpCall(port, path)).body, path).toBe('all');
    }
    // `OPTIONS *` has no `/` path: the prefix `/` does not match it, a route without a path does.
    expect((await httpCall(port, '*', { method: 'OPTIONS' })).status).toBe(404);
    const any = await gatewayPort(`[[route]]\n${respond('any')}`);
    expect((await httpCall(any, '*', { method: 'OPTIONS' })).body).toBe('any');
    expect((await httpCall(any, '/x')).body).toBe('any');
  });

  it('unmatched requests get 404 from gateway.handler', async () => {
    const port = await gatewayPort(`[[route]]\n[route.match]\npath = "/a"\n${respond('a')}`);
    const res = await httpCall(port, '/b');
    expect(res.status).toBe(404);
  });
});

describe('actions', () => {
  it('proxy with strip/add prefix, preserve_host, inline backend address, shared named upstream', async () => {
    const a = await startBackend('a');
    const port = await gatewayPort(
      `[[upstream]]\nname = "svc"\nbackends = ["http://${a.address}"]\n` +
        `[[route]]\n[route.match]\npath = "/svc/*"\n[route.action]\ntype = "proxy"\nupstream = "svc"\nstrip_path_prefix = "/svc"\nadd_path_prefix = "/internal"\n` +
        `[[route]]\n[route.match]\npath = "/keep/*"\n[route.action]\ntype = "proxy"\n[route.action.proxy]\nupstream = "svc"\npreserve_host = true\n` +
        `[[route]]\n[route.match]\npath = "/inline/*"\n[route.action]\ntype = "proxy"\nupstream = "${a.address}"\n`,
    );
    const r1 = JSON.parse(
      (await httpCall(port, '/svc/users?q=1', { headers: { host: 'front.test' } })).body,
    );
    expect(r1.url).toBe('/internal/users?q=1');
    expect(r1.headers.host).toBe(a.address);
    const r2 = JSON.parse(
      (await httpCall(port, '/keep/x', { headers: { host: 'front.test' } })).body,
    );
    expect(r2.headers.host).toBe('front.test');
    const r3 = JSON.parse(
      (await httpCall(port, '/inline/y', { method: 'POST', body: 'payload' })).body,
    );
    expect([r3.url, r3.method, r3.body]).toEqual(['/inline/y', 'POST', 'payload']);
  });

  it('upstream strategy from TOML: header_hash keeps a user on one backend', async () => {
    const a = await startBackend('a');
    const b = await startBackend('b');
    const port = await gatewayPort(
      `[[upstream]]\nname = "u"\nbackends = ["${a.address}", "${b.address}"]\nstrategy = "header_hash"\nhash_key = "x-user"\n` +
        `[[route]]\n[route.action]\ntype = "proxy"\nupstream = "u"\n`,
    );
    const names = new Map<string, Set<string>>();
    for (let i = 0; i < 60; i++) {
      const user = `user-${i % 20}`;
      const res = JSON.parse((await httpCall(port, '/', { headers: { 'x-user': user } })).body) as {
        name: string;
      };
      names.set(user, (names.get(user) ?? new Set()).add(res.name));
    }
    for (const [user, set] of names) expect(set.size, user).toBe(1);
    expect(new Set([...names.values()].flatMap((s) => [...s])).size).toBe(2);
  });

  it('https:// backends: verified against [upstream.tls] ca_file; refused (502) without it', async () => {
    const { createTestCertificates } = await import('@rws/test-helpers');
    const { createServer: createHttpsServer } = await import('node:https');
    const certs = createTestCertificates();
    onTestFinished(certs.cleanup);
    const server = createHttpsServer(
      { cert: certs.server.cert, key: certs.server.key },
      (req, res) => {
        res.end(`tls ${req.url}`);
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
    const { port: tlsPort } = server.address() as { port: number };
    const upstream = (tls: string) =>
      `[[upstream]]\nname = "secure"\nbackends = ["https://localhost:${tlsPort}"]\n${tls}` +
      `[[route]]\n[route.action]\ntype = "proxy"\nupstream = "secure"\n`;
    const trusted = await gatewayPort(
      upstream(`[upstream.tls]\nca_file = "${certs.ca.certFile}"\n`),
    );
    expect((await httpCall(trusted, '/x')).body).toBe('tls /x');
    const untrusted = await gatewayPort(upstream(''));
    expect((await httpCall(untrusted, '/x')).status).toBe(502);
    await expect(
      createGateway(upstream('[upstream.tls]\nca_file = "/nonexistent/ca.pem"\n')),
    ).rejects.toThrow(
      /rws\.config\.toml:5: upstream\[0\]\.tls\.ca_file: cannot read \/nonexistent\/ca\.pem/,
    );
  });

  it('forwarding headers: RFC 7239 Forwarded, and X-Forwarded-For kept only from trusted proxies', async () => {
    const a = await startBackend('a');
    const port = await gatewayPort(
      `[[route]]\n[route.match]\npath = "/rfc/*"\n[route.action]\ntype = "proxy"\nupstream = "${a.address}"\nforwarded = "forwarded"\n` +
        `[[route]]\n[route.match]\npath = "/trusted/*"\n[route.action]\ntype = "proxy"\nupstream = "${a.address}"\ntrusted_proxies = ["127.0.0.1"]\n` +
        `[[route]]\n[route.action]\ntype = "proxy"\nupstream = "${a.address}"\n`,
    );
    const spoof = { 'x-forwarded-for': '203.0.113.9' };
    const rfc = JSON.parse((await httpCall(port, '/rfc/x')).body);
    expect(rfc.headers.forwarded).toMatch(/for=("?)127\.0\.0\.1\1/);
    expect(rfc.headers['x-forwarded-for']).toBeUndefined();
    const trusted = JSON.parse((await httpCall(port, '/trusted/x', { headers: spoof })).body);
    expect(trusted.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    const untrusted = JSON.parse((await httpCall(port, '/other', { headers: spoof })).body);
    expect(untrusted.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('proxy to a dead backend is 502', async () => {
    const dead = await startBackend('dead');
    const address = dead.address;
    await new Promise<void>((r) => dead.server.close(() => r()));
    const port = await gatewayPort(
      `[[route]]\n[route.action]\ntype = "proxy"\nupstream = "${address}"\n`,
    );
    expect((await httpCall(port, '/')).status).toBe(502);
  });

  it('static (relative root, index, 404 inside the route), redirect with $path, respond', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rws-gw-'));
    mkdirSync(join(dir, 'site'));
    writeFileSync(join(dir, 'site', 'home.html'), '<h1>home</h1>');
    writeFileSync(join(dir, 'site', 'a.txt'), 'A');
    const port = await gatewayPort(
      `[[route]]\n[route.match]\npath = "/old/*"\n[route.action]\ntype = "redirect"\nlocation = "https://new.example.com$path"\nstatus = 308\n` +
        `[[route]]\n[route.match]\npath = "/teapot"\n[route.action.respond]\nstatus = 418\nbody = "short and stout"\ncontent_type = "text/x-tea"\n[route.action]\ntype = "respond"\n` +
        `[[route]]\n[route.action]\ntype = "static"\nroot = "site"\nindex = ["home.html"]\n`,
      { cwd: dir },
    );
    const redirect = await httpCall(port, '/old/page?x=1');
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe('https://new.example.com/old/page?x=1');
    const tea = await httpCall(port, '/teapot');
    expect([tea.status, tea.body, tea.headers['content-type']]).toEqual([
      418,
      'short and stout',
      'text/x-tea',
    ]);
    expect((await httpCall(port, '/')).body).toBe('<h1>home</h1>');
    expect((await httpCall(port, '/a.txt')).body).toBe('A');
    expect((await httpCall(port, '/missing.txt')).status).toBe(404);
  });

  it('a static root that does not exist is a startup problem with its key path', async () => {
    await expect(
      createGateway(`[[route]]\n[route.action]\ntype = "static"\nroot = "/nonexistent/rws"\n`),
    ).rejects.toThrow(/rws\.config\.toml:4: route\[0\]\.action\.root: /);
  });
});

describe('route and global middleware, composed in order', () => {
  it('ip_filter, max_body_size, rewrite, timeout_ms and cache from TOML', async () => {
    let calls = 0;
    const backend = await startBackend('b', (req, res, body) => {
      calls++;
      if (req.url?.startsWith('/slow')) {
        setTimeout(() => res.end('late'), 1000).unref();
        return;
      }
      res.setHeader('cache-control', 'max-age=60');
      res.setHeader('x-secret', 'internal');
      res.end(`${req.url} ${req.headers['x-gw'] ?? '-'} ${body.length}`);
    });
    const port = await gatewayPort(
      `[[route]]\n[route.match]\npath = "/denied/*"\n[route.action]\ntype = "respond"\n[route.middleware.ip_filter]\ndeny = ["127.0.0.0/8"]\n` +
        `[[route]]\n[route.match]\npath = "/app/*"\n[route.action]\ntype = "proxy"\nupstream = "${backend.address}"\n` +
        `[route.middleware]\nmax_body_size = 8\ntimeout_ms = 200\ncache = { ttl_secs = 30 }\n` +
        `[[route.middleware.rewrite.request]]\ntype = "strip_prefix"\nvalue = "/app"\n` +
        `[[route.middleware.rewrite.request]]\ntype = "header_set"\nname = "x-gw"\nvalue = "1"\n` +
        `[[route.middleware.rewrite.response]]\ntype = "header_remove"\nname = "x-secret"\n`,
    );
    expect((await httpCall(port, '/denied/x')).status).toBe(403);
    const first = await httpCall(port, '/app/page');
    expect([first.status, first.body]).toEqual([200, '/page 1 0']);
    expect(first.headers['x-secret']).toBeUndefined();
    const second = await httpCall(port, '/app/page');
    expect(second.body).toBe('/page 1 0');
    expect(second.headers['cache-status']).toMatch(/hit/);
    expect(calls).toBe(1);
    const big = await httpCall(port, '/app/upload', { method: 'POST', body: '123456789' });
    expect(big.status).toBe(413);
    const small = await httpCall(port, '/app/upload', { method: 'POST', body: '12345678' });
    expect(small.body).toBe('/upload 1 8');
    const slow = await httpCall(port, '/app/slow');
    expect(slow.status).toBe(504);
  });

  it('global [middleware] applies to every request, also those that fall through', async () => {
    const port = await gatewayPort(
      `[middleware]\nrate_limit = { max_requests = 2, window_secs = 60 }\n[[route]]\n[route.match]\npath = "/r"\n${respond('r')}`,
      {},
      true,
    );
    expect((await httpCall(port, '/r')).status).toBe(200);
    expect((await httpCall(port, '/elsewhere')).body).toBe('fell through');
    expect((await httpCall(port, '/r')).status).toBe(429);
  });

  it('basic and jwt auth from TOML, files relative to cwd', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rws-gw-auth-'));
    writeFileSync(join(dir, 'users'), 'admin:letmein\n');
    const port = await gatewayPort(
      `[[route]]\n[route.match]\npath = "/basic"\n${respond('basic ok')}[route.middleware]\nauth = { type = "basic", users_file = "users", realm = "ops" }\n` +
        `[[route]]\n[route.match]\npath = "/jwt"\n${respond('jwt ok')}[route.middleware.auth]\ntype = "jwt"\nsecret_env = "JWT_SECRET"\naudience = "api"\n`,
      { cwd: dir, env: { JWT_SECRET: 'x'.repeat(32) } },
    );
    const denied = await httpCall(port, '/basic');
    expect([denied.status, denied.headers['www-authenticate']]).toEqual([
      401,
      'Basic realm="ops", charset="UTF-8"',
    ]);
    const ok = await httpCall(port, '/basic', {
      headers: { authorization: `Basic ${Buffer.from('admin:letmein').toString('base64')}` },
    });
    expect(ok.body).toBe('basic ok');
    const { SignJWT } = await import('jose');
    const token = await new SignJWT({ aud: 'api' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect(
      (await httpCall(port, '/jwt', { headers: { authorization: `Bearer ${token}` } })).body,
    ).toBe('jwt ok');
    expect(
      (await httpCall(port, '/jwt', { headers: { authorization: 'Bearer x.y.z' } })).status,
    ).toBe(401);
  });
});
