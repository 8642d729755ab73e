/**
 * Secret references (`env://NAME`, `file:///path`) in config values: resolved at load and on
 * reload, a missing one is a problem naming the key (fail closed), and the secret never shows
 * in messages or `rws check` output (issue #22).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/index.js';
import { cleanEnv, startCli, tempDir } from './cli-process.js';
import { CWD, captureIo, fsInput } from './helpers.js';

const FILE = `${CWD}/rws.config.toml`;

describe('secret references in config values', () => {
  it('resolves env:// and file:// in strings, lists and tables', () => {
    const r = resolveConfig({
      argv: [],
      env: { ADMIN_PW: 's3cret-env', RWS_CONFIG_HSTS: 'env://HSTS', HSTS: 'max-age=60' },
      cwd: CWD,
      ...fsInput({
        files: {
          [FILE]: [
            'basic_auth = { admin = "env://ADMIN_PW", ops = "file:///run/secrets/ops" }',
            'allowed_hosts = ["file:///run/secrets/host"]',
            '[headers]',
            'X-Token = "file:///run/secrets/token"',
            '',
          ].join('\n'),
          '/run/secrets/ops': 's3cret-file\n',
          '/run/secrets/host': 'app.example',
          '/run/secrets/token': 'tok',
        },
      }),
    });
    expect(r.problems).toEqual([]);
    expect(r.config.basicAuth).toEqual({ admin: 's3cret-env', ops: 's3cret-file' });
    expect(r.config.allowedHosts).toEqual(['app.example']);
    expect(r.config.headers).toEqual({ 'X-Token': 'tok' });
    expect(r.config.hsts).toBe('max-age=60');
  });

  it('fails closed: each unresolved reference is a problem naming the key, never a secret', () => {
    const r = resolveConfig({
      argv: ['--basic-auth', 'root:env://EMPTY'],
      env: { EMPTY: '', RWS_CONFIG_HSTS: 'env://' },
      cwd: CWD,
      ...fsInput({
        files: { [FILE]: '\n[headers]\nX-Token = "file:///run/secrets/missing"\n' },
      }),
    });
    const rows = r.problems.map((p) => [p.code, p.source, p.key, p.message]);
    expect(rows).toEqual(
      expect.arrayContaining([
        [
          'RWS_CLI_SECRET_UNRESOLVED',
          'flag',
          '--basic-auth',
          'env://EMPTY: environment variable EMPTY is not set',
        ],
        [
          'RWS_CLI_SECRET_UNRESOLVED',
          'env',
          'RWS_CONFIG_HSTS',
          'env://: names no environment variable',
        ],
        [
          'RWS_CLI_SECRET_UNRESOLVED',
          'file',
          'headers',
          'file:///run/secrets/missing: cannot read /run/secrets/missing (ENOENT)',
        ],
      ]),
    );
    expect(r.problems.find((p) => p.source === 'file')?.line).toBe(2);
  });

  it('rws check reports a missing secret and exits 1; a resolved one is not printed', async () => {
    const io = captureIo(
      { PW: 'do-not-print-me' },
      { files: { [FILE]: 'basic_auth = { admin = "env://PW" }\nhsts = "env://NOPE"\n' } },
    );
    const { main } = await import('../src/index.js');
    expect(await main(['check'], io)).toBe(1);
    expect(io.err).toContain('hsts: env://NOPE: environment variable NOPE is not set');
    expect(io.err + io.out).not.toContain('do-not-print-me');
    const ok = captureIo(
      { PW: 'do-not-print-me' },
      { files: { [FILE]: 'basic_auth = { admin = "env://PW" }\n' } },
    );
    expect(await main(['check'], ok)).toBe(0);
    expect(ok.out).toContain('admin');
    expect(ok.err + ok.out).not.toContain('do-not-print-me');
  });

  it('a SIGHUP re-reads file:// secrets: the new password works, the old one stops', {
    timeout: 60_000,
  }, async () => {
    const dir = tempDir('rws-secrets-');
    const secret = join(dir, 'password');
    writeFileSync(secret, 'first-pass\n');
    writeFileSync(join(dir, 'index.html'), 'private');
    writeFileSync(join(dir, 'rws.config.toml'), `basic_auth = { admin = "file://${secret}" }\n`);
    const rws = await startCli(['-p', '0'], { cwd: dir, env: cleanEnv() });
    const get = async (pw: string): Promise<number> =>
      (
        await fetch(`${rws.origin}/`, {
          headers: { authorization: `Basic ${Buffer.from(`admin:${pw}`).toString('base64')}` },
        })
      ).status;
    expect(await get('first-pass')).toBe(200);
    expect(await get('second-pass')).toBe(401);
    writeFileSync(secret, 'second-pass\n');
    rws.child.kill('SIGHUP');
    await rws.waitFor('stderr', 'rws: reloaded configuration');
    expect(await get('second-pass')).toBe(200);
    expect(await get('first-pass')).toBe(401);
    expect(rws.stdout + rws.stderr).not.toMatch(/first-pass|second-pass/);
    expect(await rws.stop()).toBe(0);
  });
});
