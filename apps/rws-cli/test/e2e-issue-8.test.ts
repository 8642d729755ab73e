/**
 * Issue #8 ("rws as a newcomer and an attacker meet it"), end to end: the real binary in a
 * folder, real HTTP over 127.0.0.1.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
