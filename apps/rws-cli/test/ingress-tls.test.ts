/**
 * `rws` with `[kubernetes_ingress]` and TLS, as a real process against the small Kubernetes
 * API server of @rws/proxy's tests: the Ingress's TLS Secret is served by SNI, and a rotated
 * Secret is served without a restart (issue #22).
 */
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import {
  selfSignedPair,
  serviceAccount,
  startKubeApi,
  tlsSecret,
} from '../../../packages/proxy/test/kube-api-server.js';
import { cleanEnv, startCli, tempDir } from './cli-process.js';

const HOST = 'a.shop.test';

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
    kube.objects.set('/apis/networking.k8s.io/v1/namespaces/shop/ingresses', {
      items: [
        {
          metadata: { name: 'shop', namespace: 'shop' },
          spec: { ingressClassName: 'rws', tls: [{ hosts: [HOST], secretName: 'a-tls' }] },
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
