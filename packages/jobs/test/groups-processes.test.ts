/**
 * Issue #16: per-group concurrency and rate limits hold across worker processes, on real
 * PostgreSQL, MariaDB and a SQLite file (the limits are counted in the store, not in a process).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CreateDbOptions, createDb, sql } from '@rws/orm';
import { requireCapability } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createQueue, createSqlStore, type GroupLimits } from '../src/index.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const sqliteFile = join(tmpdir(), `rws-jobs-groups-${randomBytes(4).toString('hex')}.db`);

const TARGETS: ReadonlyArray<[string, string, CreateDbOptions]> = [
  [
    'postgres',
    'PostgreSQL on 127.0.0.1:5432 (database test)',
    { dialect: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test' },
  ],
  [
    'mariadb',
    'MariaDB/MySQL on 127.0.0.1:3306 (database test)',
    { dialect: 'mysql', url: 'mysql://root@127.0.0.1:3306/test' },
  ],
  ['sqlite file', 'better-sqlite3', { dialect: 'sqlite', options: { filename: sqliteFile } }],
];

interface Event {
  readonly kind: 'start' | 'end';
  readonly group: string;
  readonly at: number;
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
        const [kind, group, at] = line.split(' ');
        if (kind === 'start' || kind === 'end')
          events.push({ kind, group: group ?? '', at: Number(at) });
      }
    });
    child.on('exit', (code) => reject(new Error(`worker exited (${code}): ${stderr}`)));
  });
  return { child, ready };
}

async function runGroups(dbOptions: CreateDbOptions, table: string, group: GroupLimits) {
  const db = createDb(dbOptions);
  onTestFinished(() => db.close());
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
  for (const [name, requires, dbOptions] of TARGETS)
    it(`${name}: concurrency 1 per group and 2 starts per 500 ms, two processes`, async (ctx) => {
      const probe = createDb(dbOptions);
      const table = `jobs_groups_${randomBytes(4).toString('hex')}`;
      onTestFinished(async () => {
        await sql
          .raw(`drop table if exists ${table}`)
          .execute(probe.kysely)
          .catch(() => undefined);
        await sql
          .raw(`drop table if exists ${table}_groups`)
          .execute(probe.kysely)
          .catch(() => undefined);
        await probe.close();
        if (dbOptions.dialect === 'sqlite')
          for (const f of [sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`])
            rmSync(f, { force: true });
      });
      let why = '';
      const isUp = await sql`select 1`.execute(probe.kysely).then(
        () => true,
        (err: Error) => {
          why = err.message;
          return false;
        },
      );
      requireCapability(ctx, isUp, `${requires} (${why})`);

      const { queue, events } = await runGroups(dbOptions, table, {
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
        const starts = mine.filter((e) => e.kind === 'start').map((e) => e.at);
        // Rate 2 per 500 ms: the third start of a group waits for a new window (less the time
        // between a claim and its handler's first line, which load stretches).
        for (let i = 2; i < starts.length; i++)
          expect((starts[i] ?? 0) - (starts[i - 2] ?? 0)).toBeGreaterThanOrEqual(400);
      }
    }, 60_000);
});
