/**
 * Load-side script of `pnpm bench http1-client`: the @rws/http1 `Pool` against undici's `Pool`
 * fetching `GET /` from $BENCH_URL (nginx, started and pinned to the server CPU by the suite;
 * this script runs pinned to the load CPU). Same socket count, no pipelining, the same number
 * of requests in flight, bodies read to the end.
 *
 * Rounds alternate the order (rws, undici; undici, rws; …) so drift of the machine is shared;
 * each run uses a fresh pool, warms up, then counts completed requests for the duration. Per
 * run it records req/s, the client's CPU time per request (process.cpuUsage: the stable figure
 * on a shared machine) and per-request latency percentiles. Prints a markdown table to stdout,
 * progress to stderr.
 *
 * Env: BENCH_URL (required), BENCH_DURATION (s, 10), BENCH_WARMUP (s, 2), BENCH_ROUNDS (2),
 * BENCH_STAT (median|best), BENCH_SOCKETS (16), BENCH_CONCURRENCY (64).
 */
import { cpus, loadavg } from 'node:os';
import { Pool as UndiciPool } from 'undici';
import { createPool } from '../../../../packages/http1/src/pool.js';

const env = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number, got ${raw}`);
  return n;
};

const url = process.env['BENCH_URL'];
if (url === undefined || url === '') throw new Error('http1-pool: BENCH_URL is not set');
const DURATION = env('BENCH_DURATION', 10);
const WARMUP = env('BENCH_WARMUP', 2);
const ROUNDS = Math.max(1, Math.round(env('BENCH_ROUNDS', 2)));
const SOCKETS = Math.max(1, Math.round(env('BENCH_SOCKETS', 16)));
const CONCURRENCY = Math.max(1, Math.round(env('BENCH_CONCURRENCY', 64)));
const BEST = process.env['BENCH_STAT'] === 'best';

interface Client {
  readonly name: string;
  /** Opens a pool; `get` does one `GET /` and reads the body; `close` ends the pool. */
  open(): { get(): Promise<void>; close(): Promise<void> };
}

const CLIENTS: readonly Client[] = [
  {
    name: '@rws/http1 Pool',
    open() {
      const pool = createPool(url, { maxSockets: SOCKETS, maxQueue: CONCURRENCY * 2 });
      return {
        async get() {
          const res = await pool.request({ path: '/' });
          await res.body.bytes();
          if (res.status !== 200) throw new Error(`status ${res.status}`);
        },
        close: () => pool.close(),
      };
    },
  },
  {
    name: 'undici Pool',
    open() {
      const pool = new UndiciPool(url, { connections: SOCKETS, pipelining: 1 });
      return {
        async get() {
          const res = await pool.request({ path: '/', method: 'GET' });
          await res.body.arrayBuffer();
          if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
        },
        close: () => pool.close(),
      };
    },
  },
];

interface Run {
  readonly rps: number;
  readonly cpuUsPerReq: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

/** `CONCURRENCY` loops calling `get()` until `seconds` have passed; latencies when `record`. */
async function loop(get: () => Promise<void>, seconds: number, latencies: number[] | null) {
  let count = 0;
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let t0 = performance.now(); t0 < end; t0 = performance.now()) {
        try {
          await get();
          count++;
          latencies?.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { count, errors };
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function measure(client: Client): Promise<Run> {
  const pool = client.open();
  try {
    if (WARMUP > 0) await loop(() => pool.get(), WARMUP, null);
    const latencies: number[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { count, errors } = await loop(() => pool.get(), DURATION, latencies);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    latencies.sort((a, b) => a - b);
    return {
      rps: count / seconds,
      cpuUsPerReq: count === 0 ? 0 : (cpu.user + cpu.system) / count,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      errors,
    };
  } finally {
    await pool.close();
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const loadBefore = loadavg()[0]!;
const runs = new Map<string, Run[]>(CLIENTS.map((c) => [c.name, []]));
for (let round = 1; round <= ROUNDS; round++) {
  const order = round % 2 === 1 ? CLIENTS : [...CLIENTS].reverse();
  for (const client of order) {
    const r = await measure(client);
    runs.get(client.name)!.push(r);
    console.error(
      `http1-client round ${round}/${ROUNDS} ${client.name.padEnd(16)} ` +
        `${Math.round(r.rps).toLocaleString('en-US').padStart(8)} req/s  ` +
        `${r.cpuUsPerReq.toFixed(1)} µs CPU/req  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms` +
        (r.errors > 0 ? `  errors ${r.errors}` : ''),
    );
  }
}

/** One row per client: median (or best round's) req/s, CPU/request is always the median. */
const rows = CLIENTS.map((c) => {
  const rs = runs.get(c.name)!;
  const rps = rs.map((r) => r.rps);
  const pick = BEST
    ? rs.reduce((a, b) => (b.rps > a.rps ? b : a))
    : {
        ...rs[0]!,
        rps: median(rps),
        p50Ms: median(rs.map((r) => r.p50Ms)),
        p99Ms: median(rs.map((r) => r.p99Ms)),
      };
  return {
    name: c.name,
    rps: pick.rps,
    spread: ((Math.max(...rps) - Math.min(...rps)) / median(rps)) * 50,
    cpu: median(rs.map((r) => r.cpuUsPerReq)),
    p50Ms: pick.p50Ms,
    p99Ms: pick.p99Ms,
    errors: rs.reduce((n, r) => n + r.errors, 0),
  };
});
const subject = rows[0]!;
const header = [
  'client',
  'req/s',
  'spread',
  'CPU/req',
  'p50',
  'p99',
  'errors',
  'rws ÷ client (req/s)',
  'rws ÷ client (CPU/req)',
];
const cells = rows.map((r) => [
  r.name === subject.name ? `**${r.name}**` : r.name,
  Math.round(r.rps).toLocaleString('en-US'),
  `±${r.spread.toFixed(1)}%`,
  `${r.cpu.toFixed(1)} µs`,
  `${r.p50Ms.toFixed(2)} ms`,
  `${r.p99Ms.toFixed(2)} ms`,
  String(r.errors),
  `${(subject.rps / r.rps).toFixed(2)}×`,
  `${(subject.cpu / r.cpu).toFixed(2)}×`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
const line = (cs: readonly string[]) =>
  `| ${cs.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
console.log(
  [
    `### http1-client: GET / (nginx hello world), ${SOCKETS} sockets, ${CONCURRENCY} in flight`,
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs (nginx on CPU 0, this client on CPU 1), Node ${process.version}, load average ${loadBefore.toFixed(2)} before / ${loadavg()[0]!.toFixed(2)} after.`,
    '',
    `${ROUNDS} round(s) × ${DURATION} s after ${WARMUP} s warm-up, alternating order; ${BEST ? 'best round per client' : 'medians'} (CPU/req: median of rounds, client process user+system time per request).`,
    '',
    line(header),
    rule,
    ...cells.map(line),
  ].join('\n'),
);
