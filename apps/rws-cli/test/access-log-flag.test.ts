/**
 * Issue #11: `--access-log off|stdout|stderr|FILE` (env `RWS_CONFIG_ACCESS_LOG`, TOML
 * `access_log`) on the real binary: lines go where asked, a file gets every line by the time
 * the process has stopped (the buffered writer flushes on shutdown), `off` writes none.
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, startCli, tempDir } from './cli-process.js';

function site(): string {
  const dir = tempDir('rws-access-log-');
  writeFileSync(join(dir, 'a.txt'), 'alpha\n');
  writeFileSync(join(dir, 'big.bin'), '');
  truncateSync(join(dir, 'big.bin'), 1024 * 1024);
  return dir;
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function fetchAll(origin: string): Promise<void> {
  for (const path of ['/a.txt', '/big.bin']) {
    const res = await fetch(`${origin}${path}`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
}

describe('rws --access-log', () => {
  it('FILE (relative to the working directory): every line is in the file after SIGTERM', async () => {
    const dir = site();
    const rws = await startCli(['--port', '0', '--access-log', 'access.log'], { cwd: dir });
    await fetchAll(rws.origin);
    expect(await rws.stop('SIGTERM')).toBe(0);
    const lines = jsonLines(readFileSync(join(dir, 'access.log'), 'utf8'));
    expect(lines.map((l) => [l['path'], l['status'], l['bytes']])).toEqual([
      ['/a.txt', 200, 6],
      ['/big.bin', 200, 1024 * 1024],
    ]);
    expect(jsonLines(rws.stdout)).toEqual([]);
  });

  it('off: no line anywhere', async () => {
    const dir = site();
    const rws = await startCli(['--port', '0', '--access-log', 'off'], { cwd: dir });
    await fetchAll(rws.origin);
    expect(await rws.stop('SIGTERM')).toBe(0);
    expect(jsonLines(rws.stdout)).toEqual([]);
    expect(jsonLines(rws.stderr)).toEqual([]);
  });

  it('RWS_CONFIG_ACCESS_LOG=stderr: lines on stderr, none on stdout', async () => {
    const dir = site();
    const rws = await startCli(['--port', '0'], {
      cwd: dir,
      env: cleanEnv({ RWS_CONFIG_ACCESS_LOG: 'stderr' }),
    });
    await fetchAll(rws.origin);
    await rws.waitFor('stderr', '"path":"/big.bin"');
    expect(jsonLines(rws.stderr).map((l) => l['path'])).toEqual(['/a.txt', '/big.bin']);
    expect(jsonLines(rws.stdout)).toEqual([]);
    expect(await rws.stop('SIGTERM')).toBe(0);
  });

  it('TOML access_log: a file relative to the config file', async () => {
    const dir = site();
    writeFileSync(join(dir, 'rws.config.toml'), 'access_log = "toml-access.log"\n');
    const rws = await startCli(['--port', '0'], { cwd: dir });
    await fetchAll(rws.origin);
    expect(await rws.stop('SIGTERM')).toBe(0);
    const lines = jsonLines(readFileSync(join(dir, 'toml-access.log'), 'utf8'));
    expect(lines.map((l) => l['path'])).toEqual(['/a.txt', '/big.bin']);
  });
});
