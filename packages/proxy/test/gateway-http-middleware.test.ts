import { compose, text } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGateway, GatewayConfigError, type GatewayOptions } from '../src/index.js';
import { httpCall, serveHandler, startBackend } from './gateway-helpers.js';

async function gatewayPort(toml: string, options: GatewayOptions = {}) {
  const gateway = await createGateway(toml, options);
  onTestFinished(() => gateway.close());
  return serveHandler(compose([gateway], () => text('fell through')));
}

/** The problems `createGateway` reports for `toml`, as formatted lines. */
async function problemsOf(toml: string): Promise<string[]> {
  const err = await createGateway(toml).then(
    (g) => {
      void g.close();
      return null;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayConfigError);
  return (err as GatewayConfigError).message.split('\n').slice(1);
}

const BIG = 'hello compressible world '.repeat(200);
const respond = (body: string) => `[route.action]\ntype = "respond"\nbody = "${body}"\n`;

describe('[route.middleware] compress, security_headers, cors, csrf, forward_auth (issue #13)', () => {
  it('compress: gzip by Accept-Encoding above the threshold, Vary set; off when unset', async () => {
    const port = await gatewayPort(
      `[[route]]\n[route.match]\npath = "/z"\n${respond(BIG)}[route.middleware]\ncompress = { encodings = ["gzip"], threshold = 100 }\n` +
        `[[route]]\n[route.match]\npath = "/small"\n${respond('tiny')}[route.middleware]\ncompress = true\n` +
        `[[route]]\n[route.match]\npath = "/plain"\n${respond(BIG)}`,
    );
    const get = (path: string) =>
      fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'accept-encoding': 'gzip, br' } });
    const z = await get('/z');
    expect(z.headers.get('content-encoding')).toBe('gzip');
    expect(z.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(await z.text()).toBe(BIG); // fetch decodes it: the bytes were real gzip
    const small = await get('/small');
    expect(small.headers.get('content-encoding')).toBeNull();
    expect(await small.text()).toBe('tiny');
    expect((await get('/plain')).headers.get('content-encoding')).toBeNull();
  });

  it('security_headers: defaults with true; a value replaces, false leaves a header out', async () => {
    const port = await gatewayPort(
      `[[route]]\n[route.match]\npath = "/d"\n${respond('d')}[route.middleware]\nsecurity_headers = true\n` +
        `[[route]]\n[route.match]\npath = "/c"\n${respond('c')}[route.middleware.security_headers]\n` +
        `content_security_policy = "default-src 'none'"\nx_frame_options = false\nstrict_transport_security = "max-age=60"\n` +
        `[route.middleware.ip_filter]\ndeny = ["127.0.0.1"]\n`,
    );
    const d = await httpCall(port, '/d');
    expect(d.headers['x-content-type-options']).toBe('nosniff');
    expect(d.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(d.headers['content-security-policy']).toContain("default-src 'self'");
    // Refused by ip_filter, and still carries the headers: security_headers is outermost.
    const c = await httpCall(port, '/c');
    expect(c.status).toBe(403);
    expect(c.headers['content-security-policy']).toBe("default-src 'none'");
    expect(c.headers['x-frame-options']).toBeUndefined();
    expect(c.headers['strict-transport-security']).toBe('max-age=60');
  });

  it('cors answers a preflight before auth, and its headers reach the 401', async () => {
    const port = await gatewayPort(
      `[[route]]\n${respond('secret')}[route.middleware]\nauth = { type = "bearer", token_env = "T" }\n` +
        `[route.middleware.cors]\nallow_origins = ["https://app.example"]\nallow_methods = ["GET", "PUT"]\nmax_age_secs = 600\n`,
      { env: { T: 'tok' } },
    );
    const pre = await httpCall(port, '/x', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'PUT',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(pre.headers['access-control-max-age']).toBe('600');
    const denied = await httpCall(port, '/x', { headers: { origin: 'https://app.example' } });
    expect(denied.status).toBe(401);
    expect(denied.headers['access-control-allow-origin']).toBe('https://app.example');
    const other = await httpCall(port, '/x', { headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('csrf: a safe request gets the cookie; an unsafe one needs it echoed in the header', async () => {
    const port = await gatewayPort(
      `[[route]]\n${respond('done')}[route.middleware.csrf]\nheader_name = "x-csrf"\nform_field = false\n`,
    );
    const first = await httpCall(port, '/form');
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    const pair = setCookie.split(';')[0]!;
    const token = pair.slice(pair.indexOf('=') + 1);
    expect((await httpCall(port, '/form', { method: 'POST', body: 'x' })).status).toBe(403);
    const wrong = await httpCall(port, '/form', {
      method: 'POST',
      headers: { cookie: pair, 'x-csrf': `${token}x` },
      body: 'x',
    });
    expect(wrong.status).toBe(403);
    const ok = await httpCall(port, '/form', {
      method: 'POST',
      headers: { cookie: pair, 'x-csrf': token },
      body: 'x',
    });
    expect([ok.status, ok.body]).toEqual([200, 'done']);
  });

  it('forward_auth: a real auth service admits (copying a header to the backend) or refuses', async () => {
    const auth = await startBackend('auth', (req, res) => {
      if (req.headers.authorization === 'Bearer good') {
        res.setHeader('x-user', 'ada');
        res.end('ok');
      } else {
        res.statusCode = 401;
        res.end('go away');
      }
    });
    const app = await startBackend('app');
    const port = await gatewayPort(
      `[[route]]\n[route.action]\ntype = "proxy"\nupstream = "${app.address}"\n` +
        `[route.middleware.forward_auth]\naddress = "http://${auth.address}/check"\nauth_response_headers = ["x-user"]\ntimeout_ms = 5000\n`,
    );
    const refused = await httpCall(port, '/data', { headers: { authorization: 'Bearer bad' } });
    expect([refused.status, refused.body]).toEqual([401, 'go away']);
    expect(app.seen).toHaveLength(0);
    const admitted = await httpCall(port, '/data', { headers: { authorization: 'Bearer good' } });
    expect(admitted.status).toBe(200);
    expect(JSON.parse(admitted.body).headers['x-user']).toBe('ada');
    expect(auth.seen.at(-1)?.url).toBe('/check');
  });

  it('[middleware] (global) takes the same keys', async () => {
    const port = await gatewayPort(
      `[middleware]\nsecurity_headers = { referrer_policy = "no-referrer" }\n[[route]]\n[route.match]\npath = "/r"\n${respond('r')}`,
    );
    expect((await httpCall(port, '/r')).headers['referrer-policy']).toBe('no-referrer');
    expect((await httpCall(port, '/elsewhere')).headers['referrer-policy']).toBe('no-referrer');
  });

  it('reports every bad value with its key path and line, at parse and at build', async () => {
    const lines = await problemsOf(
      [
        '[[route]]',
        respond('x').trimEnd(),
        '[route.middleware]',
        'compress = { encodings = ["gzip", "lzma"], etag = "keep", level = 3 }',
        'security_headers = { x_frame_options = 1, x_powered_by = "no" }',
        'csrf = "yes"',
        '[route.middleware.cors]',
        'allow_credentials = true',
        '[route.middleware.forward_auth]',
        'address = "ftp://auth"',
      ].join('\n'),
    );
    const text = lines.join('\n');
    for (const want of [
      'rws.config.toml:6: route[0].middleware.compress.encodings[1]: must be "br", "zstd" or "gzip", got "lzma"',
      'route[0].middleware.compress.etag: must be "weaken" or "drop", got "keep"',
      'route[0].middleware.compress.level: unknown key',
      'route[0].middleware.security_headers.x_frame_options: must be a header value or false (off), got an integer',
      'route[0].middleware.security_headers.x_powered_by: unknown key',
      'route[0].middleware.csrf: must be true, false or a table, got a string',
      'route[0].middleware.cors: needs allow_origins or allow_all = true',
      'route[0].middleware.forward_auth.address: must be an http(s) URL, got "ftp://auth"',
    ]) {
      expect(text).toContain(want);
    }
    // Values only the middleware can judge fail when the gateway is built, at the same path.
    const built = await problemsOf(
      `[[route]]\n${respond('x')}[route.middleware.cors]\nallow_origins = ["https://a.example/path"]\n` +
        `[route.middleware.security_headers]\nx_frame_options = "ALLOW-FROM x"\n`,
    );
    expect(built.join('\n')).toMatch(/route\[0\]\.middleware\.cors: .*not an origin/);
    expect(built.join('\n')).toContain(
      'rws.config.toml:7: route[0].middleware.security_headers: securityHeaders: xFrameOptions must be "DENY" or "SAMEORIGIN", got "ALLOW-FROM x"',
    );
  });
});
