/**
 * Issue #11: the static suite's logging cases. Each target, started with a case's access-log
 * directory, serves the file and writes its line to `<dir>/<target>.log`; without it, it
 * serves and logs nothing there. Real servers (the `rws` binary from source, nginx) over real
 * sockets.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import staticSuite from '../src/suites/static.js';

function get(url: string): Promise<{ status: number; length: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let length = 0;
      res.on('data', (c: Buffer) => (length += c.length));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, length }));
    });
    req.once('error', reject);
    req.end();
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('static suite (issue #11)', () => {
  it('has every size with logging off and on', () => {
    expect(staticSuite.cases.map((c) => [c.name, c.accessLog === true])).toEqual([
      ['1k', false],
      ['1m', false],
      ['100m', false],
      ['1k-log', true],
      ['1m-log', true],
      ['100m-log', true],
    ]);
  });

  it.each(staticSuite.targets.map((t) => [t.name, t]))(
    '%s logs to <dir>/<target>.log on a logging case',
    async (name, target) => {
      const dir = mkdtempSync(join(tmpdir(), 'rws-bench-log-'));
      dirs.push(dir);
      const running = await target.start({ accessLogDir: dir });
      try {
        expect(await get(`${running.url}/1k.bin`)).toEqual({ status: 200, length: 1024 });
        // rws batches its lines (up to 100 ms); nginx writes each at once.
        await vi.waitFor(
          () => expect(readFileSync(join(dir, `${name}.log`), 'utf8')).toContain('/1k.bin'),
          { timeout: 5000 },
        );
      } finally {
        await running.stop();
      }
    },
    60_000,
  );

  it.each(staticSuite.targets.map((t) => [t.name, t]))(
    '%s serves without a log file on a logging-off case',
    async (_name, target) => {
      const running = await target.start({});
      try {
        expect(await get(`${running.url}/1k.bin`)).toEqual({ status: 200, length: 1024 });
      } finally {
        await running.stop();
      }
      expect(dirs.every((d) => readdirSync(d).length === 1)).toBe(true);
    },
    60_000,
  );
});
