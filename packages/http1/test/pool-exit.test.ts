/**
 * Pool sockets never hold the process; running exchanges do (client-loop-hold.ts, issue #10:
 * no socket ref/unref per request). Checked in a child process that has nothing else to do.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { httpServer } from './client-helpers.js';

describe('a pool and the life of the process (issue #10)', () => {
  it('stays alive while a request waits for its response and exits with only idle sockets left', async () => {
    // Slow answers: a process that relied on nothing but unref'd sockets would exit first.
    const { origin } = await httpServer((req, res) => {
      setTimeout(() => res.end(`answer ${req.url}`), 300);
    });
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = fileURLToPath(new URL('./fixtures/pool-exit.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', tsx, '--conditions=@rws/source', script, origin],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The idle timeout is 10 minutes: only an exit that the idle socket does not block ends
    // this before the test's timeout.
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toBe('');
    expect(stdout).toBe('answer /a\nanswer /b\n');
    expect(code).toBe(0);
  }, 60_000);
});
