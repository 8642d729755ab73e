/**
 * Round trips per job of a busy worker on PostgreSQL: N no-op jobs enqueued in bulk (not
 * counted), then one worker (`--concurrency`, default 16) runs them; every statement the pg
 * clients send while it does is counted (by kind), and the total is divided by N. Counts, not
 * times: meaningful on a loaded machine.
 *
 *   pnpm exec tsx --conditions=@rws/source packages/jobs/bench/round-trips.ts [--jobs 2000]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createDb, sql } from '@rws/orm';
import { createQueue, createSqlStore, defineJob } from '../src/index.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const N = Number(values.jobs);
const url = values.url;

const counts = new Map<string, number>();
let isCounting = false;
// pg has no bundled types here: only the one method counted is described.
type Query = (...args: unknown[]) => unknown;
const pg = (await import('pg' as string)) as {
  default: { Client: { prototype: { query: Query } } };
};
const proto = pg.default.Client.prototype;
const query = proto.query;
proto.query = function (this: unknown, ...args: unknown[]) {
  if (isCounting) {
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string })?.text ?? '');
    const kind = text.trim().split(/\s+/, 1)[0]?.toLowerCase() ?? '?';
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return query.apply(this, args);
};

const db = createDb({ dialect: 'postgres', url });
const table = `rt_${randomBytes(4).toString('hex')}`;
const queue = createQueue({ store: createSqlStore({ db, table, listenUrl: url }), name: 'rt' });
let completed = 0;
let finish = () => {};
const finished = new Promise<void>((r) => (finish = r));
const job = defineJob('rt', () => {});
try {
  await queue.counts();
  for (let i = 0; i < N; i += 500)
    await queue.addMany(Array.from({ length: Math.min(500, N - i) }, () => ({ job, payload: {} })));
  isCounting = true;
  const worker = queue.worker({ jobs: [job], concurrency: Number(values.concurrency) });
  // Emitted once the completion is stored: the last one ends the count.
  worker.on('completed', () => {
    if (++completed === N) finish();
  });
  await finished;
  isCounting = false;
  await worker.close();
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const kinds = [...counts].map(([k, n]) => `${k} ${(n / N).toFixed(3)}`).join(', ');
  console.log(`${N} jobs: ${(total / N).toFixed(3)} round trips/job (${kinds})`);
} finally {
  await queue.close?.();
  for (const t of [table, `${table}_groups`])
    await sql.raw(`drop table if exists ${t}`).execute(db.kysely);
  await db.close();
}
