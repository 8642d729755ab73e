/**
 * SIGHUP: rws re-resolves flags + env + rws.config.toml and applies what can change live; a
 * broken file is reported in full and the running configuration stays.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli, tempDir } from './cli-process.js';

async function allowOrigin(origin: string, from: string): Promise<string | null> {
  const res = await fetch(`${origin}/index.html`, { headers: { origin: from } });
  await res.arrayBuffer();
  return res.headers.get('access-control-allow-origin');
}

describe('rws: SIGHUP reload', () => {
  it('applies a changed rws.config.toml live and keeps the old one when the new is broken', async () => {
    const dir = tempDir('rws-reload-');
    const file = join(dir, 'rws.config.toml');
    writeFileSync(join(dir, 'index.html'), '<p>hi</p>');
    writeFileSync(file, '[cors]\nallow_all = false\nallow_origins = ["https://a.example"]\n');
    // --port comes from the command line, which a reload reads again as it was.
    const rws = await startCli(['--port', '0'], { cwd: dir });
    expect(rws.stdout).toContain(`  config: ${file}\n`);
    expect(await allowOrigin(rws.origin, 'https://a.example')).toBe('https://a.example');
    expect(await allowOrigin(rws.origin, 'https://b.example')).toBeNull();

    // 1. A valid change: CORS and the log format apply; a port change needs a restart.
    writeFileSync(
      file,
      'port = 1\nlog_format = "combined"\n[cors]\nallow_all = false\nallow_origins = ["https://b.example"]\n',
    );
    rws.child.kill('SIGHUP');
    await rws.waitFor('stderr', 'rws: reloaded configuration');
    expect(await allowOrigin(rws.origin, 'https://b.example')).toBe('https://b.example');
    expect(await allowOrigin(rws.origin, 'https://a.example')).toBeNull();
    // The flag still wins over the file's port = 1, so nothing needs a restart here.
    expect(rws.stderr).not.toContain('needs a restart');
    await rws.waitFor('stdout', '"GET /index.html HTTP/1.1" 200');

    // 2. A broken file: every problem is printed; the previous configuration keeps serving.
    const before = rws.stderr.length;
    writeFileSync(file, 'prot = 1\nlog_format = "yaml"\n[cors]\nallow_al = true\n');
    rws.child.kill('SIGHUP');
    await rws.waitFor('stderr', 'still serving the previous configuration', { from: before });
    const report = rws.stderr.slice(before);
    expect(report).toContain('rws: reload failed: configuration has 3 problems:');
    expect(report).toContain('rws.config.toml:1: prot: unknown key');
    expect(report).toContain('rws.config.toml:2: log_format:');
    expect(report).toContain('rws.config.toml:4: cors.allow_al: unknown key');
    expect(await allowOrigin(rws.origin, 'https://b.example')).toBe('https://b.example');

    // 3. A value only a middleware rejects (an origin with a path) also keeps the old one.
    const before2 = rws.stderr.length;
    writeFileSync(file, '[cors]\nallow_all = false\nallow_origins = ["https://c.example/app"]\n');
    rws.child.kill('SIGHUP');
    await rws.waitFor('stderr', 'still serving the previous configuration', { from: before2 });
    expect(rws.stderr.slice(before2)).toContain('rws: reload failed: cors: allowOrigins');
    expect(await allowOrigin(rws.origin, 'https://b.example')).toBe('https://b.example');

    expect(await rws.stop()).toBe(0);
  }, 30_000);

  it('reports a restart-only change (port) as a warning and applies the rest', async () => {
    const dir = tempDir('rws-reload-restart-');
    const file = join(dir, 'rws.config.toml');
    writeFileSync(join(dir, 'index.html'), '<p>hi</p>');
    writeFileSync(file, 'port = 0\n[cors]\nallow_all = true\n');
    const rws = await startCli([], { cwd: dir });
    expect(await allowOrigin(rws.origin, 'https://a.example')).toBe('*');

    writeFileSync(file, 'port = 1\n[cors]\nallow_all = false\n');
    rws.child.kill('SIGHUP');
    await rws.waitFor('stderr', 'rws: reloaded configuration');
    expect(rws.stderr).toContain('rws: warning: reload: port (0 → 1) needs a restart; not applied');
    // Still on the same port, with the new CORS policy.
    expect(await allowOrigin(rws.origin, 'https://a.example')).toBeNull();
    expect(await rws.stop()).toBe(0);
  }, 30_000);
});
