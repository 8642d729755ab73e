/**
 * Issue #16: `rws jobs` against real databases. Jobs are made with @rws/jobs in a SQLite file
 * (named by rws.config.toml) and in PostgreSQL (named by --url, and by RWS_DB_URL in a real
 * `rws` process); the command reads depths and failures, retries and deletes.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createSqlStore, type JobStore } from '@rws/jobs';
import { type CreateDbOptions, createDb, sql } from '@rws/orm';
import { requireCapability } from '@rws/test-helpers';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { main } from '../src/index.js';
import { cleanEnv, REPO_ROOT, sourceArgs } from './cli-process.js';
import { captureIo } from './helpers.js';

const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rws-cli-jobs-'));
  dirs.push(d);
  return d;
}

/** Two queues: mail (one completed, one failed, one waiting) and reports (one waiting). */
async function seed(store: JobStore): Promise<{ failed: string; done: string; waiting: string }> {
  await store.init?.();
  const job = (queue: string, id: string) => ({
    id,
    queue,
    name: 'send',
    payload: { id },
    priority: 0,
    runAt: 1000,
    maxAttempts: 2,
    backoff: null,
    timeoutMs: null,
    now: 1000,
  });
  await store.addMany([
    job('mail', 'm-failed'),
    job('mail', 'm-done'),
    job('reports', 'r-waiting'),
  ]);
  await store.claim({ queue: 'mail', workerId: 'w', leaseMs: 1000, limit: 2, now: 2000 });
  await store.fail('m-failed', 'w', 'Error: smtp refused\n  at send', null, { now: 2100 });
  await store.complete('m-done', 'w', null, { now: 2100 });
  await store.add(job('mail', 'm-waiting'));
  return { failed: 'm-failed', done: 'm-done', waiting: 'm-waiting' };
}

async function target(ctx: Parameters<typeof requireCapability>[0], options: CreateDbOptions) {
  const db = createDb(options);
  const table = `cli_jobs_${randomBytes(4).toString('hex')}`;
  onTestFinished(async () => {
    for (const t of [table, `${table}_groups`])
      await sql
        .raw(`drop table if exists ${t}`)
        .execute(db.kysely)
        .catch(() => undefined);
    await db.close();
  });
  let why = '';
  const isUp = await sql`select 1`.execute(db.kysely).then(
    () => true,
    (err: Error) => {
      why = err.message;
      return false;
    },
  );
  requireCapability(ctx, isUp, `the database (${why})`);
  const store = createSqlStore({ db, table });
  await seed(store);
  return { store, table };
}

describe('rws jobs (issue #16)', () => {
  it('SQLite named by [database] url in rws.config.toml: status, failed, show, retry, delete', async (ctx) => {
    const root = tempDir();
    writeFileSync(join(root, 'rws.config.toml'), '[database]\nurl = "sqlite:jobs.db"\n');
    const { store, table } = await target(ctx, {
      dialect: 'sqlite',
      options: { filename: join(root, 'jobs.db') },
    });
    const run = async (...argv: string[]) => {
      const io = Object.assign(captureIo(), { cwd: root, readFile: undefined });
      const code = await main(['jobs', ...argv, '--table', table], io);
      return { code, out: io.out, err: io.err };
    };
    expect(await run('status')).toEqual({
      code: 0,
      out:
        'queue    waiting  active  completed  failed  cancelled\n' +
        'mail           1       0          1       1          0\n' +
        'reports        1       0          0       0          0\n',
      err: '',
    });
    const failed = await run('failed');
    expect(failed.code).toBe(0);
    expect(failed.out).toMatch(
      /^m-failed {2}queue mail {2}send {2}attempts 1\/2 {2}failed 1970-01-01T00:00:02\.100Z\n {2}Error: smtp refused\n {4}at send\n$/,
    );
    const shown = await run('show', 'm-failed');
    expect(JSON.parse(shown.out)).toMatchObject({
      id: 'm-failed',
      state: 'failed',
      payload: { id: 'm-failed' },
    });
    expect(await run('retry', 'm-failed')).toMatchObject({ code: 0, out: 'retried m-failed\n' });
    expect(await store.get('m-failed')).toMatchObject({ state: 'waiting', attempts: 0 });
    expect(await run('retry', 'm-failed')).toMatchObject({
      code: 1,
      err: 'rws jobs retry: job m-failed is waiting; only failed or cancelled jobs can be retried\n',
    });
    expect(await run('delete', 'm-done', 'nope')).toMatchObject({
      code: 1,
      out: 'deleted m-done\n',
      err: 'rws jobs delete: no job nope\n',
    });
    expect(await store.get('m-done')).toBeNull();
    expect(await run('failed', '--queue', 'mail')).toMatchObject({
      code: 0,
      out: 'no failed jobs\n',
    });
    const json = JSON.parse((await run('status', '--json', '--queue', 'reports')).out);
    expect(json).toEqual([
      { queue: 'reports', waiting: 1, active: 0, completed: 0, failed: 0, cancelled: 0 },
    ]);
  });

  it('PostgreSQL by --url, and by RWS_DB_URL in a real rws process: retry --all-failed', async (ctx) => {
    const { store, table } = await target(ctx, { dialect: 'postgres', url: POSTGRES_URL });
    const io = Object.assign(captureIo(), { cwd: tempDir() });
    expect(await main(['jobs', 'status', '--url', POSTGRES_URL, '--table', table], io)).toBe(0);
    expect(io.out).toContain('mail           1       0          1       1          0\n');

    const exec = promisify(execFile);
    const cli = (...args: string[]) =>
      exec(process.execPath, sourceArgs(['jobs', ...args, '--table', table]), {
        cwd: REPO_ROOT,
        env: cleanEnv({ RWS_DB_URL: POSTGRES_URL }),
      });
    const failed = await cli('failed');
    expect(failed.stdout).toContain('m-failed  queue mail  send  attempts 1/2');
    expect(failed.stdout).toContain('Error: smtp refused');
    expect((await cli('retry', '--all-failed')).stdout).toBe('retried m-failed\n');
    expect((await store.get('m-failed'))?.state).toBe('waiting');
    const missing = await cli('delete', 'nope').catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(missing).toMatchObject({ code: 1, stderr: 'rws jobs delete: no job nope\n' });
  }, 60_000);

  it.each([
    [[], 'Usage: rws jobs'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['show'], 'show needs one job id'],
    [['retry'], 'retry needs job ids or --all-failed'],
    [['retry', 'x', '--all-failed'], 'retry needs job ids or --all-failed'],
    [['delete'], 'delete needs job ids'],
    [['status', '--limit', '0'], '--limit needs a positive integer'],
    [['status', '--nope'], "Unknown option '--nope'"],
    [['status'], 'no database: pass --url, set RWS_DB_URL'],
    [['status', '--url', 'http://x/y'], 'scheme "http"'],
    [['status', '--url', 'sqlite::memory:', '--table', 'a;b'], 'table must be letters'],
  ])('usage error %j exits 2', async (argv, message) => {
    const io = Object.assign(captureIo(), { cwd: tempDir(), readFile: undefined });
    expect(await main(['jobs', ...argv], io)).toBe(2);
    expect(io.err).toContain(message);
  });

  it('a config file without [database], or a missing jobs table, is reported', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'rws.config.toml'), 'port = 8080\n');
    const io = Object.assign(captureIo(), { cwd: root, readFile: undefined });
    expect(await main(['jobs', 'status'], io)).toBe(2);
    expect(io.err).toContain('has no url in [database]');
    const io2 = Object.assign(captureIo(), { cwd: root, readFile: undefined });
    expect(await main(['jobs', 'status', '--url', `sqlite:${join(root, 'empty.db')}`], io2)).toBe(
      1,
    );
    expect(io2.err).toMatch(/^rws jobs status: .*no such table: rws_jobs/);
  });

  it('--help prints the commands and exits 0', async () => {
    const io = captureIo();
    expect(await main(['jobs', '--help'], io)).toBe(0);
    for (const c of ['status', 'failed', 'retry --all-failed', 'delete <id>', '[database]'])
      expect(io.out).toContain(c);
  });
});
