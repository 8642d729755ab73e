/**
 * acme-certificates — HTTPS with a certificate from an ACME CA (RFC 8555): `AcmeManager`
 * passed to `serve()` orders it, answers the HTTP-01 challenge on the plain-HTTP port and
 * TLS-ALPN-01 on the TLS port, stores it, loads it without a restart and renews it.
 *
 * Until the CA has issued, the TLS port serves a self-signed stand-in for the domain. Failures
 * (CA unreachable, challenge refused) are printed and retried with back-off.
 *
 * Try it against a local pebble (`apt-get install pebble`), which validates by connecting to
 * the domain on its httpPort/tlsPort (5002/5001 by default; set them to this example's ports
 * in its config) and needs a DNS answer for the domain (`pebble-challtestsrv` answers
 * 127.0.0.1 for every name: `pebble -dnsserver 127.0.0.1:8053`):
 *   ACME_DIRECTORY=https://localhost:14000/dir NODE_EXTRA_CA_CERTS=<pebble's certificate> \
 *   PORT=5001 HTTP_PORT=5002 npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/acme-certificates.ts
 * then:
 *   curl -k --resolve acme.localhost:5001:127.0.0.1 https://acme.localhost:5001/
 *   curl -i http://127.0.0.1:5002/.well-known/acme-challenge/unknown   # 404
 *
 * ACME_DOMAIN (default acme.localhost), ACME_EMAIL, ACME_DIRECTORY (default pebble's
 * https://localhost:14000/dir; Let's Encrypt staging is
 * https://acme-staging-v02.api.letsencrypt.org/directory) and ACME_STORE (default a temporary
 * directory) configure it. PORT sets the TLS port (default 3443; 0 picks a free one), HTTP_PORT
 * the plain-HTTP port (default 8080, or a free one with PORT=0).
 *
 * Several hosts sharing one bucket (each certificate ordered once): ACME_S3_BUCKET (and
 * ACME_S3_ENDPOINT for MinIO/R2; keys from the RWS_S3_ or AWS_ variables) keeps the account, certificates and
 * lock there (`createObjectStorageStore`). DNS-01 with DNS UPDATE + TSIG (BIND, Knot, PowerDNS;
 * wildcard ACME_DOMAIN allowed): ACME_RFC2136_SERVER, ACME_RFC2136_ZONE,
 * ACME_RFC2136_KEY_NAME and ACME_RFC2136_SECRET (base64) (`createRfc2136Provider`). The `rws`
 * binary has both as `[acme.storage]` and `[acme] dns_provider = "rfc2136"`.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json } from '@rws/core';
import { AcmeManager, createObjectStorageStore, createRfc2136Provider, serve } from '@rws/server';
import { createS3Storage } from '@rws/storage/drivers/s3';

const env = (name: string): string | undefined => process.env[name];

const domain = process.env['ACME_DOMAIN'] ?? 'acme.localhost';
let store = process.env['ACME_STORE'];
if (store === undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'rws-acme-example-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  store = dir;
}

const bucket = env('ACME_S3_BUCKET');
const dnsServer = env('ACME_RFC2136_SERVER');
const acme = new AcmeManager({
  domains: [domain],
  email: process.env['ACME_EMAIL'],
  directoryUrl: process.env['ACME_DIRECTORY'] ?? 'https://localhost:14000/dir',
  store:
    bucket === undefined
      ? store
      : createObjectStorageStore({
          storage: createS3Storage({ bucket, endpoint: env('ACME_S3_ENDPOINT') }),
          prefix: 'acme/',
          closeStorage: true,
        }),
  ...(dnsServer === undefined
    ? {}
    : {
        dnsProvider: createRfc2136Provider({
          server: dnsServer,
          zone: env('ACME_RFC2136_ZONE') ?? domain.replace(/^\*\./, ''),
          keyName: env('ACME_RFC2136_KEY_NAME') ?? 'acme-update',
          keySecret: env('ACME_RFC2136_SECRET') ?? '',
        }),
      }),
  onCertificate: (info) => {
    console.log(`certificate for ${info.domains.join(', ')} until ${info.notAfter.toISOString()}`);
  },
});

const port = Number(process.env['PORT'] ?? 3443);
const server = await serve(
  (req) => json({ domain, sni: req.conn.tls?.sni ?? null, isStandIn: acme.isPlaceholder }),
  {
    port,
    httpRedirectPort: Number(process.env['HTTP_PORT'] ?? (port === 0 ? 0 : 8080)),
    acme,
    handleSignals: true,
    onLog: (line) => console.log(line),
    onError: (err) => console.error(`error: ${err instanceof Error ? err.message : String(err)}`),
  },
);
console.log(`listening on ${server.url} (certificate for ${domain})`);
for (const u of server.urls.filter((x) => x.isRedirect)) {
  console.log(`  HTTP-01 and redirects on ${u.url}`);
}
