/**
 * The metrics middleware as serve() mounts it (moved to @rws/middleware/metrics): the
 * connections gauge and a scrape over a socket.
 */
import { text } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { RawClient, start } from './helpers.js';

function sample(exposition: string, name: string): number {
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
  }
  throw new Error(`no sample ${name}`);
}

describe('serve() metrics', () => {
  it('reports active connections of a running server', async () => {
    const server = await start(() => text('x'));
    const a = await RawClient.plain(server.address.port);
    const b = await RawClient.plain(server.address.port);
    await b.request('/');
    const out = (await a.request('/metrics')).body;
    expect(sample(out, 'rws_http_active_connections')).toBe(2);
    expect(sample(out, 'rws_http_connections_total')).toBe(2);
    b.socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const after = (await a.request('/metrics')).body;
    expect(sample(after, 'rws_http_active_connections')).toBe(1);
    expect(after).toContain('rws_http_requests_total{status_class="2xx"} 2');
    expect(server.metrics?.requestCount('2xx')).toBe(3);
    const off = await start(() => text('x'), { metrics: false });
    expect(off.metrics).toBeNull();
  });
});

describe('serve() metrics collectors', () => {
  it('merges extra families into /metrics and the admin /metrics; reload replaces them', async () => {
    const errors: unknown[] = [];
    let state = 1;
    // Two sources writing the same family, as two upstreams of @rws/proxy do.
    const a = (): string =>
      '# HELP app_backend_up 1 when up\n# TYPE app_backend_up gauge\napp_backend_up{backend="a"} 1\n';
    const b = async (): Promise<string> =>
      `# HELP app_backend_up 1 when up\n# TYPE app_backend_up gauge\napp_backend_up{backend="b"} ${state}\n`;
    const server = await start(() => text('x'), {
      metrics: { collectors: [a, b] },
      admin: { port: 0 },
      health: { metrics: '/metrics' },
      onError: (err) => errors.push(err),
    });
    const client = await RawClient.plain(server.address.port);
    const out = (await client.request('/metrics')).body;
    expect(out.match(/^# TYPE app_backend_up gauge$/gm)).toHaveLength(1);
    expect(out.match(/^# HELP app_backend_up /gm)).toHaveLength(1);
    expect(out).toContain(
      '# TYPE app_backend_up gauge\napp_backend_up{backend="a"} 1\napp_backend_up{backend="b"} 1\n',
    );
    expect(out).toContain('rws_http_requests_total{status_class="2xx"}');
    state = 0;
    const adminUrl = server.urls.find((u) => u.isAdmin === true)!.url;
    const adminOut = await (await fetch(`${adminUrl}/metrics`)).text();
    expect(adminOut).toContain('app_backend_up{backend="b"} 0');

    // A broken collector is left out, counted and reported; the others still serve.
    await server.reload({
      port: 0,
      metrics: {
        collectors: [a, () => 'not a metric line\n', () => Promise.reject(new Error('down'))],
      },
      admin: { port: 0 },
      health: { metrics: '/metrics' },
      onError: (err) => errors.push(err),
    });
    const after = (await client.request('/metrics')).body;
    expect(after).toContain('app_backend_up{backend="a"} 1');
    expect(after).not.toContain('backend="b"');
    expect(after).not.toContain('not a metric');
    expect(after).toContain('rws_http_errors_total{kind="metrics_collector"} 2');
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual([
      'RWS_MIDDLEWARE_METRICS_COLLECTOR_FAILED',
      'RWS_MIDDLEWARE_METRICS_COLLECTOR_FAILED',
    ]);
    expect(String((errors[0] as Error).message)).toContain('line 1 is not a sample');
    client.socket.destroy();
  });

  it('rejects collectors that are not functions', async () => {
    await expect(
      start(() => text('x'), { metrics: { collectors: ['x' as unknown as () => string] } }),
    ).rejects.toThrow('metrics.collectors: must be an array of functions');
  });
});
