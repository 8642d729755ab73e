/**
 * The repository's per-call client CPU over raw kysely on one database, in one process: a
 * same-run comparison for profiling (`node --cpu-prof`), not a benchmark. `pnpm bench orm` is
 * the benchmark.
 *
 *   node --conditions=@rws/source --import tsx packages/orm/bench/overhead.ts
 *   DB=mysql|postgres|sqlite (default sqlite, in memory) picks the database
 *   ONLY=find N=30000 MODE=repository node --cpu-prof … (only the repository's calls, to profile)
 *   ORM_SRC=/path/to/other/src/index.ts … (another copy of the package, for before/after:
 *     mkdir /tmp/before && git archive <rev> packages/orm/src | tar -x -C /tmp/before, then
 *     point ORM_SRC at a copy of it inside packages/orm, where kysely resolves)
 *   MODE=repository … --trace-gc --min-semi-space-size=1 --max-semi-space-size=1 | grep -c
 *     Scavenge (young-generation collections: an allocation count)
 *
 * Each operation (insert, find by id, a keyset page of 20 after a cursor, update by id; on
 * MySQL, insert and update read the row back, as in bench/repository.ts) runs N times (default
 * 20000, 4000 on a networked database; page N/4) split in 9 interleaved rounds per variant.
 * The time of a round is this process's CPU time (user + system): the client's own work per
 * call, which the database server's time and other work on a loaded machine disturb less than
 * wall time. Prints the median round of each as µs per call and repository ÷ kysely as an
 * operations ratio.
 */
import { sql } from 'kysely';
import { createBenchTable, kyselyOps } from './kysely-ops.js';

type OrmModule = typeof import('../src/index.js');
const orm = (await import(process.env['ORM_SRC'] ?? '../src/index.js')) as OrmModule;

const DB = process.env['DB'] ?? 'sqlite';
const N = Number(process.env['N'] ?? (DB === 'sqlite' ? 20000 : 4000));
const ONLY = process.env['ONLY'];
const ROUNDS = 9;
const SEED = 1000;

const db =
  DB === 'sqlite'
    ? orm.createDb.memory()
    : DB === 'postgres'
      ? orm.createDb({
          dialect: 'postgres',
          url: 'postgres://postgres@127.0.0.1:5432/test',
          pool: { size: 1 },
        })
      : orm.createDb({
          dialect: 'mysql',
          url: 'mysql://root@127.0.0.1:3306/test',
          pool: { size: 1 },
        });
const isMysql = DB === 'mysql';
const table = `bench_overhead_${process.pid}`;
await createBenchTable(
  db.kysely,
  DB === 'postgres' ? 'postgres' : isMysql ? 'mysql' : 'sqlite',
  table,
  SEED,
);
const Bench = orm.defineModel(table, {
  columns: { id: orm.column.id(), email: orm.column.text(), score: orm.column.integer() },
});
const repo = db.repo(Bench);
const k = db.kysely;
const idOf = (i: number) => (i % SEED) + 1;
const first = await repo.paginate({ limit: SEED / 2, orderBy: ['score'] });
const last = first.items.at(-1) as { id: number; score: number };
const after = first.nextCursor;
const raw = kyselyOps(k, { table, isMysql, after: last, pageRows: 21, idOf });

type Fn = (i: number) => Promise<unknown>;
const OPS: Record<string, { repository: Fn; kysely: Fn; n: number }> = {
  insert: {
    repository: (i) => repo.insert({ email: `r${i}@bench`, score: i % 10 }),
    kysely: raw.insert,
    n: N,
  },
  find: {
    repository: (i) => repo.find(idOf(i)),
    kysely: raw.find,
    n: N,
  },
  page: {
    repository: () => repo.paginate({ after, limit: 20, orderBy: ['score'] }),
    kysely: raw.page,
    n: Math.ceil(N / 4),
  },
  update: {
    repository: (i) => repo.update(idOf(i), { score: i % 10 }),
    kysely: raw.update,
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

try {
  for (const [op, o] of Object.entries(OPS)) {
    if (ONLY !== undefined && ONLY !== op) continue;
    if (process.env['MODE'] === 'repository' || process.env['MODE'] === 'kysely') {
      await cpuMs(o[process.env['MODE']], o.n);
      continue;
    }
    const r: number[] = [];
    const q: number[] = [];
    const per = Math.ceil(o.n / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      r.push(await cpuMs(o.repository, per));
      q.push(await cpuMs(o.kysely, per));
    }
    const us = (ms: number) => ((ms * 1000) / per).toFixed(1);
    console.log(
      `${DB} ${op}: repository ${us(median(r))} µs, kysely ${us(median(q))} µs client CPU per call; repository / kysely ops ratio ${(median(q) / median(r)).toFixed(3)}`,
    );
  }
} finally {
  await sql.raw(`drop table if exists ${table}`).execute(db.kysely);
  await db.close();
}
