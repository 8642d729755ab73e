/**
 * Load-side script of `pnpm bench mcp`: `tools/call` round trips per second for a trivial tool
 * (`add`, answered as JSON) against each MCP server in $BENCH_TARGETS (`name=url,…`, the first
 * is the subject). Each server gets one session (initialize + notifications/initialized), then
 * $BENCH_CONCURRENCY loops POST `tools/call` with their own request ids over an undici Pool of
 * $BENCH_SOCKETS keep-alive sockets for $BENCH_DURATION s after $BENCH_WARMUP s. Rounds
 * alternate the order. Every answer is checked (status 200 and the sum). Prints a markdown
 * table to stdout, progress to stderr.
 */
import { cpus, loadavg } from 'node:os';
import { Pool } from 'undici';

const num = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number, got ${raw}`);
  return n;
};
const DURATION = num('BENCH_DURATION', 10);
const WARMUP = num('BENCH_WARMUP', 2);
const ROUNDS = Math.max(1, Math.round(num('BENCH_ROUNDS', 2)));
const SOCKETS = Math.max(1, Math.round(num('BENCH_SOCKETS', 16)));
const CONCURRENCY = Math.max(1, Math.round(num('BENCH_CONCURRENCY', 64)));
const TARGETS = (process.env['BENCH_TARGETS'] ?? '').split(',').map((t) => {
  const eq = t.indexOf('=');
  if (eq <= 0) throw new Error(`BENCH_TARGETS entries are name=url, got ${JSON.stringify(t)}`);
  return { name: t.slice(0, eq), url: new URL(t.slice(eq + 1)) };
});

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

async function openSession(pool: Pool, path: string): Promise<Record<string, string>> {
  const init = await pool.request({
    path,
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'bench', version: '1' },
      },
    }),
  });
  await init.body.text();
  const sid = init.headers['mcp-session-id'];
  if (init.statusCode !== 200 || typeof sid !== 'string') {
    throw new Error(`initialize answered ${init.statusCode} without a session id`);
  }
  const headers = { ...HEADERS, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
  const ack = await pool.request({
    path,
    method: 'POST',
    headers,
    body: '{"jsonrpc":"2.0","method":"notifications/initialized"}',
  });
  await ack.body.text();
  return headers;
}

interface Run {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

async function measure(target: (typeof TARGETS)[number]): Promise<Run> {
  const pool = new Pool(target.url.origin, { connections: SOCKETS, pipelining: 1 });
  try {
    const path = target.url.pathname;
    const headers = await openSession(pool, path);
    let nextId = 1;
    const call = async (): Promise<void> => {
      const id = nextId++;
      const res = await pool.request({
        path,
        method: 'POST',
        headers,
        body: `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"add","arguments":{"a":${id},"b":1}}}`,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200 || !text.includes(`"text":"${id + 1}"`)) {
        throw new Error(`tools/call ${id}: ${res.statusCode} ${text.slice(0, 200)}`);
      }
    };
    const loop = async (seconds: number, latencies: number[] | null) => {
      let count = 0;
      let errors = 0;
      const end = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let t0 = performance.now(); t0 < end; t0 = performance.now()) {
            try {
              await call();
              count++;
              latencies?.push(performance.now() - t0);
            } catch (err) {
              if (errors++ === 0) console.error(`${target.name}: ${(err as Error).message}`);
            }
          }
        }),
      );
      return { count, errors };
    };
    if (WARMUP > 0) await loop(WARMUP, null);
    const latencies: number[] = [];
    const t0 = performance.now();
    const { count, errors } = await loop(DURATION, latencies);
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
    return { rps: count / seconds, p50Ms: at(0.5), p99Ms: at(0.99), errors };
  } finally {
    await pool.close();
  }
}

const loadBefore = loadavg()[0] ?? 0;
const runs = new Map<string, Run[]>(TARGETS.map((t) => [t.name, []]));
for (let round = 1; round <= ROUNDS; round++) {
  for (const target of round % 2 === 1 ? TARGETS : [...TARGETS].reverse()) {
    const r = await measure(target);
    runs.get(target.name)?.push(r);
    console.error(
      `mcp round ${round}/${ROUNDS} ${target.name.padEnd(22)} ${Math.round(r.rps).toLocaleString('en-US').padStart(8)} calls/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms${r.errors > 0 ? `  errors ${r.errors}` : ''}`,
    );
  }
}

const mid = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const rows = TARGETS.map((t) => {
  const rs = runs.get(t.name) ?? [];
  return {
    name: t.name,
    rps: mid(rs.map((r) => r.rps)),
    p50: mid(rs.map((r) => r.p50Ms)),
    p99: mid(rs.map((r) => r.p99Ms)),
    errors: rs.reduce((n, r) => n + r.errors, 0),
  };
});
const subjectRps = rows[0]?.rps ?? 0;
console.log(
  [
    `### mcp: tools/call round trips (JSON answers), ${SOCKETS} sockets, ${CONCURRENCY} in flight`,
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, load average ${loadBefore.toFixed(2)} before / ${(loadavg()[0] ?? 0).toFixed(2)} after; ${ROUNDS} round(s) × ${DURATION} s after ${WARMUP} s warm-up, medians.`,
    '',
    '| server | calls/s | p50 | p99 | errors | subject ÷ server |',
    '|:--|--:|--:|--:|--:|--:|',
    ...rows.map(
      (r, i) =>
        `| ${i === 0 ? `**${r.name}**` : r.name} | ${Math.round(r.rps).toLocaleString('en-US')} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${r.errors} | ${(subjectRps / r.rps).toFixed(2)}× |`,
    ),
  ].join('\n'),
);
if (rows.some((r) => r.errors > 0)) process.exitCode = 1;
