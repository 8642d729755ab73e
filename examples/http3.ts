/**
 * http3 — one `serve()` answering HTTP/1.1, HTTP/2 and HTTP/3 on the same port number: TCP
 * (TLS with ALPN h2 / http/1.1) and UDP (QUIC with ALPN h3, from @rws/h3). HTTP/1.1 and HTTP/2
 * responses carry `Alt-Svc: h3=":<port>"`, which tells browsers to switch to HTTP/3.
 *
 * At startup it creates a self-signed EC certificate for localhost / 127.0.0.1 with the
 * `openssl` command in a temporary directory (deleted on exit).
 *
 * Run from the repository root (needs openssl on PATH):
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/http3.ts
 * then (-k: the certificate is self-signed):
 *   curl -k -i https://127.0.0.1:3443/            # HTTP/2, shows alt-svc
 *   gtlsclient --exit-on-all-streams-close 127.0.0.1 3443 https://localhost:3443/   # HTTP/3
 * HTTP/3 connections get a session ticket; run this twice and the second one resumes the
 * session without the certificate exchange:
 *   gtlsclient --session-file=/tmp/rws.session --tp-file=/tmp/rws.tp --disable-early-data \
 *     --exit-on-all-streams-close 127.0.0.1 3443 https://localhost:3443/
 *
 * PORT sets the port (default 3443; 0 picks a free one). The real URL is printed on start.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json } from '@rws/core';
import { serve } from '@rws/server';

const dir = mkdtempSync(join(tmpdir(), 'rws-h3-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const certFile = join(dir, 'localhost.crt');
const keyFile = join(dir, 'localhost.key');
// biome-ignore format: the openssl arguments read best as flag/value pairs
execFileSync('openssl', [
  'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
  '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  '-keyout', keyFile, '-out', certFile,
], { stdio: 'ignore' });

const server = await serve(
  // req.protocol says which of the three answered: 'http/1.1', 'h2' or 'h3'.
  (req) => json({ protocol: req.protocol, path: req.path }),
  {
    port: Number(process.env['PORT'] ?? 3443),
    tlsCertFile: certFile,
    tlsKeyFile: keyFile,
    http3: true,
    handleSignals: true,
  },
);
console.log(`listening on ${server.url} (TCP: h2, http/1.1; UDP: h3)`);
