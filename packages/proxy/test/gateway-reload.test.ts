import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGateway, formatConfigProblem } from '../src/index.js';
import { httpCall, serveHandler, startBackend } from './gateway-helpers.js';

const proxyRoute = (address: string, tag: string) =>
  `[[upstream]]\nname = "app"\nbackends = ["${address}"]\n` +
  `[[route]]\n[route.match]\npath = "/app/*"\n[route.action]\ntype = "proxy"\nupstream = "app"\n` +
  `[[route.middleware.rewrite.response]]\ntype = "header_set"\nname = "x-generation"\nvalue = "${tag}"\n` +
  `[[route]]\n[route.match]\npath = "/tag"\n[route.action]\ntype = "respond"\nbody = "${tag}"\n`;

describe('reload', () => {
  it('ten reloads under continuous load: zero failed requests, each new config in force', async () => {
    const slow = (ms: number) => (_req: unknown, res: import('node:http').ServerResponse) => {
      setTimeout(() => res.end('ok'), ms);
    };
    const a = await startBackend('a', slow(15));
    const b = await startBackend('b', slow(15));
    const gateway = await createGateway(proxyRoute(a.address, 'g0'));
    onTestFinished(() => gateway.close());
    const port = await serveHandler(gateway.handler);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    onTestFinished(() => agent.destroy());
    let isRunning = true;
    const failures: string[] = [];
    let done = 0;
    const worker = async () => {
      while (isRunning) {
        try {
          const res = await httpCall(port, '/app/x', { agent });
          if (res.status !== 200 || res.body !== 'ok') failures.push(`${res.status} ${res.body}`);
        } catch (err) {
          failures.push(String(err));
        }
        done++;
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    for (let i = 1; i <= 10; i++) {
      await new Promise((r) => setTimeout(r, 40));
      // Odd reloads move the upstream to the other backend, so old pools drain and close
      // while requests are in flight on them.
      const result = await gateway.reload(proxyRoute(i % 2 === 1 ? b.address : a.address, `g${i}`));
      expect(result).toEqual({ isApplied: true, problems: [] });
      expect((await httpCall(port, '/tag')).body).toBe(`g${i}`);
    }
    await new Promise((r) => setTimeout(r, 40));
    isRunning = false;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(done).toBeGreaterThan(50);
    expect(a.seen.length).toBeGreaterThan(0);
    expect(b.seen.length).toBeGreaterThan(0);
    expect((await httpCall(port, '/app/x')).headers['x-generation']).toBe('g10');
  });

  it('a retired generation closes its dropped upstream only once its in-flight requests end, answered at once or later (issue #10)', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const a = await startBackend('a', (_req, res) => {
      void held.then(() => res.end('late'));
    });
    const b = await startBackend('b');
    let isBackendClosed = false;
    a.server.on('connection', (s) => s.on('close', () => (isBackendClosed = true)));
    const gateway = await createGateway(proxyRoute(a.address, 'g0'));
    onTestFinished(() => gateway.close());
    const port = await serveHandler(gateway.handler);
    // Answered without waiting on anything: each must end its hold on generation 0 too.
    expect((await httpCall(port, '/nowhere')).status).toBe(404);
    expect((await httpCall(port, '/tag')).body).toBe('g0');
    const slow = httpCall(port, '/app/x');
    while (a.seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(await gateway.reload(proxyRoute(b.address, 'g1'))).toEqual({
      isApplied: true,
      problems: [],
    });
    await new Promise((r) => setTimeout(r, 150));
    // Generation 0 still holds the request to `a`: its pool stays open.
    expect(isBackendClosed).toBe(false);
    release();
    expect((await slow).body).toBe('late');
    // Drained: the upstream only generation 0 used closes, and its connection with it.
    for (let i = 0; i < 500 && !isBackendClosed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(isBackendClosed).toBe(true);
    expect((await httpCall(port, '/tag')).body).toBe('g1');
  });

  it('a bad config keeps the old one running and says why', async () => {
    const gateway = await createGateway(
      '[[route]]\n[route.action]\ntype = "respond"\nbody = "old"\n',
    );
    onTestFinished(() => gateway.close());
    const port = await serveHandler(gateway.handler);
    const result = await gateway.reload(
      '[[route]]\n[route.action]\ntype = "respond"\nstatus = 9000\n',
    );
    expect(result.isApplied).toBe(false);
    expect(result.problems.map(formatConfigProblem)).toEqual([
      'rws.config.toml:4: route[0].action.status: must be between 200 and 599, got 9000',
    ]);
    const missingEnv = await gateway.reload(
      '[[route]]\n[route.action]\ntype = "respond"\n[route.middleware]\nauth = { type = "bearer", token_env = "NOT_SET_ANYWHERE" }\n',
    );
    expect(missingEnv.isApplied).toBe(false);
    expect(missingEnv.problems[0]?.message).toMatch(/NOT_SET_ANYWHERE/);
    expect((await httpCall(port, '/')).body).toBe('old');
  });

  it('an unchanged upstream carries over: its keep-alive connection is reused, not reopened', async () => {
    const a = await startBackend('a');
    const gateway = await createGateway(proxyRoute(a.address, 'one'));
    onTestFinished(() => gateway.close());
    const port = await serveHandler(gateway.handler);
    await httpCall(port, '/app/1');
    expect(a.connections()).toBe(1);
    expect((await gateway.reload(proxyRoute(a.address, 'two'))).isApplied).toBe(true);
    const res = await httpCall(port, '/app/2');
    expect(res.headers['x-generation']).toBe('two');
    expect(a.connections()).toBe(1);
  });

  it('a changed backend list updates the same upstream: unchanged backends keep their pool', async () => {
    const a = await startBackend('a');
    const b = await startBackend('b');
    const config = (backends: string[], tag: string) =>
      proxyRoute(backends[0]!, tag).replace(`["${backends[0]}"]`, JSON.stringify(backends));
    const gateway = await createGateway(config([a.address], 'one'));
    onTestFinished(() => gateway.close());
    const port = await serveHandler(gateway.handler);
    await httpCall(port, '/app/1');
    expect(a.connections()).toBe(1);
    expect((await gateway.reload(config([a.address, b.address], 'two'))).isApplied).toBe(true);
    for (let i = 0; i < 4; i++) await httpCall(port, `/app/${i}`);
    expect(b.seen.length).toBeGreaterThan(0);
    // a's keep-alive connection from before the reload is still the one in use.
    expect(a.connections()).toBe(1);
  });

  it('health state survives a reload for unchanged backends', async () => {
    const good = await startBackend('good');
    const sick = await startBackend('sick', (req, res) => {
      res.statusCode = req.url === '/healthz' ? 500 : 200;
      res.end('sick');
    });
    const config = (tag: string) =>
      `[[upstream]]\nname = "app"\nbackends = ["${good.address}", "${sick.address}"]\n` +
      `[upstream.health_check]\npath = "/healthz"\ninterval_secs = 1\ntimeout_ms = 500\nunhealthy_threshold = 1\nhealthy_threshold = 5\n` +
      `[[route]]\n[route.action]\ntype = "proxy"\nupstream = "app"\n[route.middleware]\nrewrite = { response = [{ type = "header_set", name = "x-tag", value = "${tag}" }] }\n`;
    const gateway = await createGateway(config('one'));
    onTestFinished(() => gateway.close());
    const port = await serveHandler(gateway.handler);
    const health = () =>
      gateway.upstreams.get('app')!.backends.map((b) => [b.url.split(':').pop(), b.healthy]);
    const deadline = Date.now() + 5000;
    const isSickOut = () => {
      const [g, k] = gateway.upstreams.get('app')!.backends;
      return g?.healthy === true && k?.healthy === false;
    };
    while (!isSickOut()) {
      if (Date.now() > deadline)
        throw new Error(`sick never marked unhealthy: ${JSON.stringify(health())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const before = gateway.upstreams.get('app');
    expect((await gateway.reload(config('two'))).isApplied).toBe(true);
    expect(gateway.upstreams.get('app')).toBe(before);
    // Right after the reload the sick backend is still out: no request reaches it.
    const sickServed = sick.seen.filter((r) => r.url !== '/healthz').length;
    for (let i = 0; i < 6; i++) {
      const res = await httpCall(port, '/x');
      expect(res.headers['x-tag']).toBe('two');
      expect(JSON.parse(res.body).name).toBe('good');
    }
    expect(sick.seen.filter((r) => r.url !== '/healthz').length).toBe(sickServed);
  });

  it('rate-limit counters survive a reload; a changed limit starts afresh', async () => {
    const config = (body: string, max: number) =>
      `[[route]]\nname = "api"\n[route.action]\ntype = "respond"\nbody = "${body}"\n[route.middleware]\nrate_limit = { max_requests = ${max}, window_secs = 60 }\n`;
    const gateway = await createGateway(config('one', 2));
    onTestFinished(() => gateway.close());
    const port = await serveHandler(gateway.handler);
    expect((await httpCall(port, '/')).status).toBe(200);
    expect((await httpCall(port, '/')).status).toBe(200);
    expect((await gateway.reload(config('two', 2))).isApplied).toBe(true);
    const limited = await httpCall(port, '/');
    expect(limited.status).toBe(429);
    expect((await gateway.reload(config('three', 5))).isApplied).toBe(true);
    const fresh = await httpCall(port, '/');
    expect([fresh.status, fresh.body]).toEqual([200, 'three']);
  });

  it('reload() without arguments re-reads the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rws-gw-reload-'));
    const file = join(dir, 'rws.config.toml');
    writeFileSync(file, '[[route]]\n[route.action]\ntype = "respond"\nbody = "v1"\n');
    const gateway = await createGateway({ path: file });
    onTestFinished(() => gateway.close());
    const port = await serveHandler(gateway.handler);
    expect((await httpCall(port, '/')).body).toBe('v1');
    writeFileSync(file, '[[route]]\n[route.action]\ntype = "respond"\nbody = "v2"\n');
    expect((await gateway.reload()).isApplied).toBe(true);
    expect((await httpCall(port, '/')).body).toBe('v2');
  });
});

describe('POST /admin/config/reload', () => {
  it('is 404 (an ordinary path) unless [admin] reload is enabled', async () => {
    const gateway = await createGateway(
      '[[route]]\n[route.match]\npath = "/x"\n[route.action]\ntype = "respond"\n',
    );
    onTestFinished(() => gateway.close());
    const port = await serveHandler(gateway.handler);
    expect((await httpCall(port, '/admin/config/reload', { method: 'POST' })).status).toBe(404);
  });

  it('sits behind the global [middleware]: an ip_filter guards it too', async () => {
    const gateway = await createGateway(
      '[admin]\nreload = true\ntoken_env = "T"\n[middleware]\nip_filter = { deny = ["127.0.0.1"] }\n[[route]]\n[route.action]\ntype = "respond"\n',
      { env: { T: 'tok' } },
    );
    onTestFinished(() => gateway.close());
    const port = await serveHandler(gateway.handler);
    const res = await httpCall(port, '/admin/config/reload', {
      method: 'POST',
      headers: { authorization: 'Bearer tok' },
    });
    expect(res.status).toBe(403);
  });

  it('needs the token; reloads the file; a bad file is 422 with the problems and changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rws-gw-admin-'));
    const file = join(dir, 'rws.config.toml');
    const config = (body: string) =>
      `[admin]\nreload = true\ntoken_env = "RWS_ADMIN_TOKEN"\n[[route]]\n[route.match]\npath = "/"\n[route.action]\ntype = "respond"\nbody = "${body}"\n`;
    writeFileSync(file, config('v1'));
    const gateway = await createGateway({ path: file }, { env: { RWS_ADMIN_TOKEN: 'adm1n' } });
    onTestFinished(() => gateway.close());
    const port = await serveHandler(gateway.handler);
    const url = '/admin/config/reload';
    expect((await httpCall(port, url)).status).toBe(405);
    const anonymous = await httpCall(port, url, { method: 'POST' });
    expect([anonymous.status, anonymous.headers['www-authenticate']]).toEqual([
      401,
      'Bearer realm="admin"',
    ]);
    expect(
      (await httpCall(port, url, { method: 'POST', headers: { authorization: 'Bearer wrong' } }))
        .status,
    ).toBe(401);
    writeFileSync(file, config('v2'));
    const ok = await httpCall(port, url, {
      method: 'POST',
      headers: { authorization: 'Bearer adm1n' },
    });
    expect([ok.status, JSON.parse(ok.body)]).toEqual([200, { reloaded: true, problems: [] }]);
    expect((await httpCall(port, '/')).body).toBe('v2');
    writeFileSync(file, `${config('v3')}[[route]]\n[route.action]\ntype = "teleport"\n`);
    const bad = await httpCall(port, url, {
      method: 'POST',
      headers: { authorization: 'Bearer adm1n' },
    });
    expect(bad.status).toBe(422);
    expect(JSON.parse(bad.body).problems[0]).toMatch(
      /rws\.config\.toml:12: route\[1\]\.action\.type: unknown action type "teleport"/,
    );
    expect((await httpCall(port, '/')).body).toBe('v2');
  });
});
