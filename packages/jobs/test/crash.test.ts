/**
 * Issue #16: a worker process killed in the middle of a job; the job runs again elsewhere once
 * its lease expires. Real processes and real databases (PostgreSQL, MariaDB, SQLite file).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CreateDbOptions, createDb, sql } from '@rws/orm';
import { requireCapability } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createQueue, createSqlStore, defineJob } from '../src/index.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const sqliteFile = join(tmpdir(), `rws-jobs-crash-${randomBytes(4).toString('hex')}.db`);

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

describe('issue #16: a killed worker process', () => {
  for (const [name, requires, dbOptions] of TARGETS)
    it(`${name}: its job runs again after the lease expires`, async (ctx) => {
      const db = createDb(dbOptions);
      const table = `jobs_crash_${randomBytes(4).toString('hex')}`;
      onTestFinished(async () => {
        for (const t of [table, `${table}_groups`])
          await sql
            .raw(`drop table if exists ${t}`)
            .execute(db.kysely)
            .catch(() => undefined);
        await db.close();
        if (dbOptions.dialect === 'sqlite')
          for (const f of [sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`])
            rmSync(f, { force: true });
      });
      let why = '';
      const isUp = await sql`select 1`.execute(db.kysely).then(
        () => true,
        (err: Error) => {
          why = err.message;
          return false;
        },
      );
      requireCapability(ctx, isUp, `${requires} (${why})`);

      const queue = createQueue({ store: createSqlStore({ db, table }), name: 'crash' });
      const hang = defineJob('hang', () => 'finished by the second worker');
      const { job } = await queue.add(hang, { n: 1 });

      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--conditions=@rws/source',
          'test/fixtures/crash-worker.ts',
          JSON.stringify({ db: dbOptions, table, queue: 'crash' }),
        ],
        { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      onTestFinished(() => {
        child.kill('SIGKILL');
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (c: string) => {
          out += c;
          if (out.includes(`started ${job.id}`)) resolve();
        });
        child.on('exit', (code) =>
          reject(new Error(`the worker exited (${code}) before the job started: ${stderr}`)),
        );
      });
      expect(await queue.get(job.id)).toMatchObject({ state: 'active', attempts: 1 });
      child.kill('SIGKILL');
      expect(await exited).toBe(null);
      const killedAt = Date.now();

      const worker = queue.worker({ jobs: [hang], leaseMs: 600, pollIntervalMs: 50 });
      onTestFinished(() => worker.close());
      const end = Date.now() + 10_000;
      while ((await queue.get(job.id))?.state !== 'completed') {
        if (Date.now() > end) throw new Error('the job did not run again');
        await new Promise((r) => setTimeout(r, 20));
      }
      // Not before the dead worker's lease ran out: renewed every 200 ms for 600 ms, at least 400 ms were left.
      expect(Date.now() - killedAt).toBeGreaterThan(350);
      expect(await queue.get(job.id)).toMatchObject({
        state: 'completed',
        attempts: 2,
        result: 'finished by the second worker',
      });
    }, 30_000);
});
