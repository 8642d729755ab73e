/**
 * static-site — what `rws` does in a folder, as a library: `serve()` from `@rws/server` with
 * `serveStatic`, `cors` and `accessLog` from `@rws/middleware`, plus one API route that runs
 * when no file matches (`fallthrough`). Gets /healthz, /readyz and /metrics for free.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/static-site.ts [folder]
 * Without a folder it writes a small demo site to a temporary directory. Then:
 *   curl -i http://127.0.0.1:3000/
 *   curl -i -H 'range: bytes=0-9' http://127.0.0.1:3000/style.css
 *   curl -i -H 'origin: https://app.example' http://127.0.0.1:3000/api/time
 *   curl http://127.0.0.1:3000/metrics
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 * Access-log lines are batched and written off the event loop (`createLogSink`), to stdout or
 * to the file ACCESS_LOG names; they are flushed every 100 ms, on shutdown and on exit.
 * Ctrl-C / SIGTERM drain in-flight requests, then exit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { json } from '@rws/core';
import { accessLog, createLogSink } from '@rws/middleware/access-log';
import { cors } from '@rws/middleware/cors';
import { serveStatic } from '@rws/middleware/static';
import { createApp } from '@rws/router';
import { serve } from '@rws/server';

function demoSite(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rws-static-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><link rel="stylesheet" href="/style.css"><h1>rws static site</h1>\n',
  );
  writeFileSync(
    join(dir, 'style.css'),
    `h1 { color: rebeccapurple; }\n${'/* pad */\n'.repeat(200)}`,
  );
  writeFileSync(join(dir, '404.html'), '<!doctype html><h1>not found</h1>\n');
  return dir;
}

const root = process.argv[2] ? resolve(process.argv[2]) : demoSite();

const logTo = process.env['ACCESS_LOG'] ?? 'stdout';
const sink = createLogSink({ destination: logTo });
const app = createApp();
app.use(
  // First, so it times the whole chain and sees the final status.
  accessLog({
    format: logTo === 'stdout' && process.stdout.isTTY ? 'pretty' : 'json',
    write: sink.write,
  }),
  cors({ allowOrigins: ['https://app.example'], exposeHeaders: ['x-request-id'], maxAge: 600 }),
  // Files win; paths that are no file fall through to the routes below.
  serveStatic({ root }),
);
app.get('/api/time', () => json({ now: new Date().toISOString() }));

const server = await serve(app, {
  port: Number(process.env['PORT'] ?? 3000),
  handleSignals: true,
  graceMs: 5000,
  // The lines still in memory reach their destination before the process ends.
  onShutdown: () => sink.close(),
});
console.log(`static-site listening on ${server.url}/ (serving ${root})`);
