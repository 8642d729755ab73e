/**
 * Issue #9: a core `Body` returned as a response body and never sent (HEAD, a null-body status)
 * is released by the transport; releasing it must cancel it, so a proxied upstream exchange is
 * closed at once instead of staying open until its body timeout.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Headers } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createAgent } from '../src/index.js';
import { httpServer } from './client-helpers.js';
import { exchange, pause, start } from './helpers.js';

describe('releasing a proxied response body (issue #9)', () => {
  for (const [name, method, status] of [
    ['HEAD', 'HEAD', 200],
    ['204', 'GET', 204],
  ] as const) {
    it(`closes the upstream exchange at once when the body is not sent (${name})`, async () => {
      let upstreamClosedAt = 0;
      const upstream = await httpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const timer = setInterval(() => res.write('tick\n'), 10);
        res.on('close', () => {
          clearInterval(timer);
          upstreamClosedAt = Date.now();
        });
      });
      const agent = createAgent({ bodyTimeoutMs: 30_000 });
      onTestFinished(() => agent.destroy());
      const { port } = await start(async () => {
        const up = await agent.request({ url: `${upstream.origin}/stream` });
        return { status, headers: new Headers(), body: up.body };
      });
      const sentAt = Date.now();
      const r = await exchange(port, `${method} / HTTP/1.1\r\nHost: a\r\n\r\n`, {
        responses: 1,
        headRequests: [method === 'HEAD'],
      });
      expect(r.responses[0]!.status).toBe(status);
      for (let i = 0; i < 100 && upstreamClosedAt === 0; i++) await pause(10);
      expect(upstreamClosedAt).toBeGreaterThan(0);
      expect(upstreamClosedAt - sentAt).toBeLessThan(1000);
      expect(upstream.sockets.size).toBe(0);
    });
  }
});

describe('file body errors raise no unhandled rejection (issue #9)', () => {
  it('a missing file, a directory and a client gone before the open all settle quietly', async () => {
    const seen: unknown[] = [];
    const onUnhandled = (reason: unknown) => seen.push(reason);
    process.on('unhandledRejection', onUnhandled);
    onTestFinished(() => {
      process.off('unhandledRejection', onUnhandled);
    });
    const dir = mkdtempSync(join(tmpdir(), 'rws-http1-release-'));
    const { port } = await start((req) => ({
      status: 200,
      headers: new Headers(),
      body: { kind: 'file', path: req.path === '/dir' ? dir : join(dir, 'missing') },
    }));
    const missing = await exchange(port, 'GET /missing HTTP/1.1\r\nHost: a\r\n\r\n', {
      responses: 1,
    });
    expect(missing.responses[0]!.status).toBe(404);
    // A directory opens on Linux but fails on the first read: the response is cut off.
    const directory = await exchange(port, 'GET /dir HTTP/1.1\r\nHost: a\r\n\r\n', {});
    expect(directory.closed).toBe(true);
    await pause(50);
    expect(seen).toEqual([]);
  });
});
