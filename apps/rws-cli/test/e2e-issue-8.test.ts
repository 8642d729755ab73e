/**
 * Issue #8 ("rws as a newcomer and an attacker meet it"), end to end: the real binary in a
 * folder, real HTTP over 127.0.0.1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { cleanEnv, sourceArgs, startCli, tempDir } from './cli-process.js';

function site(): string {
  const dir = tempDir('rws-i8-');
  writeFileSync(join(dir, 'index.html'), '<!doctype html><h1>home</h1>\n');
  writeFileSync(join(dir, 'data.json'), '{"a":1}\n');
  return dir;
}

const ORIGIN = 'https://app.example';

async function simple(base: string): Promise<Response> {
  const res = await fetch(`${base}/data.json`, { headers: { origin: ORIGIN } });
  await res.arrayBuffer();
  return res;
}

async function preflight(base: string): Promise<Response> {
  const res = await fetch(`${base}/data.json`, {
    method: 'OPTIONS',
    headers: {
      origin: ORIGIN,
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'x-token',
    },
  });
  await res.arrayBuffer();
  return res;
}

describe('issue #8: CORS', () => {
  it('off by default: no CORS headers on simple requests or preflights', async () => {
    const rws = await startCli(['-p', '0'], { cwd: site() });
    const s = await simple(rws.origin);
    expect(s.status).toBe(200);
    expect(s.headers.get('access-control-allow-origin')).toBeNull();
    const p = await preflight(rws.origin);
    expect(p.headers.get('access-control-allow-origin')).toBeNull();
    expect(p.headers.get('access-control-allow-methods')).toBeNull();
    expect(await rws.stop()).toBe(0);
  }, 30_000);

  it('--cors-allow-all without credentials: `*`, no Vary: Origin', async () => {
    const rws = await startCli(['-p', '0', '--cors-allow-all'], { cwd: site() });
    const s = await simple(rws.origin);
    expect(s.headers.get('access-control-allow-origin')).toBe('*');
    expect(s.headers.get('vary') ?? '').not.toMatch(/origin/i);
    expect(s.headers.get('access-control-allow-credentials')).toBeNull();
    const p = await preflight(rws.origin);
    expect(p.status).toBe(204);
    expect(p.headers.get('access-control-allow-origin')).toBe('*');
    expect(p.headers.get('access-control-allow-methods')).toBe('PUT');
    expect(p.headers.get('access-control-allow-headers')).toBe('x-token');
    expect(p.headers.get('access-control-max-age')).toBe('86400');
    expect(await rws.stop()).toBe(0);
  }, 30_000);

  it('RWS_CONFIG_CORS_ALLOW_ALL + credentials: the Origin echoed with Vary: Origin', async () => {
    const dir = site();
    writeFileSync(join(dir, 'rws.config.toml'), '[cors]\nallow_credentials = true\n');
    const rws = await startCli(['-p', '0'], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', RWS_CONFIG_CORS_ALLOW_ALL: 'true' },
    });
    const s = await simple(rws.origin);
    expect(s.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(s.headers.get('access-control-allow-credentials')).toBe('true');
    expect(s.headers.get('vary')).toMatch(/\bOrigin\b/);
    const p = await preflight(rws.origin);
    expect(p.status).toBe(204);
    expect(p.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(p.headers.get('access-control-allow-credentials')).toBe('true');
    expect(p.headers.get('vary')).toMatch(/\bOrigin\b/);
    expect(await rws.stop()).toBe(0);
  }, 30_000);
});

describe('issue #8: rws --version', () => {
  it('prints the version of apps/rws-cli/package.json and the Node.js version', () => {
    const child = spawnSync(process.execPath, sourceArgs(['--version']), {
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.stdout).toBe(`rws ${pkg.version} (Node.js ${process.version})\n`);
    expect(child.stdout).toMatch(/^rws \d+\.\d+\.\d+\S* \(Node\.js v\d+\.\d+\.\d+\)\n$/);
    expect(child.status).toBe(0);
  }, 30_000);
});

describe('issue #8: static keys through the binary', () => {
  it('Cache-Control, immutable, dotfiles deny, custom headers, compressed listings, 404 page', async () => {
    const dir = site();
    writeFileSync(join(dir, 'app.3f9a1c2b.js'), 'console.log(1);\n');
    writeFileSync(join(dir, '.env'), 'SECRET=1\n');
    mkdirSync(join(dir, 'many'));
    for (let i = 0; i < 60; i++) writeFileSync(join(dir, 'many', `file-${i}.txt`), 'x');
    const rws = await startCli(
      [
        '-p',
        '0',
        '--cache-max-age',
        '600',
        '--cache-immutable',
        '--dotfiles',
        'deny',
        '--header',
        'X-Frame-Options: DENY',
        '--header',
        'X-Test: one, two',
      ],
      { cwd: dir },
    );
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${rws.origin}${path}`, { headers });
      return { res, body: await res.text() };
    };
    const hashed = await get('/app.3f9a1c2b.js');
    expect(hashed.res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const plain = await get('/data.json');
    expect(plain.res.headers.get('cache-control')).toBe('public, max-age=600');
    expect(plain.res.headers.get('x-frame-options')).toBe('DENY');
    expect(plain.res.headers.get('x-test')).toBe('one, two');
    const dot = await get('/.env');
    expect(dot.res.status).toBe(403);
    expect(dot.body).not.toContain('SECRET');
    expect(dot.res.headers.get('x-frame-options')).toBe('DENY');

    // A listing is compressed like other text (fetch decodes it).
    const listing = await get('/many/', { 'accept-encoding': 'br' });
    expect(listing.res.headers.get('content-encoding')).toBe('br');
    expect(listing.body).toContain('file-59.txt');

    // The default 404: a styled page for browsers, plain text for curl.
    const page = await get('/missing', { accept: 'text/html' });
    expect(page.res.status).toBe(404);
    expect(page.body).toContain('<title>404 Not Found</title>');
    expect(page.res.headers.get('x-frame-options')).toBe('DENY');
    const text = await get('/missing', { accept: '*/*' });
    expect(text.body).toBe('Not Found\n');
    expect(await rws.stop()).toBe(0);
  }, 30_000);

  it('--no-compression: no Content-Encoding on text files or listings', async () => {
    const dir = site();
    writeFileSync(join(dir, 'big.css'), 'body { color: red; }\n'.repeat(500));
    const rws = await startCli(['-p', '0', '--no-compression'], { cwd: dir });
    for (const path of ['/big.css', '/']) {
      const res = await fetch(`${rws.origin}${path}`, {
        headers: { 'accept-encoding': 'gzip, br' },
      });
      expect(res.headers.get('content-encoding'), path).toBeNull();
      await res.arrayBuffer();
    }
    expect(await rws.stop()).toBe(0);
    const on = await startCli(['-p', '0'], { cwd: dir });
    const res = await fetch(`${on.origin}/big.css`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    await res.arrayBuffer();
    expect(await on.stop()).toBe(0);
  }, 30_000);

  it('--open runs RWS_OPENER with the served URL', async () => {
    const dir = site();
    const opened = join(dir, 'opened.txt');
    const opener = join(dir, 'fake-opener.sh');
    writeFileSync(opener, `#!/bin/sh\nprintf '%s' "$*" > '${opened}'\n`, { mode: 0o755 });
    const rws = await startCli(['-p', '0', '--open'], {
      cwd: dir,
      env: cleanEnv({ RWS_OPENER: opener }),
    });
    const deadline = Date.now() + 5000;
    while (!existsSync(opened) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(readFileSync(opened, 'utf8')).toBe(`${rws.origin}/`);
    expect(await rws.stop()).toBe(0);
    // Nothing but the shutdown lines: opening the browser warned about nothing.
    expect(rws.stderr).toBe('rws: received SIGTERM, draining 0 connections\nrws: stopped\n');
  }, 30_000);

  it('--open with an opener that cannot run warns and keeps serving', async () => {
    const dir = site();
    const rws = await startCli(['-p', '0', '--open'], {
      cwd: dir,
      env: cleanEnv({ RWS_OPENER: join(dir, 'no-such-opener') }),
    });
    await rws.waitFor('stderr', 'rws: warning: --open: cannot run');
    expect(rws.stderr).toContain(`; open ${rws.origin}/`);
    expect((await fetch(`${rws.origin}/data.json`)).status).toBe(200);
    expect(await rws.stop()).toBe(0);
  }, 30_000);

  it('--shutdown-grace-ms bounds how long SIGTERM waits for a stalled download', async () => {
    const dir = site();
    // Larger than the socket buffers, so the response stays in flight while nobody reads.
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(48 * 1024 * 1024, 1));
    const rws = await startCli(['-p', '0', '--shutdown-grace-ms', '300'], { cwd: dir });
    const { port } = new URL(rws.origin);
    const socket = connect(Number(port), '127.0.0.1');
    onTestFinished(() => {
      socket.destroy();
    });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.pause();
    socket.write('GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise((r) => setTimeout(r, 300));
    const start = Date.now();
    const code = await rws.stop('SIGTERM');
    expect(Date.now() - start).toBeLessThan(5000);
    expect(code).not.toBeNull();
  }, 30_000);
});
