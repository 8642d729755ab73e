/**
 * `rws` as a config-driven gateway (issue #10), spawned as a real process: rust-web-server's
 * README example proxies and enforces auth, unmatched requests fall through to the static
 * files only when a root is set, bad gateway configs stop the start (or a reload) with every
 * problem and its line, and `rws check` builds the gateway.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cleanEnv, sourceArgs, startCli, tempDir } from './cli-process.js';

const README = readFileSync(
  new URL('../../../packages/proxy/test/fixtures/rust-web-server-readme.toml', import.meta.url),
  'utf8',
);

async function backend(name: string): Promise<string> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name, url: req.url, xff: req.headers['x-forwarded-for'] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

function get(
  origin: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const url = new URL(path, origin);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function runCheck(
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, sourceArgs(['check']), { cwd, env: cleanEnv(env) });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('rws: gateway mode', () => {
  it('runs the rust-web-server README example: proxies with the token, 401 without, 404 elsewhere', async () => {
    const dir = tempDir('rws-gw-');
    const [a, b] = [await backend('a'), await backend('b')];
    writeFileSync(
      join(dir, 'rws.config.toml'),
      README.replace('"10.0.0.10:8080", "10.0.0.11:8080"', `"${a}", "${b}"`),
    );
    const rws = await startCli(['--port', '0'], { cwd: dir, env: cleanEnv({ API_TOKEN: 'tok' }) });
    const host = { host: 'api.example.com' };
    const anonymous = await get(rws.origin, '/v1/items', host);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="api"');
    const names = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const ok = await get(rws.origin, `/v1/items?i=${i}`, {
        ...host,
        authorization: 'Bearer tok',
      });
      expect(ok.status).toBe(200);
      const echo = JSON.parse(ok.body) as { name: string; url: string; xff: string };
      expect(echo.url).toBe(`/v1/items?i=${i}`);
      expect(echo.xff).toBe('127.0.0.1');
      names.add(echo.name);
    }
    expect([...names].sort()).toEqual(['a', 'b']);
    const other = await get(rws.origin, '/anything');
    expect([other.status, other.body]).toEqual([404, 'Not Found']);
    // The working directory (with the config file in it) is not served without a root.
    expect((await get(rws.origin, '/rws.config.toml', { host: 'localhost' })).body).toBe(
      'Not Found',
    );
    expect(await rws.stop()).toBe(0);
  }, 30_000);

  it('falls through to the static files only when root is set', async () => {
    const dir = tempDir('rws-gw-root-');
    writeFileSync(join(dir, 'index.html'), '<p>static</p>');
    writeFileSync(
      join(dir, 'rws.config.toml'),
      `root = "."\n[[route]]\n[route.match]\npath = "/api/*"\n[route.action]\ntype = "respond"\nbody = "api"\n`,
    );
    const rws = await startCli(['--port', '0'], { cwd: dir });
    expect((await get(rws.origin, '/api/x')).body).toBe('api');
    expect((await get(rws.origin, '/index.html')).body).toBe('<p>static</p>');
    expect(rws.stdout).toContain('root');
    expect(await rws.stop()).toBe(0);
  }, 30_000);

  it('a missing API_TOKEN stops the start before anything listens, with key path and line', async () => {
    const dir = tempDir('rws-gw-bad-');
    writeFileSync(join(dir, 'rws.config.toml'), README);
    const result = await new Promise<{ code: number | null; err: string; out: string }>(
      (resolve) => {
        const child = spawn(process.execPath, sourceArgs(['--port', '0']), {
          cwd: dir,
          env: cleanEnv(),
        });
        let err = '';
        let out = '';
        child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
        child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
        child.on('exit', (code) => resolve({ code, err, out }));
      },
    );
    expect(result.code).toBe(1);
    expect(result.out).not.toContain('http://');
    expect(result.err).toContain(
      'rws.config.toml:19: route[0].middleware.auth: bearerAuth: environment variable API_TOKEN is not set or empty',
    );
  }, 30_000);

  it('runs [[tcp_proxy]] alone and prints where it listens', async () => {
    const dir = tempDir('rws-gw-tcp-');
    const { createServer: createTcpServer, connect } = await import('node:net');
    const echo = createTcpServer((s) => s.on('data', (d) => s.write(`echo:${d}`)));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => echo.close(() => r())));
    const echoPort = (echo.address() as { port: number }).port;
    writeFileSync(
      join(dir, 'rws.config.toml'),
      `[[tcp_proxy]]\nname = "db"\nlisten = "127.0.0.1:0"\nbackends = ["127.0.0.1:${echoPort}"]\n`,
    );
    const rws = await startCli(['--port', '0'], { cwd: dir });
    await rws.waitFor('stdout', 'tcp_proxy db on 127.0.0.1:');
    const port = Number(/tcp_proxy db on 127\.0\.0\.1:(\d+)/.exec(rws.stdout)![1]);
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.write('ping'));
      s.once('data', (d) => {
        resolve(d.toString());
        s.destroy();
      });
      s.once('error', reject);
    });
    expect(reply).toBe('echo:ping');
    expect(await rws.stop()).toBe(0);
  }, 30_000);

  it('runs [[ws_proxy]] alone: prints where it listens, relays the handshake and bytes; rws check counts it', async () => {
    const dir = tempDir('rws-gw-ws-');
    const { createServer: createTcpServer, connect } = await import('node:net');
    // A backend that answers any upgrade with 101 and then echoes bytes: the proxy relays
    // them untouched (it does not parse WebSocket frames).
    const backend = createTcpServer((s) => {
      let isUpgraded = false;
      s.on('data', (d) => {
        if (isUpgraded) s.write(`echo:${d}`);
        else if (d.toString().includes('\r\n\r\n')) {
          isUpgraded = true;
          s.write(
            'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
          );
        }
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => backend.close(() => r())));
    const backendPort = (backend.address() as { port: number }).port;
    writeFileSync(
      join(dir, 'rws.config.toml'),
      `[[ws_proxy]]\nname = "live"\nlisten = "127.0.0.1:0"\nbackends = ["ws://127.0.0.1:${backendPort}"]\n`,
    );
    const check = await runCheck(dir, {});
    expect(check.code).toBe(0);
    expect(check.out).toContain('gateway:  0 routes, 0 upstreams, 1 WebSocket listener');
    const rws = await startCli(['--port', '0'], { cwd: dir });
    await rws.waitFor('stdout', 'ws_proxy live on 127.0.0.1:');
    const port = Number(/ws_proxy live on 127\.0\.0\.1:(\d+)/.exec(rws.stdout)![1]);
    const seen = await new Promise<string>((resolve, reject) => {
      let data = '';
      const s = connect(port, '127.0.0.1', () =>
        s.write(
          'GET /feed HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        ),
      );
      s.on('data', (d) => {
        data += d;
        if (data.includes('\r\n\r\n') && !data.includes('echo:')) s.write('ping');
        if (data.includes('echo:ping')) {
          resolve(data);
          s.destroy();
        }
      });
      s.once('error', reject);
    });
    expect(seen).toMatch(/^HTTP\/1\.1 101 /);
    expect(seen.endsWith('echo:ping')).toBe(true);
    expect(await rws.stop()).toBe(0);
  }, 30_000);

  it('--workers 2: each worker runs the gateway; the primary only checks it', async () => {
    const dir = tempDir('rws-gw-workers-');
    writeFileSync(
      join(dir, 'rws.config.toml'),
      `[[route]]\n[route.action]\ntype = "respond"\nbody = "from a worker"\n`,
    );
    const rws = await startCli(['--port', '0', '--workers', '2'], { cwd: dir });
    for (let i = 0; i < 4; i++) expect((await get(rws.origin, `/${i}`)).body).toBe('from a worker');
    expect(await rws.stop()).toBe(0);
  }, 30_000);

  it('rws check reports gateway problems with key path and line, and summarises a good one', async () => {
    const dir = tempDir('rws-gw-check-');
    writeFileSync(join(dir, 'rws.config.toml'), README.replace('type = "proxy"', 'type = "proxi"'));
    const bad = await runCheck(dir, { API_TOKEN: 't' });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(
      'rws.config.toml:15: route[0].action.type: unknown action type "proxi" (one of proxy, grpc, static, redirect, respond, mcp) (did you mean "proxy"?)',
    );
    writeFileSync(join(dir, 'rws.config.toml'), README);
    const good = await runCheck(dir, { API_TOKEN: 't' });
    expect(good.code).toBe(0);
    expect(good.out).toContain('gateway:  2 routes, 1 upstream, unmatched requests 404');
  }, 30_000);

  it('SIGHUP reloads the gateway; a broken gateway config keeps the old one', async () => {
    const dir = tempDir('rws-gw-reload-');
    const file = join(dir, 'rws.config.toml');
    const config = (body: string) =>
      `[[route]]\n[route.action]\ntype = "respond"\nbody = "${body}"\n`;
    writeFileSync(file, config('one'));
    const rws = await startCli(['--port', '0'], { cwd: dir });
    expect((await get(rws.origin, '/')).body).toBe('one');
    writeFileSync(file, config('two'));
    rws.child.kill('SIGHUP');
    await rws.waitFor('stderr', 'rws: reloaded configuration');
    expect((await get(rws.origin, '/')).body).toBe('two');
    const before = rws.stderr.length;
    writeFileSync(file, `${config('three')}[route.middleware]\ntimeout_ms = "soon"\n`);
    rws.child.kill('SIGHUP');
    await rws.waitFor('stderr', 'still serving the previous configuration', { from: before });
    expect(rws.stderr.slice(before)).toContain(
      'rws.config.toml:6: route[0].middleware.timeout_ms: must be an integer, got a string',
    );
    expect((await get(rws.origin, '/')).body).toBe('two');
    expect(await rws.stop()).toBe(0);
  }, 30_000);
});

describe('rws: gateway config in-process (issue #10)', () => {
  it('the JSON Schema describes the gateway sections', async () => {
    const { createJsonSchema } = await import('../src/index.js');
    const props = createJsonSchema()['properties'] as Record<string, Record<string, unknown>>;
    for (const name of [
      'upstream',
      'route',
      'middleware',
      'admin',
      'tcp_proxy',
      'udp_proxy',
      'ws_proxy',
    ]) {
      expect(props[name], name).toBeDefined();
    }
    const route = (
      props['route']!['items'] as { properties: Record<string, { properties?: object }> }
    ).properties;
    expect(Object.keys(route['match']!.properties!)).toEqual([
      'host',
      'path',
      'method',
      'content_type',
      'headers',
    ]);
  });

  it('gateway sections without routes or upstreams are a warning: they would do nothing', async () => {
    const { parseToml } = await import('../src/index.js');
    const r = parseToml('[middleware]\ntimeout_ms = 100\n', 'rws.config.toml');
    expect(r.problems).toEqual([]);
    expect(r.warnings.map((w) => `${w.line}: ${w.key}: ${w.message}`)).toEqual([
      '1: middleware: the gateway runs only with [[route]], [[upstream]], [[tcp_proxy]], [[udp_proxy]] or [[ws_proxy]] tables; without them this has no effect',
    ]);
  });
});

describe('rws --help (issue #10)', () => {
  it('says how the gateway mode starts', async () => {
    const { renderHelp } = await import('../src/index.js');
    expect(renderHelp('0.0.0')).toContain(
      'Gateway: [[route]] / [[upstream]] tables in rws.config.toml',
    );
  });
});
