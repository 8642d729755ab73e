/**
 * Instructions per proxied request, counted by valgrind's callgrind: meaningful on a busy
 * machine where req/s are not. A raw upstream in this process answers `Hello, World!`; the
 * proxy runs under callgrind in its own process; keep-alive clients in this process send
 * WARMUP requests uninstrumented (JIT settles), then REQUESTS are counted. Reported: the main
 * thread's count (the event loop, which bounds a proxy's req/s) and all threads' (V8's
 * background compiler and GC helpers too).
 * Not part of `test`.
 *
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source packages/proxy/bench/instructions.ts bare
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source packages/proxy/bench/instructions.ts gateway
 *
 * `bare` is `reverseProxy()` on @rws/http1 (as `pnpm bench proxy`'s rws-proxy-bare); `route`
 * adds createGateway()'s routing, `route-log` also requestId() and a JSON accessLog() to
 * stdout; `gateway` is the `rws` binary from source with an rws.config.toml of one upstream
 * and one proxy route (access log on, as users run it). Env: BENCH_REQUESTS (default 3000), BENCH_WARMUP (20000),
 * BENCH_CONNECTIONS (8), BENCH_KEEP=1 keeps the callgrind file and prints its path
 * (`callgrind_annotate --inclusive=yes FILE` shows where the instructions go). BENCH_DIST=1
 * runs the built packages (`dist/`, as published; build first) instead of the sources through
 * tsx, whose esbuild transform keeps function names with an `Object.defineProperty` call
 * each time a named closure is created.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nKeep-Alive: timeout=60\r\n\r\nHello, World!',
);
const REQUEST_END = Buffer.from('\r\n\r\n');

const role = process.env['RWS_BENCH_ROLE'];
if (role === 'bare' || role === 'route' || role === 'route-log') {
  await serveRole(role);
} else {
  await main(process.argv[2] ?? 'bare');
}

/**
 * The proxy process. `bare`: reverseProxy() alone. `route`: createGateway() with one proxy
 * route, no access log (what routing adds). `route-log`: the same behind requestId() and a
 * JSON accessLog() writing to stdout, as `rws` composes them (what those two add).
 */
async function serveRole(which: string): Promise<void> {
  const { createServer } = await import('@rws/http1');
  const { compose } = await import('@rws/core');
  // By package name: the sources under tsx's @rws/source condition, else the built dist.
  const { createGateway, reverseProxy } = await import('@rws/proxy');
  const upstream = process.env['UPSTREAM_URL']!;
  let handler: import('@rws/core').Handler;
  if (which === 'bare') {
    const proxy = reverseProxy({ upstream });
    handler = (req) =>
      proxy.handle(req, () => {
        throw new Error('unreachable');
      });
  } else {
    const gateway = await createGateway(gatewayToml(new URL(upstream).host));
    handler = gateway.handler;
    if (which === 'route-log') {
      const { accessLog } = await import('@rws/middleware/access-log');
      const { requestId } = await import('@rws/middleware/request-id');
      handler = compose([requestId(), accessLog({ format: 'json' }), gateway], gateway.handler);
    }
  }
  const server = createServer(handler);
  await server.listen({ port: Number(process.env['PORT']), host: '127.0.0.1' });
  // An orderly exit on SIGINT, so `--cpu-prof` writes its profile.
  process.on('SIGINT', () => process.exit(0));
}

/** One upstream, one proxy route for every path: the gateway of `pnpm bench proxy`. */
function gatewayToml(backend: string): string {
  return `[[upstream]]\nname = "backend"\nbackends = ["${backend}"]\n\n[[route]]\n[route.match]\npath = "/*"\n[route.action]\ntype = "proxy"\nupstream = "backend"\n`;
}

/** An upstream answering every request head on the socket with the fixed response. */
function startUpstream(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf(REQUEST_END);
        if (end === -1) break;
        pending = pending.subarray(end + 4);
        socket.write(RESPONSE);
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function freePort(): Promise<number> {
  const probe = net.createServer();
  return new Promise((resolve) =>
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    }),
  );
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`port ${port} did not open`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * `count` GET requests spread over `connections` keep-alive sockets, one at a time each. A
 * socket that closes early is replaced; its unanswered request is sent again.
 */
async function load(port: number, connections: number, count: number): Promise<void> {
  let left = count;
  const request = Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let seen = '';
      let isWaiting = false;
      let isDone = false;
      const next = (): void => {
        if (left <= 0) {
          isWaiting = false;
          isDone = true;
          socket.end();
          resolve();
          return;
        }
        left--;
        isWaiting = true;
        socket.write(request);
      };
      socket.on('connect', next);
      socket.setEncoding('latin1');
      socket.on('data', (text: string) => {
        seen += text;
        // Every answer ends with the 13-byte body (the proxy relays it with Content-Length).
        while (seen.includes('Hello, World!')) {
          seen = seen.slice(seen.indexOf('Hello, World!') + 13);
          next();
        }
      });
      socket.on('error', () => {});
      // A socket that closes before its share is done (a keep-alive limit, or a connect
      // refused under load) is replaced; an unanswered request is sent again.
      socket.on('close', () => {
        if (isDone) return;
        if (isWaiting) left++;
        one().then(resolve, reject);
      });
    });
  await Promise.all(Array.from({ length: connections }, one));
}

async function main(target: string): Promise<void> {
  const requests = Number(process.env['BENCH_REQUESTS'] ?? 3000);
  const warmup = Number(process.env['BENCH_WARMUP'] ?? 20000);
  const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 8);
  const upstream = await startUpstream();
  const upstreamPort = (upstream.address() as net.AddressInfo).port;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rws-proxy-instr-'));
  const out = join(dir, 'callgrind.out');
  const tsx = import.meta.resolve('tsx');
  let script: string;
  let cwd = process.cwd();
  const isDist = process.env['BENCH_DIST'] === '1';
  if (target === 'gateway') {
    script = fileURLToPath(
      new URL(`../../../apps/rws-cli/${isDist ? 'dist/cli.js' : 'src/cli.ts'}`, import.meta.url),
    );
    cwd = dir;
    writeFileSync(
      join(dir, 'rws.config.toml'),
      `ip = "127.0.0.1"\nport = ${port}\n\n${gatewayToml(`127.0.0.1:${upstreamPort}`)}`,
    );
  } else if (target === 'bare' || target === 'route' || target === 'route-log') {
    script = fileURLToPath(import.meta.url);
  } else {
    throw new Error(`unknown target ${target} (bare, route, route-log or gateway)`);
  }
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      // One file per thread: the main thread (the event loop, where a proxy's throughput is
      // decided) apart from V8's background compiler and GC helpers.
      '--separate-threads=yes',
      // Warm-up runs uninstrumented (several times faster); counting starts after it.
      '--instr-atstart=no',
      `--callgrind-out-file=${out}`,
      process.execPath,
      // Dist: Node strips this file's types itself; every import resolves to dist/.
      ...(isDist ? [] : ['--conditions=@rws/source', '--import', tsx]),
      script,
    ],
    {
      cwd,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        RWS_BENCH_ROLE: target,
        PORT: String(port),
        UPSTREAM_URL: `http://127.0.0.1:${upstreamPort}`,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  try {
    await waitForPort(port, 300_000);
    await load(port, connections, warmup);
    execFileSync('callgrind_control', ['-i', 'on', String(child.pid)]);
    execFileSync('callgrind_control', ['-z', String(child.pid)]);
    await load(port, connections, requests);
    execFileSync('callgrind_control', ['-d', String(child.pid)]);
    // Files `callgrind.out.1-01` …: the dump number, then the thread (01 is the main one).
    const files = execFileSync('sh', ['-c', `ls ${out}.*-*`])
      .toString()
      .trim()
      .split('\n');
    let total = 0;
    let main = 0;
    for (const file of files) {
      const dump = readFileSync(file, 'utf8');
      const count = Number(/^(?:summary|totals): (\d+)/m.exec(dump)?.[1] ?? 0);
      total += count;
      if (file.endsWith('-01')) main += count;
    }
    const perRequest = (n: number): string => Math.round(n / requests).toLocaleString('en');
    console.log(
      `${target}${isDist ? ' (dist)' : ''}: ${perRequest(main)} instructions/request on the main thread, ${perRequest(total)} in all threads (${requests} requests, ${connections} connections, after ${warmup} warm-up)`,
    );
    if (process.env['BENCH_KEEP'] === '1') console.log(`callgrind files: ${files.join(' ')}`);
  } catch (err) {
    console.error(stderr);
    throw err;
  } finally {
    child.kill('SIGKILL');
    upstream.close();
    if (process.env['BENCH_KEEP'] !== '1') rmSync(dir, { recursive: true, force: true });
  }
}
