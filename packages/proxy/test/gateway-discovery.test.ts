/**
 * The gateway's `[upstream.discovery]` and `[kubernetes_ingress]` keys (issue #22): validation,
 * live backends from a Consul agent written in the test (Consul does not install here), kept
 * across reloads, and Ingress routes after the `[[route]]`s.
 */
import { Headers } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGateway, GatewayConfigError, parseGatewayConfig } from '../src/index.js';
import { startConsul } from './consul-api-server.js';
import { underLoad, waitFor } from './discovery-helpers.js';
import { labelled, serveProxy } from './helpers.js';
import { serviceAccount, slice, startKubeApi } from './kube-api-server.js';

const port = (origin: string): number => Number(new URL(origin).port);
const entry = (origin: string) => ({
  Node: { Address: '127.0.0.1' },
  Service: { Address: '', Port: port(origin) },
});

function problemsOf(toml: string): string[] {
  return parseGatewayConfig(toml).problems.map((p) => `${p.key}: ${p.message}`);
}

describe('[upstream.discovery] and [kubernetes_ingress] validation', () => {
  it('names the key of each mistake', () => {
    expect(problemsOf('[[upstream]]\nname = "api"\n')).toEqual([
      'upstream[0]: is missing backends (or an [upstream.discovery] source)',
    ]);
    expect(
      problemsOf('[[upstream]]\nname = "api"\n[upstream.discovery]\ntype = "consull"\n'),
    ).toEqual([
      'upstream[0].discovery.type: unknown discovery type "consull" (one of etcd, consul, docker, kubernetes, dns, file)',
    ]);
    expect(
      problemsOf(
        '[[upstream]]\nname = "api"\n[upstream.discovery]\ntype = "etcd"\nendpoints = ["ftp://x"]\nservice = "x"\n',
      ),
    ).toEqual([
      'upstream[0].discovery: is missing prefix',
      'upstream[0].discovery.endpoints[0]: "ftp://x" is not an http:// or https:// URL',
      'upstream[0].discovery.service: unknown key',
    ]);
    expect(
      problemsOf(
        '[[upstream]]\nname = "api"\n[upstream.discovery]\ntype = "kubernetes"\nnamespace = "Shop"\n',
      ),
    ).toEqual(['upstream[0].discovery.namespace: "Shop" is not a Kubernetes object name']);
    expect(problemsOf('[kubernetes_ingress]\nnamespace = "a_b"\n')).toEqual([
      'kubernetes_ingress.namespace: "a_b" is not a Kubernetes object name',
    ]);
    const ok = parseGatewayConfig(
      '[[upstream]]\nname = "api"\n[upstream.discovery]\ntype = "docker"\n[kubernetes_ingress]\n',
    );
    expect(ok.problems).toEqual([]);
    expect(ok.config?.upstreams[0]?.discovery).toMatchObject({
      type: 'docker',
      label: 'api',
      socket: '/var/run/docker.sock',
      port: 80,
      refreshMs: 30_000,
    });
    expect(ok.config?.kubernetesIngress).toMatchObject({ ingressClass: 'rws', namespace: null });
  });

  it('etcd auth and client-certificate keys come in pairs', () => {
    const etcd =
      '[[upstream]]\nname = "api"\n[upstream.discovery]\ntype = "etcd"\nprefix = "/p/"\n';
    expect(problemsOf(`${etcd}username = "root"\ncert_file = "c.pem"\n`)).toEqual([
      'upstream[0].discovery.password_env: username and password_env go together (etcd auth)',
      'upstream[0].discovery.key_file: cert_file and key_file go together (client certificate)',
    ]);
    const ok = parseGatewayConfig(
      `${etcd}username = "root"\npassword_env = "P"\nca_file = "ca.pem"\ncert_file = "c.pem"\nkey_file = "k.pem"\n`,
    );
    expect(ok.problems).toEqual([]);
    expect(ok.config?.upstreams[0]?.discovery).toMatchObject({
      username: 'root',
      passwordEnv: 'P',
      caFile: 'ca.pem',
      certFile: 'c.pem',
      keyFile: 'k.pem',
    });
  });

  it('an unset etcd password_env fails createGateway naming the key', async () => {
    const err = await createGateway(
      '[[upstream]]\nname = "api"\n[upstream.discovery]\ntype = "etcd"\nprefix = "/p/"\nusername = "root"\npassword_env = "NO_SUCH_PASSWORD"\n',
      { env: {} },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayConfigError);
    expect(String((err as Error).message)).toMatch(
      /upstream\[0\]\.discovery\.password_env.*NO_SUCH_PASSWORD is not set/s,
    );
  });

  it('an unset token_env fails createGateway naming the key', async () => {
    const err = await createGateway(
      '[[upstream]]\nname = "api"\n[upstream.discovery]\ntype = "consul"\ntoken_env = "NO_SUCH_TOKEN"\n',
      { env: {} },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayConfigError);
    expect(String((err as Error).message)).toMatch(
      /upstream\[0\]\.discovery\.token_env.*NO_SUCH_TOKEN is not set/s,
    );
  });
});

describe('gateway discovery', () => {
  it('proxies to Consul-discovered backends, follows changes under load, and keeps them across a reload and an outage', async () => {
    const a = await labelled('a');
    const b = await labelled('b');
    const consul = await startConsul('api', 'tok', [entry(a.origin)]);
    const toml = `
[[upstream]]
name = "api"
[upstream.discovery]
type = "consul"
address = "${consul.address}"
token_env = "CONSUL_TOKEN"
wait_secs = 30
refresh_secs = 600

[[route]]
[route.match]
path = "/*"
[route.action]
type = "proxy"
upstream = "api"
`;
    const errors: string[] = [];
    const gateway = await createGateway(toml, {
      env: { CONSUL_TOKEN: 'tok' },
      onDiscoveryError: (e, where) => errors.push(`${where}: ${e.message}`),
    });
    onTestFinished(() => gateway.close());
    // createGateway waited for the first answer.
    expect(gateway.upstreams.get('api')!.backends.map((x) => x.url)).toEqual([a.origin]);
    const origin = await serveProxy({ handle: gateway.handle });
    const bodies = await underLoad(`${origin}/x`, async () => {
      await waitFor(() => consul.waiting.size > 0);
      consul.change([entry(a.origin), entry(b.origin)]);
      await waitFor(() => gateway.upstreams.get('api')!.backends.length === 2);
      // A reload of the same file keeps the upstream and its discovered backends.
      expect((await gateway.reload()).isApplied).toBe(true);
      expect(gateway.upstreams.get('api')!.backends.length).toBe(2);
      await waitFor(() => consul.waiting.size > 0);
      consul.change([entry(b.origin)]);
      await waitFor(() => gateway.upstreams.get('api')!.backends.length === 1);
    });
    expect(bodies).toContain('a');
    expect(bodies.at(-1)).toBe('b');

    consul.server.closeAllConnections();
    await new Promise((r) => consul.server.close(r));
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toMatch(/^upstream api: discovery consul:api/);
    expect(await (await fetch(`${origin}/x`)).text()).toBe('b');
  });

  it('serves [kubernetes_ingress] routes after the [[route]]s', async () => {
    const web = await labelled('web');
    const kube = await startKubeApi();
    const sa = serviceAccount(kube);
    kube.objects.set('/api/v1/namespaces/shop/services/web', {
      spec: { ports: [{ name: 'http', port: 80 }] },
    });
    kube.objects.set(
      '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?kubernetes.io/service-name=web',
      slice('shop', 'web', 'http', port(web.origin), ['127.0.0.1']),
    );
    kube.objects.set('/apis/networking.k8s.io/v1/namespaces/shop/ingresses', {
      items: [
        {
          metadata: { name: 'shop', namespace: 'shop' },
          spec: {
            ingressClassName: 'edge',
            rules: [
              {
                http: {
                  paths: [
                    {
                      path: '/',
                      pathType: 'Prefix',
                      backend: { service: { name: 'web', port: { number: 80 } } },
                    },
                  ],
                },
              },
            ],
          },
        },
      ],
    });
    const gateway = await createGateway(
      `
[[route]]
[route.match]
path = "/health"
[route.action]
type = "respond"
body = "gateway"

[kubernetes_ingress]
ingress_class = "edge"
namespace = "shop"
token_file = "${sa.tokenFile}"
ca_file = "${sa.caFile}"
`,
      { env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(kube.port) } },
    );
    onTestFinished(() => gateway.close());
    const origin = await serveProxy({
      handle: (req) =>
        gateway.handle(req, () => ({ status: 404, headers: new Headers(), body: 'none' })),
    });
    expect(await (await fetch(`${origin}/health`)).text()).toBe('gateway');
    expect(await (await fetch(`${origin}/shop/cart`)).text()).toBe('web');
  });
});
