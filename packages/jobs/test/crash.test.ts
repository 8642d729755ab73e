/**
 * Issue #16: a worker process killed in the middle of a job; the job runs again elsewhere once
 * its lease expires. Real processes and real databases (PostgreSQL, MariaDB, SQLite file).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createQueue, createSqlStore, defineJob } from '../src/index.js';
import { dbTargets, openTestDb } from './test-db.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

describe('issue #16: a killed worker process', () => {
  for (const [name, requires, dbOptions] of dbTargets('jobs-crash'))
    it(`${name}: its job runs again after the lease expires`, async (ctx) => {
      const { db, table } = await openTestDb(ctx, dbOptions, requires, 'jobs_crash');

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
