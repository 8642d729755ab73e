/**
 * Issue #16: per-group concurrency and rate limits hold across worker processes, on real
 * PostgreSQL, MariaDB and a SQLite file (the limits are counted in the store, not in a process).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CreateDbOptions, Db } from '@rws/orm';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createQueue, createSqlStore, type GroupLimits } from '../src/index.js';
import { maxPerFixedWindow } from './conformance-groups-keys.js';
import { dbTargets, openTestDb } from './test-db.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

interface Event {
  readonly kind: 'start' | 'end';
  readonly group: string;
  readonly at: number;
  /** start: when the job was claimed. */
  readonly claimedAt: number;
}

function startWorker(args: object, events: Event[]): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@rws/source',
      'test/fixtures/group-worker.ts',
      JSON.stringify(args),
    ],
    { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const ready = new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      buf += c;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') resolve();
        const [kind, group, at, claimedAt] = line.split(' ');
        if (kind === 'start' || kind === 'end')
          events.push({ kind, group: group ?? '', at: Number(at), claimedAt: Number(claimedAt) });
      }
    });
    child.on('exit', (code) => reject(new Error(`worker exited (${code}): ${stderr}`)));
  });
  return { child, ready };
}

async function runGroups(db: Db, dbOptions: CreateDbOptions, table: string, group: GroupLimits) {
  const queue = createQueue({ store: createSqlStore({ db, table }), name: 'groups' });
  await queue.counts();
  const events: Event[] = [];
  const workers = [0, 1].map(() =>
    startWorker({ db: dbOptions, table, queue: 'groups', group }, events),
  );
  onTestFinished(() => {
    for (const w of workers) w.child.kill('SIGKILL');
  });
  await Promise.all(workers.map((w) => w.ready));
  return { queue, events, workers };
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('issue #16: group limits across worker processes', () => {
  for (const [name, requires, dbOptions] of dbTargets('jobs-groups'))
    it(`${name}: concurrency 1 per group and 2 starts per 500 ms, two processes`, async (ctx) => {
      const { db, table } = await openTestDb(ctx, dbOptions, requires, 'jobs_groups');
      const { queue, events } = await runGroups(db, dbOptions, table, {
        concurrency: 1,
        rateLimit: { max: 2, intervalMs: 500 },
      });
      // Three groups of 4 jobs: two processes with 4 slots each could run all 12 at once.
      await queue.addMany(
        Array.from({ length: 12 }, (_, i) => {
          const g = `g${i % 3}`;
          return { job: 'grouped', payload: { g, ms: 40 }, options: { group: g } };
        }),
      );
      await until('12 completed jobs', async () => (await queue.counts()).completed === 12);
      expect(events.filter((e) => e.kind === 'start').length).toBe(12);
      for (const g of ['g0', 'g1', 'g2']) {
        const mine = events.filter((e) => e.group === g).sort((a, b) => a.at - b.at);
        // Concurrency 1: starts and ends alternate (the stdout order of two processes is
        // sorted by time, so a second start before an end would show as start, start).
        for (let i = 0; i < mine.length; i++)
          expect(mine[i]?.kind).toBe(i % 2 === 0 ? 'start' : 'end');
        // Rate 2 per 500 ms by the claims' clock (handlers start a loaded moment after their
        // claim): at most 2 claims per fixed window, so 4 claims span a second window.
        const claims = mine.filter((e) => e.kind === 'start').map((e) => e.claimedAt);
        expect(maxPerFixedWindow(claims, 500)).toBeLessThanOrEqual(2);
        expect(Math.max(...claims) - Math.min(...claims)).toBeGreaterThanOrEqual(500);
      }
    }, 60_000);
});
