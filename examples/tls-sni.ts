/**
 * tls-sni — HTTPS with `serve()`: a default certificate plus a second one chosen by SNI
 * (`virtualHosts`), and HSTS on every TLS response.
 *
 * At startup it creates two self-signed certificates with the `openssl` command in a temporary
 * directory (deleted on exit): one for `localhost` / 127.0.0.1 (the default, also used by
 * clients that send no SNI, such as those connecting to an IP address) and one for
 * `api.localhost`. Real deployments point `tlsCertFile` / `tlsKeyFile` / `virtualHosts` at their
 * PEM files instead; `server.reloadCertificates()` (SIGHUP with handleSignals) re-reads them.
 *
 * Run from the repository root (needs openssl on PATH):
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/tls-sni.ts
 * then (-k: the certificates are self-signed):
 *   curl -k https://127.0.0.1:3443/
 *   curl -k --resolve api.localhost:3443:127.0.0.1 https://api.localhost:3443/
 *
 * PORT sets the port (default 3443; 0 picks a free one). The real URL is printed on start.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json } from '@rws/core';
import { serve } from '@rws/server';

const dir = mkdtempSync(join(tmpdir(), 'rws-tls-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Writes a self-signed EC certificate and key for `names`; returns their paths. */
function selfSigned(id: string, names: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${id}.crt`);
  const keyFile = join(dir, `${id}.key`);
  // biome-ignore format: the openssl arguments read best as flag/value pairs
  const args = [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '1', '-subj', `/CN=${id}`, '-addext', `subjectAltName=${names}`,
    '-keyout', keyFile, '-out', certFile,
  ];
  execFileSync('openssl', args, { stdio: 'ignore' });
  return { certFile, keyFile };
}

const main = selfSigned('localhost', 'DNS:localhost,IP:127.0.0.1');
const api = selfSigned('api.localhost', 'DNS:api.localhost');

const server = await serve(
  // req.conn.tls says what the handshake negotiated.
  (req) =>
    json({
      sni: req.conn.tls?.sni ?? null,
      alpn: req.conn.tls?.alpn ?? null,
      version: req.conn.tls?.version ?? null,
      host: req.headers.get('host'),
    }),
  {
    port: Number(process.env['PORT'] ?? 3443),
    tlsCertFile: main.certFile,
    tlsKeyFile: main.keyFile,
    virtualHosts: [{ domain: 'api.localhost', ...api }],
    hsts: 'max-age=300', // short, because these certificates are throwaway
    handleSignals: true,
  },
);
console.log(`tls-sni listening on ${server.url}/ (certificates in ${dir})`);
