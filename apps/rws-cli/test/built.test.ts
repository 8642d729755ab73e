/**
 * The published shape of the binary: `dist/cli.js` (tsup, with a shebang) run by plain node
 * with no source condition, so every @rws/* import resolves to the packages' `dist`. The
 * build goes through turbo, which caches: after the first run it costs about a second.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withBuildLock } from '@rws/test-helpers';
import { beforeAll, describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { CLI_DIST, cleanEnv, REPO_ROOT, startCli, tempDir } from './cli-process.js';

beforeAll(async () => {
  // Not while another test file builds (tooling/packed packs core, http1, h2, middleware).
  await withBuildLock(() => buildCli());
  // A cold build of every package the CLI depends on, on two cores shared with the other test
  // files, can take minutes.
}, 400_000);

function buildCli(): void {
  try {
    execFileSync(
      process.execPath,
      [
        join(REPO_ROOT, 'node_modules/turbo/bin/turbo'),
        'run',
        'build',
        '--filter=@rws/cli...',
        '--output-logs=errors-only',
      ],
      {
        cwd: REPO_ROOT,
        stdio: 'pipe',
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
      },
    );
  } catch (err) {
    // turbo prints the failing package's output on stdout.
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`building @rws/cli and its dependencies failed:\n${out}`, { cause: err });
  }
}

describe('the built rws binary (dist/cli.js)', () => {
  it('starts with a shebang and prints its version', () => {
    expect(readFileSync(CLI_DIST, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const child = spawnSync(process.execPath, [CLI_DIST, '--version'], {
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(child.stdout).toBe(`rws ${pkg.version} (Node.js ${process.version})\n`);
    expect(child.status).toBe(0);
  });

  it('the package bin (bin/rws.js, present before any build) runs dist/cli.js', () => {
    expect(pkg.bin.rws).toBe('./bin/rws.js');
    const bin = join(REPO_ROOT, 'apps/rws-cli', pkg.bin.rws);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const child = spawnSync(process.execPath, [bin, '--version'], {
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(child.stdout).toContain(`rws ${pkg.version}`);
    expect(child.status).toBe(0);
  });

  it('`rws --port 0` in a folder serves it', async () => {
    const dir = tempDir('rws-dist-');
    writeFileSync(join(dir, 'hello.txt'), 'built hello\n');
    const rws = await startCli(['--port', '0'], { cwd: dir, from: 'dist' });
    expect(rws.stdout).toContain(`rws ${pkg.version} serving ${dir}\n`);
    const res = await fetch(`${rws.origin}/hello.txt`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('built hello\n');
    expect(await rws.stop()).toBe(0);
  }, 20_000);
});
