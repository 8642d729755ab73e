/**
 * kubernetesIngressSource + createIngressRouter against the small Kubernetes API server of
 * kube-api-server.ts (the real one does not install here): routes from Ingress rules with each
 * pathType, the ingressClassName filter, TLS secrets, and live changes under load.
 */
import * as http from 'node:http';
import { Headers } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createIngressRouter, kubernetesIngressSource } from '../src/index.js';
import { underLoad, waitFor } from './discovery-helpers.js';
import { labelled, serveProxy } from './helpers.js';
import {
  selfSignedPair,
  serviceAccount,
  slice,
  startKubeApi,
  tlsSecret,
} from './kube-api-server.js';

function get(
  origin: string,
  host: string,
  path: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${origin}${path}`, { headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const port = (origin: string): number => Number(new URL(origin).port);

function ingress(
  name: string,
  cls: string,
  paths: { path: string; pathType: string; svc: string }[],
) {
  return {
    metadata: { name, namespace: 'shop' },
    spec: {
      ingressClassName: cls,
      tls: cls === 'rws' ? [{ hosts: ['shop.example'], secretName: 'shop-tls' }] : [],
      rules: [
        {
          host: 'shop.example',
          http: {
            paths: paths.map((p) => ({
              path: p.path,
              pathType: p.pathType,
              backend: { service: { name: p.svc, port: { name: 'http' } } },
            })),
          },
        },
      ],
    },
  };
}

describe('Kubernetes Ingress routes (issue #22)', () => {
  it('routes by host and pathType, filters by class, reads TLS secrets, and applies changes under load', async () => {
    const web = await labelled('web');
    const api = await labelled('api');
    const kube = await startKubeApi();
    const sa = serviceAccount(kube);
    for (const [svc, b] of [
      ['web', web],
      ['api', api],
    ] as const) {
      kube.objects.set(`/api/v1/namespaces/shop/services/${svc}`, {
        spec: { ports: [{ name: 'http', port: 80 }] },
      });
      kube.objects.set(
        `/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?kubernetes.io/service-name=${svc}`,
        slice('shop', svc, 'http', port(b.origin), ['127.0.0.1']),
      );
    }
    const shopPem = selfSignedPair('shop.example');
    kube.objects.set('/api/v1/namespaces/shop/secrets/shop-tls', tlsSecret(shopPem));
    const list = (items: unknown[]) =>
      kube.objects.set('/apis/networking.k8s.io/v1/namespaces/shop/ingresses', { items });
    list([
      ingress('shop', 'rws', [
        { path: '/', pathType: 'Prefix', svc: 'web' },
        { path: '/api', pathType: 'Prefix', svc: 'api' },
        { path: '/status', pathType: 'Exact', svc: 'api' },
        { path: '/legacy', pathType: 'ImplementationSpecific', svc: 'api' },
      ]),
      ingress('other', 'nginx', [{ path: '/nginx', pathType: 'Exact', svc: 'api' }]),
    ]);
    const env = {
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String(kube.port),
    };
    const source = kubernetesIngressSource({ namespace: 'shop', env, ...sa });
    const errors: Error[] = [];
    const router = createIngressRouter(source, {
      refreshMs: 600_000,
      onError: (e) => errors.push(e),
    });
    onTestFinished(() => router.close());
    await router.ready;
    expect(errors).toEqual([]);
    expect(router.snapshot.routes.map((r) => `${r.pathType} ${r.path} ${r.service}`)).toEqual([
      'Exact /status shop/api:http',
      'ImplementationSpecific /legacy shop/api:http',
      'Prefix /api shop/api:http',
      'Prefix / shop/web:http',
    ]);
    expect(router.snapshot.tls).toEqual([
      {
        ingress: 'shop/shop',
        hosts: ['shop.example'],
        secret: 'shop/shop-tls',
        cert: shopPem.cert,
        key: shopPem.key,
      },
    ]);
    const origin = await serveProxy({
      handle: (req) =>
        router.handle(req, () => ({ status: 404, headers: new Headers(), body: 'no ingress' })),
    });
    const at = async (host: string, path: string) => {
      const r = await get(origin, host, path);
      return `${r.status} ${r.body}`;
    };
    expect(await at('shop.example', '/api/users')).toBe('200 api');
    expect(await at('shop.example', '/apix')).toBe('200 web');
    expect(await at('shop.example', '/status')).toBe('200 api');
    expect(await at('shop.example', '/status/x')).toBe('200 web');
    expect(await at('shop.example', '/legacy/x')).toBe('200 api');
    expect(await at('shop.example', '/nginx')).toBe('200 web');
    expect(await at('other.example', '/api')).toBe('404 no ingress');

    // Move /api to web and drop /status while clients keep requesting /api.
    const bodies = await underLoad(
      () => get(origin, 'shop.example', '/api/x'),
      async () => {
        await waitFor(() => kube.watches() >= 2);
        list([ingress('shop', 'rws', [{ path: '/', pathType: 'Prefix', svc: 'web' }])]);
        kube.notify();
        await waitFor(() => router.snapshot.routes.length === 1);
      },
    );
    expect(bodies).toContain('api');
    expect(bodies.at(-1)).toBe('web');
    expect(await at('shop.example', '/api/users')).toBe('200 web');
    expect(await at('shop.example', '/status')).toBe('200 web');

    // The API server goes away: the routes in force stay, and the failure is reported.
    kube.objects.clear();
    await router.refresh();
    expect(errors.at(-1)?.message).toMatch(/discovery kubernetes-ingress:shop:rws/);
    expect(await at('shop.example', '/api/users')).toBe('200 web');
  });
});
