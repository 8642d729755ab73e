/**
 * `rws` with `[kubernetes_ingress]` and TLS, as a real process against the small Kubernetes
 * API server of @rws/proxy's tests: the Ingress's TLS Secret is served by SNI, and a rotated
 * Secret is served without a restart (issue #22).
 */
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:tls';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  selfSignedPair,
  serviceAccount,
  slice,
  startKubeApi,
  tlsSecret,
} from '../../../packages/proxy/test/kube-api-server.js';
import { cleanEnv, startCli, tempDir } from './cli-process.js';

const HOST = 'a.shop.test';

/** A GET over TLS with SNI and Host `servername`: the status line and body. */
function sniGet(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    let response = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      response += d;
    });
    socket.once('secureConnect', () => {
      socket.write(`GET /cart HTTP/1.1\r\nhost: ${servername}\r\nconnection: close\r\n\r\n`);
    });
    socket.on('end', () =>
      resolve(`${response.split('\r\n')[0]} ${response.split('\r\n\r\n')[1] ?? ''}`),
    );
    socket.on('error', reject);
  });
}

function servedLeaf(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('rws [kubernetes_ingress] TLS Secrets (issue #22)', () => {
  it('serves the Secret of an Ingress by SNI and swaps it when it rotates', {
    timeout: 60_000,
  }, async () => {
    const kube = await startKubeApi();
    const sa = serviceAccount(kube);
    const web = createServer((req, res) => res.end(`web ${req.url}`));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => web.close(() => r())));
    kube.objects.set('/api/v1/namespaces/shop/services/web', {
      spec: { ports: [{ name: 'http', port: 80 }] },
    });
    kube.objects.set(
      '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?kubernetes.io/service-name=web',
      slice('shop', 'web', 'http', (web.address() as AddressInfo).port, ['127.0.0.1']),
    );
    const backend = { service: { name: 'web', port: { number: 80 } } };
    kube.objects.set('/apis/networking.k8s.io/v1/namespaces/shop/ingresses', {
      items: [
        {
          metadata: { name: 'shop', namespace: 'shop' },
          spec: {
            ingressClassName: 'rws',
            tls: [{ hosts: [HOST], secretName: 'a-tls' }],
            rules: [{ host: HOST, http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }],
          },
        },
      ],
    });
    const first = selfSignedPair(HOST);
    kube.objects.set('/api/v1/namespaces/shop/secrets/a-tls', tlsSecret(first));
    const dir = tempDir('rws-cli-ingress-tls-');
    const fallback = selfSignedPair('localhost');
    writeFileSync(join(dir, 'cert.pem'), fallback.cert);
    writeFileSync(join(dir, 'key.pem'), fallback.key);
    writeFileSync(
      join(dir, 'rws.config.toml'),
      [
        'port = 0',
        'tls_cert_file = "cert.pem"',
        'tls_key_file = "key.pem"',
        // A [[route]] with a host: the Ingress host must still pass the Host check.
        '[[route]]',
        '[route.match]',
        'host = "status.test"',
        '[route.action]',
        'type = "respond"',
        'body = "status"',
        '[kubernetes_ingress]',
        'namespace = "shop"',
        `api_server = "${kube.origin}"`,
        `token_file = "${sa.tokenFile}"`,
        `ca_file = "${sa.caFile}"`,
        'refresh_secs = 600',
        '',
      ].join('\n'),
    );
    const rws = await startCli([], { cwd: dir, env: cleanEnv() });
    const port = Number(new URL(rws.origin).port);
    const fp = (pem: { cert: string }) => new X509Certificate(pem.cert).fingerprint256;
    expect(await servedLeaf(port, HOST)).toBe(fp(first));
    expect(await servedLeaf(port, 'other.test')).toBe(fp(fallback));
    // Routed to the Ingress's Service over the TLS connection that got the Secret's certificate.
    expect(await sniGet(port, HOST)).toBe('HTTP/1.1 200 OK web /cart');
    expect(await sniGet(port, 'status.test')).toBe('HTTP/1.1 200 OK status');
    const second = selfSignedPair(HOST);
    kube.objects.set('/api/v1/namespaces/shop/secrets/a-tls', tlsSecret(second));
    kube.notify();
    const end = Date.now() + 20_000;
    while ((await servedLeaf(port, HOST)) !== fp(second)) {
      if (Date.now() > end) throw new Error('the rotated Secret was not served');
      await sleep(100);
    }
    expect(rws.stderr).not.toMatch(/rws: (error|warning)/);
    expect(await rws.stop()).toBe(0);
  });
});
