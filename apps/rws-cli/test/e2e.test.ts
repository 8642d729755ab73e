/**
 * The `rws` binary end to end, as a user runs it: a child process started from source in a
 * folder, real HTTP over 127.0.0.1, the access log on stdout, SIGTERM.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, sourceArgs, startCli, tempDir } from './cli-process.js';

function site(): string {
  const dir = tempDir('rws-e2e-');
  writeFileSync(join(dir, 'index.html'), '<!doctype html><h1>home</h1>\n');
  writeFileSync(join(dir, 'style.css'), 'h1 { color: red; }\n');
  mkdirSync(join(dir, 'docs'));
  writeFileSync(join(dir, 'docs', 'a.txt'), 'alpha\n');
  writeFileSync(join(dir, 'docs', '<i>x&y.txt'), 'escaped\n');
  writeFileSync(join(dir, 'digits.txt'), '0123456789');
  return dir;
}

interface LogLine {
  method: string;
  path: string;
  status: number;
  bytes: number;
  request_id: string | null;
}

function logLines(stdout: string): LogLine[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

describe('rws in a folder (from source)', () => {
  it('serves files, listings, 404, ranges and 304; logs JSON; exits 0 on SIGTERM', async () => {
    const dir = site();
    const rws = await startCli(['--port', '0'], { cwd: dir });

    // Banner: version + root, one URL, no config file.
    expect(rws.stdout).toMatch(/^rws \S+ serving /);
    expect(rws.stdout).toContain(`serving ${dir}\n`);
    expect(rws.urls).toHaveLength(1);
    expect(rws.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(rws.stdout).toContain('  config: none\n');

    const home = await fetch(`${rws.origin}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await home.text()).toContain('<h1>home</h1>');
    const id = home.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const css = await fetch(`${rws.origin}/style.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toBe('h1 { color: red; }\n');

    const listing = await fetch(`${rws.origin}/docs/`);
    expect(listing.status).toBe(200);
    expect(listing.headers.get('content-type')).toContain('text/html');
    const html = await listing.text();
    expect(html).toContain('Index of /docs/');
    expect(html).toContain('a.txt');
    // The file name is text, not markup.
    expect(html).toContain('&lt;i&gt;x&amp;y.txt');
    expect(html).not.toContain('<i>x');

    const missing = await fetch(`${rws.origin}/nope.txt`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();

    const range = await fetch(`${rws.origin}/digits.txt`, { headers: { range: 'bytes=2-5' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe('bytes 2-5/10');
    expect(await range.text()).toBe('2345');

    const first = await fetch(`${rws.origin}/digits.txt`);
    const etag = first.headers.get('etag');
    expect(etag).not.toBeNull();
    await first.arrayBuffer();
    const again = await fetch(`${rws.origin}/digits.txt`, {
      headers: { 'if-none-match': etag ?? '' },
    });
    expect(again.status).toBe(304);

    // CORS is off by default (issue #8): another site's page cannot read the files.
    const cors = await fetch(`${rws.origin}/style.css`, {
      headers: { origin: 'https://elsewhere.example' },
    });
    expect(cors.headers.get('access-control-allow-origin')).toBeNull();
    await cors.arrayBuffer();

    // The access log is written in batches (every 100 ms): wait for all eight lines.
    for (let waited = 0; logLines(rws.stdout).length < 8 && waited < 10_000; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    const lines = logLines(rws.stdout);
    expect(lines.map((l) => [l.method, l.path, l.status])).toEqual([
      ['GET', '/', 200],
      ['GET', '/style.css', 200],
      ['GET', '/docs/', 200],
      ['GET', '/nope.txt', 404],
      ['GET', '/digits.txt', 206],
      ['GET', '/digits.txt', 200],
      ['GET', '/digits.txt', 304],
      ['GET', '/style.css', 200],
    ]);
    expect(lines[0]?.request_id).toBe(id);
    expect(lines[1]?.bytes).toBe(19);
    expect(lines[4]?.bytes).toBe(4);

    expect(await rws.stop('SIGTERM')).toBe(0);
    // Issue #8: the shutdown is reported (the connection count depends on the keep-alive
    // connections fetch left open), and nothing else is printed.
    expect(rws.stderr).toMatch(
      /^rws: received SIGTERM, draining \d+ connections?\nrws: stopped\n$/,
    );
  }, 30_000);

  it('--log-format combined, positional root, --no-directory-listing, 404.html', async () => {
    const dir = site();
    const parent = join(dir, '..');
    writeFileSync(join(dir, '404.html'), '<p>custom missing page</p>');
    const rws = await startCli(
      [dir, '-p', '0', '--log-format', 'combined', '--no-directory-listing'],
      {
        cwd: parent,
      },
    );
    expect(rws.stdout).toContain(`serving ${dir}\n`);
    const listing = await fetch(`${rws.origin}/docs/`);
    expect(listing.status).toBe(404);
    expect(await listing.text()).toBe('<p>custom missing page</p>');
    await rws.waitFor('stdout', '"GET /docs/ HTTP/1.1" 404');
    expect(rws.stdout).not.toContain('{"time"');
    expect(await rws.stop('SIGINT')).toBe(0);
  }, 30_000);

  it('--workers 2: the primary prints the banner, workers serve, SIGTERM drains all', async () => {
    const dir = site();
    const rws = await startCli(['-p', '0', '--workers', '2'], { cwd: dir });
    expect(rws.stdout).toContain('  config: none · 2 workers\n');
    // One banner only: the workers print none.
    expect(rws.stdout.split('serving ').length).toBe(2);
    const res = await fetch(`${rws.origin}/digits.txt`);
    expect(await res.text()).toBe('0123456789');
    expect(await rws.stop()).toBe(0);
  }, 30_000);

  it('a bad flag exits 2 before anything listens', () => {
    const dir = tempDir('rws-e2e-bad-');
    const child = spawnSync(process.execPath, sourceArgs(['--prot', '80']), {
      cwd: dir,
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.stderr).toContain('rws: --prot: unknown flag (did you mean --port?)');
    expect(child.stdout).toBe('');
    expect(child.status).toBe(2);
  }, 30_000);

  it('a busy port exits 1 with the reason', async () => {
    const dir = site();
    const first = await startCli(['--port', '0'], { cwd: dir });
    const port = new URL(first.origin).port;
    const child = spawnSync(process.execPath, sourceArgs(['--port', port]), {
      cwd: dir,
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
    expect(child.status).toBe(1);
    expect(await first.stop()).toBe(0);
  }, 30_000);
});
