/**
 * Router lookup throughput: @rws/router vs find-my-way, rou3, and hono's RegExpRouter and
 * TrieRouter, at 20 and 200 routes. Run: `pnpm --filter @rws/router bench` (or
 * `npx tsx --conditions=@rws/source packages/router/bench/router.ts`).
 *
 * Method: each router gets the same route set; a scenario is a list of request paths looked
 * up in a loop. Every round times every router once, in a rotating order (A B C … then
 * B C … A), after a warm-up; the table shows the median of the rounds, and the ratio column
 * the median of per-round ratios against the fastest peer (robust to load drifting between
 * rounds). Each lookup result is consumed so the work cannot be optimised away.
 */
import FindMyWay from 'find-my-way';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { TrieRouter } from 'hono/router/trie-router';
import { addRoute, createRouter, findRoute } from 'rou3';
import { Router } from '../src/router.js';

type Route = readonly [method: string, path: string];

/** The route set of the public router benchmarks (hono's benchmarks/routers, koa-tree-router). */
const BASE_ROUTES: Route[] = [
  ['GET', '/user'],
  ['GET', '/user/comments'],
  ['GET', '/user/avatar'],
  ['GET', '/user/lookup/username/:username'],
  ['GET', '/user/lookup/email/:address'],
  ['GET', '/event/:id'],
  ['GET', '/event/:id/comments'],
  ['POST', '/event/:id/comment'],
  ['GET', '/map/:location/events'],
  ['GET', '/status'],
  ['GET', '/very/deeply/nested/route/hello/there'],
  ['GET', '/static/*'],
];

/** Pads the base set to `count` routes with realistic REST resources. */
function routeSet(count: number): Route[] {
  const routes = BASE_ROUTES.slice();
  const verbs = ['GET', 'POST', 'PUT', 'DELETE'];
  for (let i = 0; routes.length < count; i++) {
    const kind = i % 4;
    const res = `resource${Math.floor(i / 4)}`;
    if (kind === 0) routes.push(['GET', `/api/v1/${res}`]);
    else if (kind === 1) routes.push([verbs[Math.floor(i / 4) % 4]!, `/api/v1/${res}/:id`]);
    else if (kind === 2) routes.push(['GET', `/api/v1/${res}/:id/items/:itemId`]);
    else routes.push(['GET', `/api/v2/${res}/search`]);
  }
  return routes.slice(0, count);
}

const SCENARIOS: Record<string, [string, string][]> = {
  static: [
    ['GET', '/user'],
    ['GET', '/user/comments'],
    ['GET', '/very/deeply/nested/route/hello/there'],
    ['GET', '/status'],
  ],
  param: [
    ['GET', '/user/lookup/username/hey'],
    ['GET', '/event/abcd1234/comments'],
    ['POST', '/event/abcd1234/comment'],
    ['GET', '/map/paris/events'],
  ],
  wildcard: [
    ['GET', '/static/index.html'],
    ['GET', '/static/assets/js/app.js'],
  ],
  mixed: [
    ['GET', '/user'],
    ['GET', '/user/comments'],
    ['GET', '/user/lookup/username/hey'],
    ['GET', '/event/abcd1234/comments'],
    ['POST', '/event/abcd1234/comment'],
    ['GET', '/very/deeply/nested/route/hello/there'],
    ['GET', '/static/index.html'],
  ],
};

/** Adds the 200-route-only requests that hit the padded routes. */
function scenarioFor(name: string, count: number): [string, string][] {
  const base = SCENARIOS[name]!;
  if (count < 100) return base;
  if (name === 'static')
    return [...base, ['GET', '/api/v1/resource30'], ['GET', '/api/v2/resource40/search']];
  if (name === 'param')
    return [...base, ['PUT', '/api/v1/resource22/7'], ['GET', '/api/v1/resource45/7/items/9']];
  if (name === 'mixed') return [...base, ['GET', '/api/v1/resource45/7/items/9']];
  return base;
}

type Lookup = (method: string, path: string) => unknown;

function handler(): void {}

const peers: Record<string, (routes: Route[]) => Lookup> = {
  '@rws/router': (routes) => {
    const r = new Router<() => void>();
    for (const [m, p] of routes) r.add(m, p, handler);
    return (m, p) => r.lookup(m, p);
  },
  'find-my-way': (routes) => {
    const r = FindMyWay();
    for (const [m, p] of routes) r.on(m as 'GET', p, handler);
    return (m, p) => r.find(m as 'GET', p);
  },
  rou3: (routes) => {
    const r = createRouter<() => void>();
    for (const [m, p] of routes)
      addRoute(r, m, p.endsWith('/*') ? `${p.slice(0, -1)}**` : p, handler);
    return (m, p) => findRoute(r, m, p);
  },
  'hono RegExpRouter': (routes) => {
    const r = new RegExpRouter<() => void>();
    for (const [m, p] of routes) r.add(m, p, handler);
    return (m, p) => r.match(m, p);
  },
  'hono TrieRouter': (routes) => {
    const r = new TrieRouter<() => void>();
    for (const [m, p] of routes) r.add(m, p, handler);
    return (m, p) => r.match(m, p);
  },
};

let sink = 0;

function time(lookup: Lookup, requests: [string, string][], iterations: number): number {
  const n = requests.length;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const [m, p] = requests[i % n]!;
    if (lookup(m, p) !== null) sink++;
  }
  const ns = Number(process.hrtime.bigint() - start);
  return (iterations / ns) * 1e9;
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function fmt(opsPerSec: number): string {
  return `${(opsPerSec / 1e6).toFixed(2)} M`;
}

const ITERATIONS = Number(process.env['BENCH_ITERATIONS'] ?? 200_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 21);

const names = Object.keys(peers);
const rows: string[] = [];
rows.push(
  `| routes | scenario | ${names.map((n) => `${n} ops/s`).join(' | ')} | rws vs fastest peer |`,
);
rows.push(`|---|---|${names.map(() => '---:').join('|')}|---:|`);

for (const count of [20, 200]) {
  const routes = routeSet(count);
  const lookups = Object.fromEntries(names.map((n) => [n, peers[n]!(routes)]));
  for (const scenario of Object.keys(SCENARIOS)) {
    const requests = scenarioFor(scenario, count);
    // Sanity: every router must find every request.
    for (const name of names) {
      for (const [m, p] of requests) {
        const found = lookups[name]!(m, p);
        const isEmpty =
          found === null ||
          (name === '@rws/router' && (found as { store: unknown }).store === null) ||
          found === undefined ||
          (Array.isArray(found) && Array.isArray(found[0]) && found[0].length === 0);
        if (isEmpty) throw new Error(`${name} did not match ${m} ${p}`);
      }
    }
    for (const name of names) time(lookups[name]!, requests, ITERATIONS / 4);
    const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(round + k) % names.length]!;
        samples[name]!.push(time(lookups[name]!, requests, ITERATIONS));
      }
    }
    const med = Object.fromEntries(names.map((n) => [n, median(samples[n]!)]));
    const peerNames = names.filter((n) => n !== '@rws/router');
    const fastest = peerNames.reduce((a, b) => (med[a]! >= med[b]! ? a : b));
    // Paired ratio: rws and the fastest peer timed in the same round, so machine load that
    // drifts between rounds cancels out; the median of those ratios is reported.
    const ratios = samples['@rws/router']!.map((v, i) => v / samples[fastest]![i]!);
    rows.push(
      `| ${count} | ${scenario} | ${names.map((n) => fmt(med[n]!)).join(' | ')} | ${median(ratios).toFixed(2)}x (${fastest}) |`,
    );
    console.error(rows.at(-1));
  }
}

console.log(
  `\nNode ${process.version}, ${ITERATIONS} lookups per sample, median of ${ROUNDS} rounds; ratio = median of per-round rws / fastest-peer (sink ${sink > 0 ? 'ok' : '0'}).\n`,
);
console.log(rows.join('\n'));
