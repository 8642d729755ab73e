/**
 * ingress-tls — the TLS Secrets of Kubernetes Ingresses served by SNI: a gateway with
 * `[kubernetes_ingress]` reads each Ingress's `spec.tls` Secret, `serve()` picks it by SNI
 * (`sniCertificates: () => gateway.certificates`), and a rotated Secret is served without a
 * restart (`onCertificatesChange` → `server.reloadCertificates()`).
 *
 * No cluster here, so the example starts a stand-in for the two API paths it reads (the
 * Ingress list and the Secret, with watch streams) over TLS with a bearer token, as the real
 * API server would. In a pod, drop the stand-in and the `[kubernetes_ingress]` path keys: the
 * service account's token and CA are used. Certificates are made with the `openssl` command.
 *
 * Run from the repository root (needs openssl on PATH):
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/ingress-tls.ts
 * then (-k: the certificates are self-signed):
 *   curl -kv --resolve shop.localhost:3443:127.0.0.1 https://shop.localhost:3443/ 2>&1 | grep subject
 *   curl -k -X POST https://127.0.0.1:3443/demo/rotate     # replaces the Secret
 *   curl -kv --resolve shop.localhost:3443:127.0.0.1 https://shop.localhost:3443/ 2>&1 | grep subject
 *
 * PORT sets the port (default 3443; 0 picks a free one). The real URL is printed on start.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json, text } from '@rws/core';
import { createGateway } from '@rws/proxy';
import { type RunningServer, serve } from '@rws/server';

const dir = mkdtempSync(join(tmpdir(), 'rws-ingress-tls-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A self-signed EC certificate and key (PEM) for `cn`. */
function selfSigned(cn: string, san: string): { cert: string; key: string } {
  // biome-ignore format: the openssl arguments read best as flag/value pairs
  const args = [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '1', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`,
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ];
  execFileSync('openssl', args, { stdio: 'ignore' });
  return {
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
  };
}

// --- the stand-in Kubernetes API: one Ingress with spec.tls, its Secret, watch streams ---
const TOKEN = 'example-service-account-token';
const apiTls = selfSigned('kubernetes', 'IP:127.0.0.1');
let generation = 1;
let secret = selfSigned(`shop.localhost (secret v${generation})`, 'DNS:shop.localhost');
const watchers = new Set<ServerResponse>();
const api = createServer(apiTls, (req, res) => {
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    res.writeHead(401).end();
    return;
  }
  const url = new URL(req.url ?? '/', 'https://api');
  if (url.searchParams.get('watch') === '1') {
    res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
    watchers.add(res);
    res.on('close', () => watchers.delete(res));
    return;
  }
  const body =
    url.pathname === '/apis/networking.k8s.io/v1/namespaces/shop/ingresses'
      ? {
          items: [
            {
              metadata: { name: 'shop', namespace: 'shop' },
              spec: {
                ingressClassName: 'rws',
                tls: [{ hosts: ['shop.localhost'], secretName: 'shop-tls' }],
              },
            },
          ],
        }
      : url.pathname === '/api/v1/namespaces/shop/secrets/shop-tls'
        ? {
            type: 'kubernetes.io/tls',
            data: {
              'tls.crt': Buffer.from(secret.cert).toString('base64'),
              'tls.key': Buffer.from(secret.key).toString('base64'),
            },
          }
        : null;
  if (body === null) res.writeHead(404).end('{}');
  else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});
await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
writeFileSync(join(dir, 'token'), TOKEN);
writeFileSync(join(dir, 'ca.crt'), apiTls.cert);

// --- the gateway and the TLS listener ---
let server: RunningServer | null = null;
const gateway = await createGateway(
  `
[kubernetes_ingress]
namespace = "shop"
api_server = "https://127.0.0.1:${(api.address() as AddressInfo).port}"
token_file = ${JSON.stringify(join(dir, 'token'))}
ca_file = ${JSON.stringify(join(dir, 'ca.crt'))}
`,
  { onCertificatesChange: () => void server?.reloadCertificates() },
);
const fallback = selfSigned('localhost', 'DNS:localhost,IP:127.0.0.1');
writeFileSync(join(dir, 'default.crt'), fallback.cert);
writeFileSync(join(dir, 'default.key'), fallback.key);

server = await serve(
  (req) => {
    if (req.method === 'POST' && req.path === '/demo/rotate') {
      generation++;
      secret = selfSigned(`shop.localhost (secret v${generation})`, 'DNS:shop.localhost');
      // What the API server sends on a change: a watch event; the gateway re-reads the Secret.
      for (const w of watchers) w.write(`${JSON.stringify({ type: 'MODIFIED', object: {} })}\n`);
      return text(`the Secret is now v${generation}\n`);
    }
    return gateway.handle(req, () => json({ sni: req.conn.tls?.sni ?? null }));
  },
  {
    port: Number(process.env['PORT'] ?? 3443),
    tlsCertFile: join(dir, 'default.crt'),
    tlsKeyFile: join(dir, 'default.key'),
    sniCertificates: () => gateway.certificates,
    allowedHosts: ['shop.localhost'],
    handleSignals: true,
    onShutdown: async () => {
      await gateway.close();
      for (const w of watchers) w.destroy();
      api.close();
    },
  },
);
console.log(
  `ingress-tls listening on ${server.url}/ (shop.localhost gets the Secret's certificate)`,
);
