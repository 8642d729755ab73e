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
