/**
 * Interop with ngtcp2's HTTP/3 server (`gtlsserver`, Debian package ngtcp2-server; nghttp3 for
 * HTTP/3 and QPACK): our `Http3Client` downloads files of 1 KiB to 50 MiB from its document
 * root, one at a time and concurrently, and compares them by SHA-256, and presents a client
 * certificate when it asks for one. Without gtlsserver the
 * tests are skipped with the reason (a failure under CI=true).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCertificates, requireCapability, reserveUdpPort } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished, type TestContext } from 'vitest';
import { Http3Client } from '../src/http3/h3-client.js';
import { hasCommand } from './helpers.js';

/** Debian installs it in /usr/sbin, which a non-root PATH may lack. */
const GTLSSERVER = hasCommand('gtlsserver')
  ? 'gtlsserver'
  : existsSync('/usr/sbin/gtlsserver')
    ? '/usr/sbin/gtlsserver'
    : null;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * Starts gtlsserver on a document root holding `files`; resolves with a connected client.
 * With `clientCertificate`, gtlsserver asks for one (`--verify-client`) and our client sends
 * the test CA's client certificate.
 */
async function startServer(
  ctx: TestContext,
  files: ReadonlyMap<string, Buffer>,
  clientCertificate = false,
): Promise<Http3Client> {
  requireCapability(ctx, GTLSSERVER !== null, 'gtlsserver (apt-get install ngtcp2-server)');
  const certs = createTestCertificates({ client: clientCertificate });
  onTestFinished(certs.cleanup);
  const root = mkdtempSync(join(tmpdir(), 'rws-h3-gtlsserver-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  const htdocs = join(root, 'htdocs');
  mkdirSync(htdocs);
  for (const [name, bytes] of files) writeFileSync(join(htdocs, name), bytes);
  const port = await reserveUdpPort();
  const server: ChildProcess = spawn(
    GTLSSERVER!,
    [
      '--quiet',
      `--htdocs=${htdocs}`,
      '--timeout=30s',
      ...(clientCertificate ? ['--verify-client'] : []),
      '127.0.0.1',
      String(port),
      certs.server.keyFile,
      certs.server.certFile,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  server.stderr!.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-2000);
  });
  onTestFinished(() => {
    server.kill();
  });
  // gtlsserver prints nothing when ready: retry the handshake until it answers.
  for (let attempt = 0; ; attempt++) {
    try {
      const client = await Http3Client.connect({
        host: '127.0.0.1',
        port,
        serverName: 'localhost',
        ca: [certs.ca.cert],
        maxIdleTimeoutMs: 2000,
        ...(clientCertificate ? { cert: certs.client!.cert, key: certs.client!.key } : {}),
      });
      onTestFinished(() => client.close());
      return client;
    } catch (error) {
      if (attempt >= 20 || server.exitCode !== null) {
        throw new Error(`gtlsserver did not answer: ${String(error)}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describe("our HTTP/3 client against ngtcp2's gtlsserver", { timeout: 180_000 }, () => {
  it('downloads 1 KiB, 1 MiB and 50 MiB files intact, then several concurrently', async (ctx) => {
    const files = new Map<string, Buffer>([
      ['1k', randomBytes(1024)],
      ['1m', randomBytes(1024 * 1024)],
      ['50m', randomBytes(50 * 1024 * 1024)],
    ]);
    const client = await startServer(ctx, files);
    for (const [name, bytes] of files) {
      const res = await client.request({ path: `/${name}` });
      expect(res.status, name).toBe(200);
      expect(res.body.length, name).toBe(bytes.length);
      expect(sha256(res.body), name).toBe(sha256(bytes));
    }
    const small = ['1k', '1m', '1k', '1m', '1k', '1m'];
    const results = await Promise.all(small.map((name) => client.request({ path: `/${name}` })));
    results.forEach((res, i) => {
      expect(sha256(res.body)).toBe(sha256(files.get(small[i]!)!));
    });
    const missing = await client.request({ path: '/missing' });
    expect(missing.status).toBe(404);
  });

  it('presents a client certificate when gtlsserver asks for one (--verify-client)', async (ctx) => {
    // GnuTLS checks our CertificateVerify and Finished over a transcript that includes its
    // CertificateRequest and our Certificate: a wrong one fails the handshake.
    const file = randomBytes(64 * 1024);
    const client = await startServer(ctx, new Map([['64k', file]]), true);
    const res = await client.request({ path: '/64k' });
    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(sha256(file));
  });
});
