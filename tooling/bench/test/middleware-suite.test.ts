/**
 * The `middleware` suite compares like with like: every target answers every case path with
 * `Hello, World!`, and the middleware of that path really ran (its response headers are
 * there), over a real socket with the headers wrk sends.
 */
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MIDDLEWARE_REQUEST_HEADERS } from '../src/middleware-cases.js';
import { HELLO_BODY } from '../src/peers.js';
import suite from '../src/suites/middleware.js';

function get(url: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(url, { agent: false, headers: MIDDLEWARE_REQUEST_HEADERS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => {
          const raw = Buffer.concat(chunks);
          const isGzip = res.headers['content-encoding'] === 'gzip';
          const body = (isGzip ? gunzipSync(raw) : raw).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      });
      req.once('error', reject);
      req.end();
    },
  );
}

/** Header names that show a rate limiter ran (IETF draft fields or the x- ones). */
const hasRateLimitHeader = (headers: Record<string, unknown>) =>
  Object.keys(headers).some((h) => /^(x-)?ratelimit/.test(h));

describe('middleware suite targets', () => {
  it.each(suite.targets.map((t) => [t.name, t]))(
    '%s serves every case path with its middleware',
    async (_name, target) => {
      const running = await target.start();
      try {
        for (const c of suite.cases) {
          const res = await get(`${running.url}${c.load.path}`);
          const where = `${c.load.path}: ${JSON.stringify(res.headers)}`;
          expect([res.status, res.body], where).toEqual([200, HELLO_BODY]);
          // The body is below the compressors' thresholds: sent as it is. hono's compress
          // judges size by Content-Length, which c.text() does not set, so it gzips anyway.
          const isCompressed = res.headers['content-encoding'] !== undefined;
          const hasCompress = c.name === 'all' || c.name === 'compress';
          expect(isCompressed, where).toBe(target.name === 'hono-node' && hasCompress);
          const isAll = c.name === 'all';
          expect(res.headers['x-request-id'] !== undefined, where).toBe(
            isAll || c.name === 'request-id',
          );
          expect(res.headers['access-control-allow-origin'] === 'https://app.example', where).toBe(
            isAll || c.name === 'cors',
          );
          expect(hasRateLimitHeader(res.headers), where).toBe(isAll || c.name === 'rate-limit');
        }
      } finally {
        await running.stop();
      }
    },
    60_000,
  );
});
