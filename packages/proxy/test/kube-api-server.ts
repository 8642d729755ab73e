/**
 * A small Kubernetes API server for the tests (the real one does not install here): Services,
 * EndpointSlices, Ingresses and Secrets by path, list and `?watch=1` streams, over TLS with a
 * service-account bearer token checked on every request.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/** A fake API server over TLS: Services, EndpointSlices and Ingresses, list and watch. */
export async function startKubeApi(): Promise<{
  origin: string;
  port: number;
  ca: string;
  token: string;
  objects: Map<string, unknown>;
  notify: () => void;
  watches: () => number;
}> {
  const { cert, key } = await selfSigned();
  const token = 'sa-token-1';
  const objects = new Map<string, unknown>();
  const streams = new Set<http.ServerResponse>();
  const server = https.createServer({ cert, key }, (req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"reason":"Unauthorized"}');
      return;
    }
    const url = new URL(req.url!, 'https://x');
    const selector = url.searchParams.get('labelSelector');
    if (url.searchParams.get('watch') === '1') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    const found = objects.get(url.pathname + (selector === null ? '' : `?${selector}`));
    if (found === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"reason":"NotFound"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(found));
  });
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port: p } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${p}`,
    port: p,
    ca: cert,
    token,
    objects,
    notify: () => {
      for (const s of streams) s.write(`${JSON.stringify({ type: 'MODIFIED', object: {} })}\n`);
    },
    watches: () => streams.size,
  };
}

/** A self-signed certificate for 127.0.0.1 from openssl (the CA file the pod would mount). */
function selfSigned(): Promise<{ cert: string; key: string }> {
  return Promise.resolve(selfSignedPair('kubernetes', 'IP:127.0.0.1'));
}

/**
 * A self-signed P-256 certificate and key (PEM) from openssl for `cn`, with `san`
 * (`DNS:a.example` or `IP:…`): an API server's certificate, or a TLS Secret's contents.
 */
export function selfSignedPair(cn: string, san = `DNS:${cn}`): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rws-kube-pem-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        `/CN=${cn}`,
        '-addext',
        `subjectAltName=${san}`,
      ],
      { stdio: 'ignore' },
    );
    return {
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A `kubernetes.io/tls` Secret object holding `pem`. */
export function tlsSecret(pem: { cert: string; key: string }): unknown {
  return {
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(pem.cert).toString('base64'),
      'tls.key': Buffer.from(pem.key).toString('base64'),
    },
  };
}

/** The service-account files a pod gets, in a temp dir. */
export function serviceAccount(api: { ca: string; token: string }): {
  tokenFile: string;
  caFile: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'rws-kube-sa-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token'), `${api.token}\n`);
  writeFileSync(join(dir, 'ca.crt'), api.ca);
  return { tokenFile: join(dir, 'token'), caFile: join(dir, 'ca.crt') };
}

export function slice(
  ns: string,
  svc: string,
  portName: string,
  p: number,
  ready: string[],
  notReady: string[] = [],
): { items: unknown[]; metadata: Record<string, string> } {
  return {
    items: [
      {
        ports: [{ name: portName, port: p }],
        endpoints: [
          ...ready.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
          ...notReady.map((ip) => ({ addresses: [ip], conditions: { ready: false } })),
        ],
      },
    ],
    metadata: { resourceVersion: '1', namespace: ns, service: svc },
  };
}
