/**
 * The client over TLS against node:https: CA trust, SNI, rejectUnauthorized and client
 * certificates (mTLS). Certificates are generated per run with openssl in a temp dir.
 */
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isRwsError } from '@rws/core';
import { createTestCertificates, type TestCertificates } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createPool } from '../src/pool.js';
import { rejection } from './client-helpers.js';

let certs: TestCertificates | undefined;
const pem: Record<string, string> = {};

beforeAll(() => {
  certs = createTestCertificates({
    prefix: 'rws-h1-client-tls-',
    serverNames: ['api.rws.test'],
    client: true,
  });
  pem['ca.crt'] = certs.ca.cert;
  pem['server.key'] = certs.server.key;
  pem['server.crt'] = certs.server.cert;
  pem['client.key'] = certs.client!.key;
  pem['client.crt'] = certs.client!.cert;
}, 60_000);

afterAll(() => certs?.cleanup());

async function tlsServer(
  options: https.ServerOptions = {},
): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const server = https.createServer(
    { key: pem['server.key'], cert: pem['server.crt'], ...options },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      res.end(
        JSON.stringify({
          sni: (socket as TLSSocket & { servername?: string | false }).servername || null,
          alpn: socket.alpnProtocol || null,
          peer: peer?.subject?.CN ?? null,
          host: req.headers.host,
        }),
      );
    },
  );
  server.on('secureConnection', () => count++);
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, connections: () => count };
}

describe('client over TLS', () => {
  it('trusts a CA, sends SNI, negotiates http/1.1 and reuses the TLS socket', async () => {
    const { port, connections } = await tlsServer({ ALPNProtocols: ['http/1.1'] });
    const pool = createPool(`https://127.0.0.1:${port}`, {
      tls: { ca: pem['ca.crt'], servername: 'api.rws.test' },
    });
    const a = await (await pool.request({ path: '/' })).body.json();
    expect(a).toEqual({
      sni: 'api.rws.test',
      alpn: 'http/1.1',
      peer: null,
      host: `127.0.0.1:${port}`,
    });
    await (await pool.request({ path: '/' })).body.json();
    expect(connections()).toBe(1);
    await pool.close();
  });

  it('uses the origin host name as SNI by default (never an IP)', async () => {
    const { port } = await tlsServer();
    const byName = createPool(`https://localhost:${port}`, { tls: { ca: pem['ca.crt'] } });
    expect(await (await byName.request({})).body.json()).toMatchObject({ sni: 'localhost' });
    await byName.close();
    const byIp = createPool(`https://127.0.0.1:${port}`, { tls: { ca: pem['ca.crt'] } });
    expect(await (await byIp.request({})).body.json()).toMatchObject({ sni: null });
    await byIp.close();
  });

  it('rejects an untrusted certificate unless rejectUnauthorized is false', async () => {
    const { port } = await tlsServer();
    const strict = createPool(`https://127.0.0.1:${port}`);
    const err = await rejection(strict.request({}));
    expect(isRwsError(err, 'RWS_HTTP1_CONNECT_FAILED'), err.message).toBe(true);
    expect(err.message).toMatch(/certificate/i);
    await strict.close();
    const lax = createPool(`https://127.0.0.1:${port}`, { tls: { rejectUnauthorized: false } });
    expect((await lax.request({})).status).toBe(200);
    await lax.close();
  });

  it('rejects a certificate for another name', async () => {
    const { port } = await tlsServer();
    const pool = createPool(`https://127.0.0.1:${port}`, {
      tls: { ca: pem['ca.crt'], servername: 'other.example' },
    });
    const err = await rejection(pool.request({}));
    expect(isRwsError(err, 'RWS_HTTP1_CONNECT_FAILED'), err.message).toBe(true);
    await pool.close();
  });

  it('mutual TLS: presents a client certificate; without one the server refuses', async () => {
    const { port } = await tlsServer({
      ca: pem['ca.crt'],
      requestCert: true,
      rejectUnauthorized: true,
    });
    const withCert = createPool(`https://localhost:${port}`, {
      tls: { ca: pem['ca.crt'], cert: pem['client.crt'], key: pem['client.key'] },
    });
    expect(await (await withCert.request({})).body.json()).toMatchObject({ peer: 'rws client' });
    await withCert.close();
    const without = createPool(`https://localhost:${port}`, { tls: { ca: pem['ca.crt'] } });
    const err = await rejection(without.request({}).then((r) => r.body.text()));
    // TLS 1.3 reports the refusal after the handshake, so it can surface as either code.
    expect(err.code).toMatch(/^RWS_HTTP1_(CONNECT_FAILED|SOCKET_CLOSED)$/);
    await without.close();
  });
});
