/**
 * What the `rws` gateway tells about its upstreams, through the real binary: every upstream's
 * per-backend state and counters on /metrics (refreshed by a reload), and access-log lines of
 * proxied requests that name the upstream, the backend and, for a 502, its cause (issue #10).
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startCli, tempDir } from './cli-process.js';

async function backend(): Promise<string> {
  const server = createServer((_req, res) => res.end('from backend'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A loopback port nothing listens on (bound, then closed). */
async function deadAddress(): Promise<string> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `127.0.0.1:${port}`;
}

function gatewayConfig(upstreams: Record<string, string>): string {
  let out = '';
  for (const [name, address] of Object.entries(upstreams)) {
    out += `[[upstream]]\nname = "${name}"\nbackends = ["${address}"]\n\n`;
    out += `[[route]]\n[route.match]\npath = "/${name}/*"\n[route.action]\ntype = "proxy"\nupstream = "${name}"\n\n`;
  }
  return out;
}

/** The JSON access-log lines of `stdout`. */
function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('rws gateway: upstream metrics and proxy access-log fields', () => {
  it('serves every upstream’s backend lines on /metrics, and a reload swaps them', async () => {
    const dir = tempDir('rws-gw-metrics-');
    const live = await backend();
    const dead = await deadAddress();
    const file = join(dir, 'rws.config.toml');
    writeFileSync(file, gatewayConfig({ api: live, down: dead }));
    const rws = await startCli(['--port', '0'], { cwd: dir });
    expect((await fetch(`${rws.origin}/api/x`)).status).toBe(200);
    expect((await fetch(`${rws.origin}/down/x`)).status).toBe(502);

    const res = await fetch(`${rws.origin}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toContain(
      `rws_upstream_backend_requests_total{upstream="api",backend="http://${live}"} 1`,
    );
    expect(text).toContain(
      `rws_upstream_backend_healthy{upstream="down",backend="http://${dead}"}`,
    );
    expect(text).toMatch(
      new RegExp(
        `rws_upstream_backend_failures_total\\{upstream="down",backend="http://${dead}"\\} [1-9]`,
      ),
    );
    // Two upstreams, one family header each: a valid exposition.
    expect(text.match(/^# TYPE rws_upstream_backend_requests_total counter$/gm)).toHaveLength(1);
    expect(text).toContain('rws_http_requests_total{status_class="5xx"} 1');

    writeFileSync(file, gatewayConfig({ api: live, other: live }));
    const before = rws.stderr.length;
    rws.child.kill('SIGHUP');
    await rws.waitFor('stderr', 'rws: reloaded configuration', { from: before });
    const after = await (await fetch(`${rws.origin}/metrics`)).text();
    expect(after).toContain(
      `rws_upstream_backend_healthy{upstream="other",backend="http://${live}"} 1`,
    );
    // Unchanged backends keep their counters across the reload.
    expect(after).toContain(
      `rws_upstream_backend_requests_total{upstream="api",backend="http://${live}"} 1`,
    );
    expect(after).not.toContain('upstream="down"');
    expect(await rws.stop()).toBe(0);
  }, 30_000);

  it('serves them on the admin listener’s /metrics too (--admin)', async () => {
    const dir = tempDir('rws-gw-admin-');
    const live = await backend();
    writeFileSync(join(dir, 'rws.config.toml'), gatewayConfig({ api: live }));
    const rws = await startCli(['--port', '0', '--admin', '127.0.0.1:0'], { cwd: dir });
    const admin = /(http:\/\/127\.0\.0\.1:\d+)\/?\s*\(admin/.exec(rws.stdout);
    expect(admin, rws.stdout).not.toBeNull();
    expect((await fetch(`${rws.origin}/api/x`)).status).toBe(200);
    const text = await (await fetch(`${admin![1]}/metrics`)).text();
    expect(text).toContain(
      `rws_upstream_backend_requests_total{upstream="api",backend="http://${live}"} 1`,
    );
    expect(await rws.stop()).toBe(0);
  }, 30_000);

  it('the JSON access-log line of a 502 names the cause; a proxied 200 names its backend', async () => {
    const dir = tempDir('rws-gw-log-');
    const live = await backend();
    const dead = await deadAddress();
    writeFileSync(join(dir, 'rws.config.toml'), gatewayConfig({ api: live, down: dead }));
    const rws = await startCli(['--port', '0'], { cwd: dir });
    expect((await fetch(`${rws.origin}/down/x`)).status).toBe(502);
    expect((await fetch(`${rws.origin}/api/y`)).status).toBe(200);
    await rws.waitFor('stdout', '"path":"/api/y"');
    const lines = logLines(rws.stdout);
    const failed = lines.find((l) => l['path'] === '/down/x')!;
    expect(failed).toMatchObject({
      status: 502,
      upstream: 'down',
      backend: `http://${dead}`,
      proxy_error: 'RWS_PROXY_CONNECT_FAILED',
      upstream_header_ms: null,
    });
    expect(failed['attempts']).toBeGreaterThanOrEqual(1);
    const ok = lines.find((l) => l['path'] === '/api/y')!;
    expect(ok).toMatchObject({
      status: 200,
      upstream: 'api',
      backend: `http://${live}`,
      attempts: 1,
      proxy_error: null,
    });
    expect(typeof ok['upstream_header_ms']).toBe('number');
    expect(await rws.stop()).toBe(0);
  }, 30_000);
});
