/**
 * The repository's per-call overhead over raw kysely on one in-memory SQLite database, in one
 * process: a same-run ratio for profiling (`node --cpu-prof`), not a benchmark. `pnpm bench orm`
 * is the benchmark.
 *
 *   node --conditions=@rws/source --import tsx packages/orm/bench/overhead-sqlite.ts
 *   ONLY=find N=30000 MODE=repository node --cpu-prof … (only the repository's calls, to profile)
 *   ORM_SRC=/path/to/other/src/index.ts … (another copy of the package, for before/after:
 *     mkdir /tmp/before && git archive <rev> packages/orm/src | tar -x -C /tmp/before, then
 *     point ORM_SRC at a copy of it inside packages/orm, where kysely resolves)
 *   MODE=repository … --trace-gc --min-semi-space-size=1 --max-semi-space-size=1 | grep -c
 *     Scavenge (young-generation collections: an allocation count)
 *
 * Each operation (insert, find by id, a keyset page of 20 after a cursor, update by id) runs N
 * times (default 20000; page N/4) split in 9 interleaved rounds per variant; the time of a round
 * is the process's CPU time (user + system), which other work on a loaded machine disturbs less
 * than wall time. Prints the median round of each and repository ÷ kysely as an operations ratio.
 */
import { sql } from 'kysely';

type OrmModule = typeof import('../src/index.js');
const orm = (await import(process.env['ORM_SRC'] ?? '../src/index.js')) as OrmModule;

const N = Number(process.env['N'] ?? 20000);
const ONLY = process.env['ONLY'];
const ROUNDS = 9;
const SEED = 1000;

const db = orm.createDb.memory();
await sql
  .raw(
    'create table bench (id integer primary key autoincrement, email varchar(255) not null, score integer not null)',
  )
  .execute(db.kysely);
await sql.raw('create index bench_score on bench (score, id)').execute(db.kysely);
await db.kysely
  .insertInto('bench')
  .values(Array.from({ length: SEED }, (_, i) => ({ email: `s${i}@bench`, score: i % 10 })))
  .execute();
const Bench = orm.defineModel('bench', {
  columns: { id: orm.column.id(), email: orm.column.text(), score: orm.column.integer() },
});
const repo = db.repo(Bench);
const k = db.kysely;
const idOf = (i: number) => (i % SEED) + 1;
const first = await repo.paginate({ limit: SEED / 2, orderBy: ['score'] });
const last = first.items.at(-1) as { id: number; score: number };
const after = first.nextCursor;

type Fn = (i: number) => Promise<unknown>;
const OPS: Record<string, { repository: Fn; kysely: Fn; n: number }> = {
  insert: {
    repository: (i) => repo.insert({ email: `r${i}@bench`, score: i % 10 }),
    kysely: (i) =>
      k
        .insertInto('bench')
        .values({ email: `k${i}@bench`, score: i % 10 })
        .returningAll()
        .executeTakeFirstOrThrow(),
    n: N,
  },
  find: {
    repository: (i) => repo.find(idOf(i)),
    kysely: (i) => k.selectFrom('bench').selectAll().where('id', '=', idOf(i)).executeTakeFirst(),
    n: N,
  },
  page: {
    repository: () => repo.paginate({ after, limit: 20, orderBy: ['score'] }),
    kysely: () =>
      k
        .selectFrom('bench')
        .selectAll()
        .where((eb) =>
          eb.or([
            eb('score', '>', last.score),
            eb.and([eb('score', '=', last.score), eb('id', '>', last.id)]),
          ]),
        )
        .orderBy('score')
        .orderBy('id')
        .limit(21)
        .execute(),
    n: Math.ceil(N / 4),
  },
  update: {
    repository: (i) => repo.update(idOf(i), { score: i % 10 }),
    kysely: (i) =>
      k
        .updateTable('bench')
        .set({ score: i % 10 })
        .where('id', '=', idOf(i))
        .returningAll()
        .executeTakeFirst(),
    n: N,
  },
};

async function cpuMs(fn: Fn, n: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn(i);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

for (const [op, o] of Object.entries(OPS)) {
  if (ONLY !== undefined && ONLY !== op) continue;
  if (process.env['MODE'] === 'repository') {
    await cpuMs(o.repository, o.n);
    continue;
  }
  const r: number[] = [];
  const q: number[] = [];
  const per = Math.ceil(o.n / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    r.push(await cpuMs(o.repository, per));
    q.push(await cpuMs(o.kysely, per));
  }
  console.log(
    `${op}: repository ${median(r).toFixed(1)} ms, kysely ${median(q).toFixed(1)} ms CPU per ${per} calls; repository / kysely ops ratio ${(median(q) / median(r)).toFixed(3)}`,
  );
}
await db.close();
