/**
 * jobs-groups — per-tenant fairness and debouncing with `@rws/jobs`: webhook deliveries are
 * enqueued in bulk (`addMany`, one transaction) with the tenant as their `group`, and the
 * worker runs at most one delivery per tenant at a time and at most 5 per tenant per second,
 * so one busy tenant cannot starve the others; "save document" jobs use a `jobKey` in
 * `debounce` mode, so a burst of edits is saved once, with the last text, after the burst.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/jobs-groups.ts
 * then:
 *   curl -X POST -d '{"events":["a","b","c"]}' http://127.0.0.1:3000/tenants/acme/webhooks
 *   curl -X PUT -d '{"text":"draft 1"}' http://127.0.0.1:3000/documents/7
 *   curl -X PUT -d '{"text":"draft 2"}' http://127.0.0.1:3000/documents/7
 *   curl http://127.0.0.1:3000/stats
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
const queue = createQueue({ store: createSqlStore({ db, table: 'example_group_jobs' }) });

// What the handlers saw, for /stats: deliveries running per tenant, and saved documents.
const running = new Map<string, number>();
let mostAtOnce = 0;
const delivered: string[] = [];
const saved = new Map<string, { text: string; saves: number }>();

const deliver = defineJob('deliver-webhook', async (p: { tenant: string; event: string }) => {
  const n = (running.get(p.tenant) ?? 0) + 1;
  running.set(p.tenant, n);
  mostAtOnce = Math.max(mostAtOnce, n);
  await new Promise((resolve) => setTimeout(resolve, 30)); // the HTTP call to the tenant
  running.set(p.tenant, n - 1);
  delivered.push(`${p.tenant}:${p.event}`);
});

const save = defineJob('save-document', (p: { id: string; text: string }) => {
  const before = saved.get(p.id)?.saves ?? 0;
  saved.set(p.id, { text: p.text, saves: before + 1 });
});

const worker = queue.worker({
  jobs: [deliver, save],
  concurrency: 8,
  pollIntervalMs: 200,
  // Counted in the store, so they hold across every worker process of the queue.
  group: { concurrency: 1, rateLimit: { max: 5, intervalMs: 1000 } },
});

const app = createApp();

app.post('/tenants/:tenant/webhooks', async (req) => {
  const tenant = req.params.tenant ?? '';
  const body = (await req.body.json()) as { events?: unknown };
  if (!Array.isArray(body.events) || !body.events.every((e) => typeof e === 'string'))
    throw new HttpError(400, 'events must be an array of strings');
  const results = await queue.addMany(
    body.events.map((event: string) => ({
      job: deliver,
      payload: { tenant, event },
      options: { group: tenant },
    })),
  );
  return json({ queued: results.length }, { status: 202 });
});

app.put('/documents/:id', async (req) => {
  const id = req.params.id ?? '';
  const body = (await req.body.json()) as { text?: unknown };
  if (typeof body.text !== 'string') throw new HttpError(400, 'text must be a string');
  // Each edit replaces the waiting save and moves it 300 ms later: one save per burst.
  const { job, isNew } = await queue.add(
    save,
    { id, text: body.text },
    { jobKey: `save:${id}`, jobKeyMode: 'debounce', delayMs: 300 },
  );
  return json({ id: job.id, isNew }, { status: 202 });
});

app.get('/stats', async () =>
  json({
    counts: await queue.counts(),
    delivered,
    mostDeliveriesAtOnceForOneTenant: mostAtOnce,
    saved: Object.fromEntries(saved),
  }),
);

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`jobs-groups (${db.dialect}) listening on http://127.0.0.1:${port}/`);

const stop = async () => {
  await server.close();
  await worker.close({ timeoutMs: 5000 });
  await queue.close();
  await db.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
