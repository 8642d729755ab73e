/**
 * http3-mtls — HTTP/3 with the TLS features of HTTPS: a second certificate chosen by SNI
 * (`virtualHosts`) and client certificates (`tlsClientCaFile`), on TCP and on QUIC alike.
 * Every client must present a certificate from the example's CA; the handler answers with the
 * protocol, the SNI name and the client certificate's subject.
 *
 * At startup it creates a throwaway CA, a server certificate for localhost / 127.0.0.1, one for
 * `api.localhost` and a client certificate with the `openssl` command in a temporary directory
 * (deleted on exit), and prints their paths. `server.reloadCertificates()` (SIGHUP here) re-reads
 * the files for new TCP and QUIC connections alike.
 *
 * Run from the repository root (needs openssl on PATH):
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/http3-mtls.ts
 * then, with the paths it prints:
 *   gtlsclient --exit-on-all-streams-close --sni=api.localhost --cert=DIR/client.crt \
 *     --key=DIR/client.key 127.0.0.1 3443 https://api.localhost:3443/       # HTTP/3
 *   curl --cacert DIR/ca.crt --cert DIR/client.crt --key DIR/client.key https://localhost:3443/
 *
 * PORT sets the port (default 3443; 0 picks a free one). The real URL is printed on start.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json } from '@rws/core';
import { serve } from '@rws/server';

const dir = mkdtempSync(join(tmpdir(), 'rws-h3-mtls-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const file = (name: string): string => join(dir, name);
const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
};
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

// biome-ignore format: the openssl arguments read best as flag/value pairs
openssl('req', '-x509', ...EC, '-days', '1', '-subj', '/CN=rws example CA',
  '-keyout', 'ca.key', '-out', 'ca.crt');
/** A certificate signed by the CA, with `extensions` (subjectAltName, extendedKeyUsage). */
function issue(id: string, cn: string, extensions: string): void {
  writeFileSync(file(`${id}.ext`), extensions);
  // biome-ignore format: flag/value pairs
  openssl('req', '-new', ...EC, '-subj', `/CN=${cn}`, '-keyout', `${id}.key`, '-out', `${id}.csr`);
  // biome-ignore format: flag/value pairs
  openssl('x509', '-req', '-in', `${id}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key',
    '-CAcreateserial', '-days', '1', '-extfile', `${id}.ext`, '-out', `${id}.crt`);
}
issue('localhost', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
issue('api', 'api.localhost', 'subjectAltName=DNS:api.localhost\n');
issue('client', 'example client', 'extendedKeyUsage=clientAuth\n');

const server = await serve(
  (req) =>
    json({
      protocol: req.protocol,
      sni: req.conn.tls?.sni ?? null,
      authorized: req.conn.tls?.authorized ?? false,
      client: (req.conn.tls?.peerCertificate?.['subject'] as { CN?: string } | undefined)?.CN,
    }),
  {
    port: Number(process.env['PORT'] ?? 3443),
    tlsCertFile: file('localhost.crt'),
    tlsKeyFile: file('localhost.key'),
    virtualHosts: [
      { domain: 'api.localhost', certFile: file('api.crt'), keyFile: file('api.key') },
    ],
    tlsClientCaFile: file('ca.crt'),
    http3: true,
    handleSignals: true,
  },
);
console.log(
  `listening on ${server.url} (TCP: h2, http/1.1; UDP: h3; client certificates required)`,
);
console.log(`CA: ${file('ca.crt')}`);
console.log(`client certificate: ${file('client.crt')} key: ${file('client.key')}`);
