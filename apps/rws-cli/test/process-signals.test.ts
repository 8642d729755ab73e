/**
 * Issue #8 "A well-behaved process": the README's way to start rws from a checkout is a chain
 * (npm exec → pnpm → sh → node). SIGTERM to the process that command starts must reach the
 * server, which drains and frees its port — no orphan left listening.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, REPO_ROOT, startCli, tempDir } from './cli-process.js';

/** Resolves true when nothing listens on 127.0.0.1:`port` any more (we can bind it). */
function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** The one-line start command of README.md, with `/path/to/rws` replaced by this checkout. */
function readmeStartCommand(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const line = readme.split('\n').find((l) => l.includes("-c 'exec pnpm --dir /path/to/rws start"));
  expect(line, 'README.md shows the start command').toBeDefined();
  return line!.trim().replaceAll('/path/to/rws', REPO_ROOT.replace(/\/$/, ''));
}

describe('SIGTERM to the started process stops the server (issue #8)', () => {
  it("README's command (npx → pnpm start → node): exits and frees the port", async () => {
    const dir = tempDir('rws-signal-');
    writeFileSync(join(dir, 'index.html'), 'hi');
    const command = readmeStartCommand().replace("start'", "start --port 0'");
    expect(command).toMatch(/^npx -y -p pnpm@\S+ -c 'exec pnpm --dir \S+ start --port 0'$/);
    // The words as a shell splits them; npx itself is the started process.
    const quote = command.indexOf("'");
    const args = [...command.slice(4, quote).trim().split(' '), command.slice(quote + 1, -1)];
    const rws = await startCli(args, {
      cwd: dir,
      command: 'npx',
      // A user's shell PATH: without the node_modules/.bin entries of the pnpm running this
      // test (their `node` shim sets NODE_PATH, under which npm itself cannot start).
      env: {
        ...cleanEnv(),
        PATH: (process.env['PATH'] ?? '')
          .split(delimiter)
          .filter((p) => !p.includes('node_modules'))
          .join(delimiter),
      },
      timeoutMs: 60_000,
    });
    const port = Number(new URL(rws.origin).port);
    expect((await fetch(`${rws.origin}/`)).status).toBe(200);
    // npm re-raises the signal
    // on itself once its child is gone, so it ends by SIGTERM (code null) rather than 0.
    expect([0, null]).toContain(await rws.stop('SIGTERM'));
    // npm does not wait for pnpm to finish: give the server (two processes below) time to
    // drain. An orphan would keep the port for good.
    const deadline = Date.now() + 10_000;
    while (!(await isPortFree(port)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await isPortFree(port)).toBe(true);
  }, 90_000);

  it('the start script execs node: no shell stays between pnpm and the server', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['start']).toContain('&& exec ');
    expect(pkg.scripts['start']).toBe(pkg.scripts['rws']);
  });
});
