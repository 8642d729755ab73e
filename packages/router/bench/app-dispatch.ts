/**
 * In-process cost of the App around a handler, no sockets: nanoseconds per request for
 * `GET /users/:id` → `json({ id })`, as a bare core handler, through `app.handler` with no
 * middleware, and through `app.handler` with one async middleware that sets a header (the
 * `pnpm bench app` server). Every variant builds its request with core `createRequest`, as a
 * transport would. Run: `pnpm --filter @rws/router exec tsx --conditions=@rws/source
 * bench/app-dispatch.ts` (pin it with `taskset -c 0` on a shared machine).
 */
import { createRequest, type Handler, Headers, json, type Request } from '@rws/core';
import { createApp } from '../src/index.js';

const withMiddleware = createApp();
withMiddleware.use(async (req, next) => {
  const res = await next(req);
  res.headers.set('x-powered-by', 'rws');
  return res;
});
withMiddleware.get('/users/:id', (req) => json({ id: req.params.id }));

const plain = createApp();
plain.get('/users/:id', (req) => json({ id: req.params.id }));

const bare: Handler = (req: Request) => json({ id: req.path.slice('/users/'.length) });

const VARIANTS: Record<string, Handler> = {
  'bare handler': bare,
  'app, no middleware': plain.handler,
  'app + 1 async middleware': withMiddleware.handler,
};

const ITERATIONS = Number(process.env['BENCH_ITERATIONS'] ?? 300_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 9);
const headers = Headers.fromTrustedList(['host', '127.0.0.1', 'user-agent', 'wrk']);
let sink = 0;

async function sample(handler: Handler): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) {
    const out = handler(createRequest({ method: 'GET', target: '/users/42', headers }));
    // Await only real promises: sync handlers keep their sync path, as in the transports.
    const res = out instanceof Promise ? await out : out;
    sink += res.status;
  }
  return Number(process.hrtime.bigint() - start) / ITERATIONS;
}

const samples: Record<string, number[]> = {};
for (const [name, handler] of Object.entries(VARIANTS)) {
  await sample(handler); // warm-up
  samples[name] = [];
}
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, handler] of Object.entries(VARIANTS))
    samples[name]!.push(await sample(handler));
}

console.log(`Node ${process.version}, ${ITERATIONS} requests per sample, median of ${ROUNDS}.\n`);
console.log('| variant | ns/request |\n|---|---:|');
for (const [name, values] of Object.entries(samples)) {
  const sorted = values.slice().sort((a, b) => a - b);
  console.log(`| ${name} | ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} |`);
}
if (sink === 0) console.log('(sink 0)');
