import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// Issue #8: a client error (4xx) is logged as one line; a stack trace is for 5xx only. Runs
// the App in a child process so the default logger writes to a real stderr.
const SCRIPT = fileURLToPath(new URL('./fixtures/log-errors.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function run(...paths: string[]): { stdout: string; stderr: string } {
  const child = spawnSync(
    process.execPath,
    ['--import', TSX, '--conditions=@rws/source', SCRIPT, ...paths],
    { encoding: 'utf8', timeout: 20_000 },
  );
  expect(child.status).toBe(0);
  return { stdout: child.stdout, stderr: child.stderr };
}

describe('App default logger (issue #8)', () => {
  it('a 4xx is one line with the message, code and request id, no stack', () => {
    const { stdout, stderr } = run('/client', '/p/%E0%A4%A');
    expect(stdout).toBe('/client 403\n/p/%E0%A4%A 400\n');
    const lines = stderr.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(stderr).not.toContain('    at ');
    expect(stderr).toContain(
      '[rws] GET /client failed with 403: not yours RWS_CORE_HTTP_ERROR (request rid-1)\n' +
        '[rws] GET /p/%E0%A4%A failed with 400: ',
    );
  }, 30_000);

  it('a 5xx is logged with its stack', () => {
    const { stdout, stderr } = run('/server');
    expect(stdout).toBe('/server 500\n');
    expect(stderr).toContain('[rws] GET /server failed with 500');
    expect(stderr).toContain('Error: disk on fire');
    expect(stderr).toMatch(/\n\s+at .*log-errors\.ts/);
  }, 30_000);
});
