/**
 * ocsp-stapling — `serve()` staples OCSP responses (on by default): the certificate's
 * Authority Information Access names an OCSP responder, the server fetches a signed response
 * from it in the background and hands it to clients that ask during the handshake, so they
 * need not ask the CA themselves.
 *
 * At startup it makes a small CA with the `openssl` command in a temporary directory (deleted
 * on exit), issues a `localhost` certificate whose AIA points at `openssl ocsp` run as the
 * CA's responder on a free port, and serves with the chain (leaf + CA: the issuer must be in
 * the chain file). `GET /` reports how stapling went.
 *
 * Run from the repository root (needs openssl on PATH):
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/ocsp-stapling.ts
 * then (the CA file path is printed on start):
 *   openssl s_client -connect 127.0.0.1:3443 -servername localhost -status -CAfile <ca.pem> </dev/null | grep -A3 'OCSP Response Status'
 *   curl --cacert <ca.pem> https://localhost:3443/
 *
 * PORT sets the port (default 3443; 0 picks a free one). The real URL is printed on start.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json } from '@rws/core';
import { serve } from '@rws/server';

const dir = mkdtempSync(join(tmpdir(), 'rws-ocsp-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const openssl = (...args: string[]): string =>
  execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });

// A free port for the responder, known before the certificate is issued (its AIA names it).
const probe = createServer();
await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
const responderPort = (probe.address() as { port: number }).port;
await new Promise((resolve) => probe.close(resolve));

// biome-ignore format: the openssl arguments read best as flag/value pairs
openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
  '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=rws example CA');
// biome-ignore format: as above
openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
  '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost');
writeFileSync(
  join(dir, 'leaf.ext'),
  `subjectAltName = DNS:localhost, IP:127.0.0.1\nauthorityInfoAccess = OCSP;URI:http://127.0.0.1:${responderPort}\n`,
);
// biome-ignore format: as above
openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial',
  '0x1001', '-days', '1', '-extfile', 'leaf.ext', '-out', 'leaf.pem');
writeFileSync(
  join(dir, 'chain.pem'),
  openssl('x509', '-in', 'leaf.pem') + openssl('x509', '-in', 'ca.pem'),
);
// openssl's CA database: one valid certificate, serial 1001.
writeFileSync(join(dir, 'index.txt'), 'V\t351231000000Z\t\t1001\tunknown\t/CN=localhost\n');

// biome-ignore format: as above
const responder = spawn('openssl', ['ocsp', '-index', 'index.txt', '-port', String(responderPort),
  '-rsigner', 'ca.pem', '-rkey', 'ca.key', '-CA', 'ca.pem', '-nmin', '60', '-ignore_err'],
  { cwd: dir, stdio: 'ignore' });
process.once('exit', () => responder.kill());

const events: string[] = [];
const server = await serve(() => json({ ocsp: events.length === 0 ? 'no errors' : events }), {
  port: Number(process.env['PORT'] ?? 3443),
  tlsCertFile: join(dir, 'chain.pem'),
  tlsKeyFile: join(dir, 'leaf.key'),
  // ocspStapling is on by default; these settings retry quickly while the responder starts.
  ocspStapling: { retryMinMs: 500, retryMaxMs: 5_000 },
  onError: (err) => events.push(String(err)),
  handleSignals: true,
});
console.log(`ocsp-stapling listening on ${server.url}/ (CA: ${join(dir, 'ca.pem')})`);
