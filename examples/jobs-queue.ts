/**
 * jobs-queue — background jobs with `@rws/jobs` behind a JSON API: a job type with retries and
 * backoff, a worker with concurrency in the same process, an idempotency key that makes a
 * repeated POST enqueue nothing, job state and result by id, and a graceful shutdown that lets
 * running jobs finish.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/jobs-queue.ts
 * then:
 *   curl -X POST -H 'idempotency-key: order-42' -d '{"to":"ada@example.com"}' http://127.0.0.1:3000/emails
 *   curl http://127.0.0.1:3000/jobs/order-42
 *   curl -X POST -d '{"to":"fail@example.com"}' http://127.0.0.1:3000/emails   # fails 3 times
 *   curl http://127.0.0.1:3000/counts
 *
 * The store is in-memory SQLite unless RWS_DB_URL (or RWS_DB_BACKEND and friends) names
 * another database. PORT sets the port (default 3000; 0 picks a free one).
 */
import { HttpError, json } from '@rws/core';
import { createServer } from '@rws/http1';
import { createQueue, createSqlStore, defineJob } from '@rws/jobs';
import { createDb, dbConfigFromEnv } from '@rws/orm';
import { createApp } from '@rws/router';

const config = dbConfigFromEnv(process.env);
const db = config === undefined ? createDb.memory() : createDb(config);
const queue = createQueue({ store: createSqlStore({ db, table: 'example_jobs' }), name: 'mail' });

// Delivery is at least once: a job may run again after a crash, so it must be idempotent.
const sendEmail = defineJob(
  'send-email',
  async (payload: { to: string }, { signal, attempt, progress }) => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    signal.throwIfAborted();
    if (payload.to.startsWith('fail@'))
      throw new Error(`mailbox ${payload.to} refused (attempt ${attempt})`);
    await progress({ sent: 1 });
    return { deliveredTo: payload.to, attempt };
  },
  { attempts: 3, backoff: { type: 'exponential', delayMs: 50, jitter: 0.5 }, timeoutMs: 5000 },
);

const worker = queue.worker({ jobs: [sendEmail], concurrency: 4, pollIntervalMs: 200 });
worker.on('failed', (job, err) => console.log(`job ${job.id} failed: ${String(err)}`));

const app = createApp();

app.post('/emails', async (req) => {
  const body = (await req.body.json()) as { to?: unknown };
  if (typeof body.to !== 'string') throw new HttpError(400, 'to must be a string');
  const key = req.headers.get('idempotency-key') ?? undefined;
  const { job, isNew } = await queue.add(sendEmail, { to: body.to }, { jobId: key });
  return json({ id: job.id, state: job.state, isNew }, { status: isNew ? 202 : 200 });
});

app.get('/jobs/:id', async (req) => {
  const job = await queue.get(req.params.id ?? '');
  if (job === null) throw new HttpError(404, 'no such job');
  const { id, state, attempts, result, error, progress } = job;
  return json({ id, state, attempts, result, error, progress });
});

app.get('/counts', async () => json(await queue.counts()));

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`jobs-queue (${db.dialect}) listening on http://127.0.0.1:${port}/`);

const stop = async () => {
  await server.close();
  // Running jobs get 5 s to finish; the rest go back to the queue for the next start.
  await worker.close({ timeoutMs: 5000 });
  await queue.close();
  await db.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
