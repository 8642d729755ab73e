/**
 * `[kubernetes_ingress]` TLS: the Secrets of the Ingresses' `spec.tls` served by SNI over real
 * TLS sockets by @rws/server (`sniCertificates: () => gateway.certificates`), against the
 * small Kubernetes API server of kube-api-server.ts. A rotated Secret is served without a
 * restart; a removed or invalid one keeps its last good certificate and says why (issue #22).
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { type RunningServer, serve } from '@rws/server';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGateway } from '../src/index.js';
import { labelled, sleep } from './helpers.js';
import {
  selfSignedPair,
  serviceAccount,
  slice,
  startKubeApi,
  tlsSecret,
} from './kube-api-server.js';

type Pem = { cert: string; key: string };
const fingerprint = (pem: Pem): string => new X509Certificate(pem.cert).fingerprint256;

/** One HTTPS GET with SNI `host`: the served leaf's fingerprint and the response. */
function sniGet(port: number, host: string): Promise<{ fingerprint: string; response: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: host,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    let response = '';
    let leaf = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      response += d;
    });
    socket.once('secureConnect', () => {
      leaf = socket.getPeerCertificate().fingerprint256;
      socket.write(`GET /page HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`);
    });
    socket.on('end', () => resolve({ fingerprint: leaf, response }));
    socket.on('error', reject);
  });
}

/** Polls until `check` resolves true (a watch event applies asynchronously). */
async function eventually(check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(50);
  }
}

describe('[kubernetes_ingress] TLS Secrets served by SNI (issue #22)', () => {
  it('serves each host its Secret, swaps a rotated one, and keeps the last good one', {
    timeout: 60_000,
  }, async () => {
    const web = await labelled('web');
    const kube = await startKubeApi();
    const sa = serviceAccount(kube);
    const dir = mkdtempSync(join(tmpdir(), 'rws-ingress-tls-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    kube.objects.set('/api/v1/namespaces/shop/services/web', {
      spec: { ports: [{ name: 'http', port: 80 }] },
    });
    kube.objects.set(
      '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?kubernetes.io/service-name=web',
      slice('shop', 'web', 'http', Number(new URL(web.origin).port), ['127.0.0.1']),
    );
    const rule = (host: string) => ({
      host,
      http: {
        paths: [
          {
            path: '/',
            pathType: 'Prefix',
            backend: { service: { name: 'web', port: { number: 80 } } },
          },
        ],
      },
    });
    kube.objects.set('/apis/networking.k8s.io/v1/namespaces/shop/ingresses', {
      items: [
        {
          metadata: { name: 'shop', namespace: 'shop' },
          spec: {
            ingressClassName: 'rws',
            tls: [
              { hosts: ['a.shop.test'], secretName: 'a-tls' },
              { hosts: ['b.shop.test'], secretName: 'b-tls' },
            ],
            rules: [rule('a.shop.test'), rule('b.shop.test')],
          },
        },
      ],
    });
    const secret = (name: string, value: unknown) =>
      kube.objects.set(`/api/v1/namespaces/shop/secrets/${name}`, value);
    const pemA = selfSignedPair('a.shop.test');
    const pemB = selfSignedPair('b.shop.test');
    secret('a-tls', tlsSecret(pemA));
    secret('b-tls', tlsSecret(pemB));

    const fallback = selfSignedPair('default.test');
    writeFileSync(join(dir, 'cert.pem'), fallback.cert);
    writeFileSync(join(dir, 'key.pem'), fallback.key);
    const warnings: string[] = [];
    let server: RunningServer | null = null;
    let reloads = 0;
    const gateway = await createGateway(
      `
[kubernetes_ingress]
namespace = "shop"
refresh_secs = 600
token_file = "${sa.tokenFile}"
ca_file = "${sa.caFile}"
`,
      {
        env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(kube.port) },
        onDiscoveryError: (error) => warnings.push(error.message),
        onCertificatesChange: () => {
          void server?.reloadCertificates().then(() => reloads++);
        },
      },
    );
    onTestFinished(() => gateway.close());
    expect(gateway.certificates.map((c) => [c.secret, c.hosts])).toEqual([
      ['shop/a-tls', ['a.shop.test']],
      ['shop/b-tls', ['b.shop.test']],
    ]);
    server = await serve(gateway.handler, {
      host: '127.0.0.1',
      port: 0,
      tlsCertFile: join(dir, 'cert.pem'),
      tlsKeyFile: join(dir, 'key.pem'),
      sniCertificates: () => gateway.certificates,
      handleSignals: false,
      // Bound to loopback, the server answers only the names it is told (DNS rebinding guard).
      allowedHosts: ['a.shop.test', 'b.shop.test'],
    });
    onTestFinished(() => server?.close());
    const port = server.address.port;
    const a = await sniGet(port, 'a.shop.test');
    expect(a.fingerprint).toBe(fingerprint(pemA));
    expect(a.response).toMatch(/^HTTP\/1\.1 200/);
    expect(a.response.endsWith('web')).toBe(true);
    expect((await sniGet(port, 'b.shop.test')).fingerprint).toBe(fingerprint(pemB));
    expect((await sniGet(port, 'other.test')).fingerprint).toBe(fingerprint(fallback));
    expect(warnings).toEqual([]);

    // Rotate B: the watch event brings the new Secret, served without a restart.
    const pemB2 = selfSignedPair('b.shop.test');
    secret('b-tls', tlsSecret(pemB2));
    kube.notify();
    await eventually(
      async () => (await sniGet(port, 'b.shop.test')).fingerprint === fingerprint(pemB2),
    );
    expect(reloads).toBeGreaterThanOrEqual(1);
    expect((await sniGet(port, 'a.shop.test')).fingerprint).toBe(fingerprint(pemA));

    // Removed: B keeps its last good certificate, and the warning says why.
    kube.objects.delete('/api/v1/namespaces/shop/secrets/b-tls');
    kube.notify();
    await eventually(() => warnings.length >= 1);
    expect(warnings[0]).toMatch(
      /ingress shop\/shop: secret shop\/b-tls: .*answered 404.*; the last good certificate stays in service/,
    );
    expect((await sniGet(port, 'b.shop.test')).fingerprint).toBe(fingerprint(pemB2));

    // Invalid (A's certificate with B's key): A keeps its certificate, the warning says why.
    secret('a-tls', tlsSecret({ cert: pemA.cert, key: pemB.key }));
    kube.notify();
    await eventually(() => warnings.length >= 2);
    expect(warnings[1]).toMatch(
      /secret shop\/a-tls: tls\.crt\/tls\.key are not a usable certificate and key: .*; the last good certificate stays in service/,
    );
    expect((await sniGet(port, 'a.shop.test')).fingerprint).toBe(fingerprint(pemA));
    // A repeated refresh with the same problem does not repeat the warning.
    kube.notify();
    await sleep(300);
    expect(warnings).toHaveLength(2);

    // Fixed: the new pair goes into service.
    const pemA2 = selfSignedPair('a.shop.test');
    secret('a-tls', tlsSecret(pemA2));
    kube.notify();
    await eventually(
      async () => (await sniGet(port, 'a.shop.test')).fingerprint === fingerprint(pemA2),
    );
  });
});
