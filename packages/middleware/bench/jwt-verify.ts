/**
 * CPU per `jwtAuth()` verification of an HS256 token, in one process, through the
 * middleware's own `handle` (no sockets): a same-run figure for before/after comparisons, not
 * a benchmark. The time of a round is this process's CPU time (user + system), which other
 * work on a shared machine disturbs less than wall time; prints the median of 9 rounds as µs
 * per verification.
 *
 *   node --conditions=@rws/source --import tsx packages/middleware/bench/jwt-verify.ts
 *   N=20000 (verifications per round), ALG=HS256|HS384|HS512
 */
import { createRequest, Headers, text } from '@rws/core';
import { SignJWT } from 'jose';
import { jwtAuth } from '../src/auth/index.js';

const N = Number(process.env['N'] ?? 20000);
const ALG = (process.env['ALG'] ?? 'HS256') as 'HS256' | 'HS384' | 'HS512';
const secret = 'a-long-enough-hmac-secret-for-the-bench';
const token = await new SignJWT({ sub: 'u1' })
  .setProtectedHeader({ alg: ALG })
  .setExpirationTime('1h')
  .sign(new TextEncoder().encode(secret));
const auth = jwtAuth({ secret, algorithms: [ALG] });
const ok = text('ok');
const next = () => ok;
const headers = new Headers({ authorization: `Bearer ${token}` });

async function round(n: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const res = await auth.handle(createRequest({ method: 'GET', target: '/', headers }), next);
    if (res.status !== 200) throw new Error(`verification failed: ${res.status}`);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

await round(Math.min(N, 5000)); // warm-up: compiled code and key caches
const rounds: number[] = [];
for (let r = 0; r < 9; r++) rounds.push(await round(N));
rounds.sort((a, b) => a - b);
console.log(
  `jwtAuth ${ALG} verify: ${rounds[4]!.toFixed(2)} µs CPU (median of 9 rounds of ${N}; min ${rounds[0]!.toFixed(2)}, max ${rounds[8]!.toFixed(2)})`,
);
