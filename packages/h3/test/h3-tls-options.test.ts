/**
 * The TLS side of Http3Server (issue #21): the certificate chosen by the ClientHello's
 * server_name, replaced with setTls() for new connections, client certificates (mTLS) checked
 * against a CA and shown as `req.conn.tls`, OCSP stapling in the leaf CertificateEntry, and
 * ECDSA P-384 keys. Peers: our Http3Client, and ngtcp2's gtlsclient presenting a certificate.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRwsError, json, type Request } from '@rws/core';
import {
  createTestCertificates,
  requireCapability,
  type TestCertificates,
} from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Http3Client } from '../src/http3/h3-client.js';
import {
  createHttp3Certificate,
  Http3Server,
  type Http3ServerOptions,
} from '../src/http3/h3-server.js';
import { makeCredentials } from './certs.js';
import { hasCommand } from './helpers.js';

type Certs = TestCertificates<'a' | 'server2'>;
let certs: Certs;
beforeAll(() => {
  certs = createTestCertificates({
    prefix: 'rws-h3-tls-',
    servers: {
      a: { cn: 'a.rws.test', san: ['DNS:a.rws.test'] },
      server2: { cn: 'localhost', san: ['DNS:localhost', 'IP:127.0.0.1'] },
    },
    client: true,
    rogueClient: true,
  });
}, 60_000);
afterAll(() => certs?.cleanup());

/** Answers with what the handler sees of the connection's TLS. */
function tlsView(req: Request) {
  const tls = req.conn.tls;
  const subject = tls?.peerCertificate?.['subject'] as { CN?: string } | undefined;
  return json({
    alpn: tls?.alpn ?? null,
    sni: tls?.sni ?? null,
    authorized: tls?.authorized ?? null,
    cn: subject?.CN ?? null,
  });
}

async function listen(
  tls: Http3ServerOptions['tls'],
  seen: Record<string, unknown>[] = [],
): Promise<Http3Server> {
  const server = await Http3Server.listen({
    tls,
    handler: async (req) => {
      const res = tlsView(req);
      seen.push(JSON.parse(String(res.body)) as Record<string, unknown>);
      return res;
    },
    onError: () => {},
  });
  onTestFinished(() => server.close({ graceMs: 100 }));
  return server;
}

async function connect(
  port: number,
  options: Partial<Parameters<typeof Http3Client.connect>[0]> = {},
): Promise<Http3Client> {
  const client = await Http3Client.connect({
    host: '127.0.0.1',
    port,
    serverName: 'localhost',
    ca: [certs.ca.cert],
    maxIdleTimeoutMs: 5_000,
    ...options,
  });
  onTestFinished(() => client.close());
  return client;
}

async function view(client: Http3Client): Promise<Record<string, unknown>> {
  const res = await client.request({ path: '/' });
  return JSON.parse(Buffer.from(res.body).toString()) as Record<string, unknown>;
}

describe('Http3Server TLS: SNI', () => {
  it('picks the certificate by server_name; unknown names and none get the default', async () => {
    const a = createHttp3Certificate(certs.servers.a.cert, certs.servers.a.key);
    const asked: (string | undefined)[] = [];
    const server = await listen({
      cert: certs.server.cert,
      key: certs.server.key,
      selectCertificate: (name) => {
        asked.push(name);
        return name === 'a.rws.test' ? a : undefined;
      },
    });
    const port = server.address().port;
    // The client checks the certificate names the server name: a.rws.test only verifies
    // when the server sent a's certificate.
    const toA = await connect(port, { serverName: 'a.rws.test' });
    expect(await view(toA)).toMatchObject({ alpn: 'h3', sni: 'a.rws.test' });
    const toDefault = await connect(port, { serverName: 'localhost' });
    expect(await view(toDefault)).toMatchObject({ sni: 'localhost' });
    // An IP address sends no SNI: the default certificate, which names 127.0.0.1.
    const byIp = await connect(port, { serverName: '127.0.0.1' });
    expect(await view(byIp)).toMatchObject({ sni: null });
    // A name the default does not cover fails the client's check: proof it was not a's.
    const wrong = await connect(port, { serverName: 'b.rws.test' }).catch((e: unknown) => e);
    expect(String((wrong as Error).message)).toContain('does not name b.rws.test');
    expect(asked).toEqual(['a.rws.test', 'localhost', undefined, 'b.rws.test']);
  }, 30_000);

  it('setTls() changes the certificate for new connections; open ones keep theirs', async () => {
    const server = await listen({ cert: certs.server.cert, key: certs.server.key });
    const port = server.address().port;
    const before = await connect(port);
    server.setTls({ cert: certs.servers.a.cert, key: certs.servers.a.key });
    const after = await connect(port, { serverName: 'a.rws.test' });
    expect(await view(after)).toMatchObject({ sni: 'a.rws.test' });
    expect((await before.request({ path: '/' })).status).toBe(200);
    const old = await connect(port, { serverName: 'localhost' }).catch((e: unknown) => e);
    expect(String((old as Error).message)).toContain('does not name localhost');
    // A bad key, or another certificate's, keeps the settings in place.
    expect(() => server.setTls({ cert: certs.server.cert, key: 'not a key' })).toThrow();
    expect(() => server.setTls({ cert: certs.server.cert, key: certs.servers.a.key })).toThrow(
      /key does not match the certificate/,
    );
    expect(await view(await connect(port, { serverName: 'a.rws.test' }))).toMatchObject({
      sni: 'a.rws.test',
    });
  }, 30_000);

  it('serves an ECDSA P-384 certificate (ACME keyType ec-p384)', async () => {
    const { cert, key } = makeCredentials('p384');
    const server = await listen({ cert, key });
    const client = await connect(server.address().port, { ca: [cert] });
    expect(await view(client)).toMatchObject({ alpn: 'h3', sni: 'localhost' });
  }, 30_000);
});

describe('Http3Server TLS: client certificates (mTLS)', () => {
  function mtls(rejectUnauthorized?: boolean): Http3ServerOptions['tls'] {
    return {
      cert: certs.server.cert,
      key: certs.server.key,
      ca: certs.ca.cert,
      requestCert: true,
      ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
    };
  }

  it('verifies a client certificate from the CA and shows it as req.conn.tls', async () => {
    const server = await listen(mtls());
    const client = await connect(server.address().port, {
      cert: certs.client!.cert,
      key: certs.client!.key,
    });
    expect(await view(client)).toEqual({
      alpn: 'h3',
      sni: 'localhost',
      authorized: true,
      cn: 'rws client',
    });
  }, 30_000);

  it('refuses handshakes without a certificate or with one from another CA', async () => {
    const server = await listen(mtls());
    const port = server.address().port;
    // In TLS 1.3 the client's handshake completes before the server reads its certificate:
    // the refusal arrives as the connection's close, which fails the first request.
    const refusal = async (options: Parameters<typeof connect>[1]): Promise<unknown> => {
      const client = await connect(port, options);
      return client.request({ path: '/' }).catch((e: unknown) => e);
    };
    const none = await refusal({});
    expect(isRwsError(none, 'RWS_H3_PEER_CLOSED')).toBe(true);
    // The server's alert: certificate_required (116) as QUIC CRYPTO_ERROR 0x100 + 116.
    expect((none as { transportCode?: number }).transportCode).toBe(0x100 + 116);
    const rogue = await refusal({ cert: certs.rogue!.cert, key: certs.rogue!.key });
    // bad_certificate (42).
    expect((rogue as { transportCode?: number }).transportCode).toBe(0x100 + 42);
  }, 30_000);

  it('with rejectUnauthorized false: lets clients in, authorized only with a trusted certificate', async () => {
    const server = await listen(mtls(false));
    const port = server.address().port;
    expect(await view(await connect(port))).toMatchObject({ authorized: false, cn: null });
    const rogue = await connect(port, { cert: certs.rogue!.cert, key: certs.rogue!.key });
    expect(await view(rogue)).toMatchObject({ authorized: false, cn: 'rogue client' });
    const good = await connect(port, { cert: certs.client!.cert, key: certs.client!.key });
    expect(await view(good)).toMatchObject({ authorized: true, cn: 'rws client' });
  }, 30_000);

  it('a server that asks for nothing never sees a client certificate', async () => {
    const server = await listen({ cert: certs.server.cert, key: certs.server.key });
    const client = await connect(server.address().port, {
      cert: certs.client!.cert,
      key: certs.client!.key,
    });
    expect(await view(client)).toMatchObject({ authorized: false, cn: null });
  }, 30_000);

  it("gtlsclient presents its certificate with --cert/--key (ngtcp2's client)", async (ctx) => {
    requireCapability(ctx, hasCommand('gtlsclient'), 'gtlsclient (apt-get install ngtcp2-client)');
    const seen: Record<string, unknown>[] = [];
    const server = await listen(mtls(), seen);
    const port = server.address().port;
    const dir = mkdtempSync(join(tmpdir(), 'rws-h3-mtls-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const run = (extra: string[]): Promise<string> =>
      new Promise((resolve) => {
        execFile(
          'gtlsclient',
          [
            '--quiet',
            '--exit-on-all-streams-close',
            '--timeout=5s',
            `--download=${dir}`,
            ...extra,
            '127.0.0.1',
            String(port),
            `https://localhost:${port}/whoami`,
          ],
          { timeout: 30_000 },
          (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
        );
      });
    const output = await run([
      `--cert=${certs.client!.certFile}`,
      `--key=${certs.client!.keyFile}`,
    ]);
    expect(JSON.parse(readFileSync(join(dir, 'whoami'), 'utf8')), output).toMatchObject({
      authorized: true,
      cn: 'rws client',
    });
    // Without a certificate the handshake fails: no request reaches the handler.
    await run([]);
    expect(seen).toHaveLength(1);
  }, 60_000);
});

describe('Http3Server TLS: OCSP stapling', () => {
  it('staples the response in the leaf CertificateEntry when the client asks', async () => {
    const response = Uint8Array.from(Buffer.from('30030a0101', 'hex'));
    const leaves: string[] = [];
    const server = await listen({
      cert: certs.server.cert,
      key: certs.server.key,
      ocspResponse: (leaf) => {
        leaves.push(Buffer.from(leaf).toString('base64'));
        return response;
      },
    });
    const port = server.address().port;
    const asking = await connect(port, { requestOcsp: true });
    expect(asking.ocspResponse).toEqual(response);
    // Only asked for the leaf of the served certificate.
    const { X509Certificate } = await import('node:crypto');
    expect(leaves).toEqual([new X509Certificate(certs.server.cert).raw.toString('base64')]);
    const silent = await connect(port);
    expect(silent.ocspResponse).toBeUndefined();
    expect(leaves).toHaveLength(1);
  }, 30_000);

  it('sends no status when the cache has none', async () => {
    const server = await listen({
      cert: certs.server.cert,
      key: certs.server.key,
      ocspResponse: () => null,
    });
    const client = await connect(server.address().port, { requestOcsp: true });
    expect(client.ocspResponse).toBeUndefined();
    expect((await client.request({ path: '/' })).status).toBe(200);
  }, 30_000);
});
