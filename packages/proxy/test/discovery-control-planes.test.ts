/**
 * Consul, Docker and Kubernetes do not install here: each is tested against a small real HTTP
 * server written below that answers the documented API subset the source uses (list, blocking
 * query / event stream / watch) and checks the auth headers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  consulSource,
  createUpstream,
  dockerSource,
  kubernetesSource,
  reverseProxy,
  watchDiscovery,
} from '../src/index.js';
import { startConsul } from './consul-api-server.js';
import { underLoad, waitFor } from './discovery-helpers.js';
import { labelled, serveProxy } from './helpers.js';
import { serviceAccount, slice, startKubeApi } from './kube-api-server.js';

function track(server: http.Server): void {
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
}

async function listen(server: http.Server, at: number | string = 0): Promise<number> {
  track(server);
  await new Promise<void>((r) =>
    typeof at === 'number' ? server.listen(at, '127.0.0.1', r) : server.listen(at, r),
  );
  return typeof at === 'number' ? (server.address() as AddressInfo).port : 0;
}

function upstreamFor(name: string) {
  const u = createUpstream({ name, backends: [] });
  onTestFinished(() => u.close());
  return u;
}

const port = (origin: string): number => Number(new URL(origin).port);

describe('Consul health API with blocking queries', () => {
  it('lists passing instances, follows blocking queries under load, checks the token and keeps the list when Consul goes away', async () => {
    const a = await labelled('a');
    const b = await labelled('b');
    const consul = await startConsul('api', 's3cret', [
      { Node: { Address: '127.0.0.1' }, Service: { Address: '', Port: port(a.origin) } },
    ]);
    const { address, waiting, seen, server } = consul;
    const change = consul.change;
    let instances = consul.instances;
    await expect(consulSource({ address, service: 'api' }).resolve()).rejects.toThrow(/403/);
    const source = consulSource({ address, service: 'api', token: 's3cret', waitSecs: 30 });
    const u = upstreamFor('api');
    const errors: Error[] = [];
    const w = watchDiscovery(u, source, { refreshMs: 600_000, onError: (e) => errors.push(e) });
    onTestFinished(() => w.close());
    await w.ready;
    expect(u.backends.map((x) => x.url)).toEqual([a.origin]);
    const p = await serveProxy(reverseProxy({ upstream: u }));
    const bodies = await underLoad(`${p}/`, async () => {
      await waitFor(() => waiting.size > 0);
      instances = [
        ...instances,
        { Node: { Address: '10.9.9.9' }, Service: { Address: '127.0.0.1', Port: port(b.origin) } },
      ];
      change(instances);
      await waitFor(() => u.backends.length === 2);
      await waitFor(() => waiting.size > 0);
      instances = instances.slice(1);
      change(instances);
      await waitFor(() => u.backends.length === 1);
    });
    expect(bodies).toContain('a');
    expect(u.backends.map((x) => x.url)).toEqual([b.origin]);
    expect(seen.some((s) => /index=8&wait=30s/.test(s))).toBe(true);

    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await w.refresh();
    await waitFor(() => errors.length > 0);
    expect(errors.at(-1)?.message).toMatch(/discovery consul:api/);
    expect(u.backends.map((x) => x.url)).toEqual([b.origin]);
  });
});

describe('Docker Engine API over a unix socket', () => {
  it('lists labelled running containers, follows /events under load, keeps the list when the daemon goes away', async () => {
    const a = await labelled('a');
    const b = await labelled('b');
    const dir = mkdtempSync(join(tmpdir(), 'rws-docker-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const socketPath = join(dir, 'docker.sock');
    const container = (id: string, origin: string, extra: Record<string, string> = {}) => ({
      Id: id.repeat(12),
      Labels: { 'rws.upstream': 'api', 'rws.port': String(port(origin)), ...extra },
      NetworkSettings: { Networks: { bridge: { IPAddress: '127.0.0.1' } } },
    });
    let running = [container('a', a.origin)];
    const streams = new Set<http.ServerResponse>();
    const filters: string[] = [];
    const server = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      filters.push(url.searchParams.get('filters') ?? '');
      if (url.pathname === '/containers/json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(running));
      } else if (url.pathname === '/events') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        streams.add(res);
        res.on('close', () => streams.delete(res));
      } else res.writeHead(404).end('{"message":"page not found"}');
    });
    await listen(server, socketPath);
    const emit = (Action: string): void => {
      for (const s of streams) s.write(`${JSON.stringify({ Type: 'container', Action })}\n`);
    };

    const u = upstreamFor('api');
    const errors: Error[] = [];
    const w = watchDiscovery(u, dockerSource({ upstream: 'api', socketPath }), {
      refreshMs: 600_000,
      onError: (e) => errors.push(e),
    });
    onTestFinished(() => w.close());
    await w.ready;
    expect(u.backends.map((x) => x.url)).toEqual([a.origin]);
    expect(filters.map((f) => JSON.parse(f))).toContainEqual({
      label: ['rws.upstream=api'],
      status: ['running'],
    });
    const p = await serveProxy(reverseProxy({ upstream: u }));
    const bodies = await underLoad(`${p}/`, async () => {
      await waitFor(() => streams.size > 0);
      running = [...running, container('b', b.origin, { 'rws.weight': '2' })];
      emit('start');
      await waitFor(() => u.backends.length === 2);
      expect(u.backends.find((x) => x.url === b.origin)?.weight).toBe(2);
      running = running.slice(1);
      emit('die');
      await waitFor(() => u.backends.length === 1);
    });
    expect(bodies).toContain('a');
    expect(u.backends.map((x) => x.url)).toEqual([b.origin]);

    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await waitFor(() => errors.some((e) => /discovery docker:api/.test(e.message)));
    expect(u.backends.map((x) => x.url)).toEqual([b.origin]);
    await expect(
      dockerSource({ upstream: 'api', socketPath: join(dir, 'none.sock') }).resolve(),
    ).rejects.toThrow(/discovery docker:api: GET \/containers\/json/);
  });
});

describe('Kubernetes Service endpoints (in-cluster service account)', () => {
  it('maps the Service port through EndpointSlices, follows the watch under load, and keeps the list when the API server goes away', async () => {
    const a = await labelled('a');
    const b = await labelled('b');
    const api = await startKubeApi();
    const sa = serviceAccount(api);
    const svcPath = '/api/v1/namespaces/shop/services/api';
    const slicePath =
      '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?kubernetes.io/service-name=api';
    api.objects.set(svcPath, { spec: { ports: [{ name: 'web', port: 80, targetPort: 8080 }] } });
    api.objects.set(
      slicePath,
      slice('shop', 'api', 'web', port(a.origin), ['127.0.0.1'], ['10.0.0.66']),
    );
    const env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) };

    await expect(
      kubernetesSource({
        namespace: 'shop',
        service: 'api',
        port: 80,
        env,
        caFile: sa.caFile,
        tokenFile: join(tmpdir(), 'no-such-token'),
      }).resolve(),
    ).rejects.toThrow(/token file/);
    await expect(
      kubernetesSource({ namespace: 'shop', service: 'api', port: 80, env: {}, ...sa }).resolve(),
    ).rejects.toThrow(/KUBERNETES_SERVICE_HOST/);

    const source = kubernetesSource({ namespace: 'shop', service: 'api', port: 80, env, ...sa });
    const u = upstreamFor('api');
    const errors: Error[] = [];
    const w = watchDiscovery(u, source, { refreshMs: 600_000, onError: (e) => errors.push(e) });
    onTestFinished(() => w.close());
    await w.ready;
    expect(u.backends.map((x) => x.url)).toEqual([a.origin]);
    const p = await serveProxy(reverseProxy({ upstream: u }));
    const bodies = await underLoad(`${p}/`, async () => {
      await waitFor(() => api.watches() > 0);
      // A rollout: the new pod listens on another port (same Service port name).
      api.objects.set(slicePath, slice('shop', 'api', 'web', port(b.origin), ['127.0.0.1']));
      api.notify();
      await waitFor(() => u.backends[0]?.url === b.origin);
    });
    expect(bodies).toContain('a');
    expect(bodies.at(-1)).toBe('b');
    expect(
      await kubernetesSource({
        namespace: 'shop',
        service: 'api',
        port: 'web',
        env,
        ...sa,
      }).resolve(),
    ).toEqual([{ url: b.origin }]);
    await expect(
      kubernetesSource({ namespace: 'shop', service: 'api', port: 81, env, ...sa }).resolve(),
    ).rejects.toThrow(/has no port 81/);

    api.objects.clear();
    await w.refresh();
    expect(errors.at(-1)?.message).toMatch(/404/);
    expect(u.backends.map((x) => x.url)).toEqual([b.origin]);
  });
});
